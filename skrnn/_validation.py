"""Input checks that scikit-learn's ``check_array`` does not make.

``check_array`` rejects NaN and infinity, but a finite value can still be too
large for the arithmetic of a network: the recurrence multiplies inputs by
weights, the loss squares errors, and the target is standardised with its
mean and standard deviation. These checks turn the overflow that would follow
(a misleading "diverged" error, or silently non-finite predictions) into a
``ValueError`` that names the input and the limit.

The limits are ``sqrt`` of the largest and smallest normal float of the
dtype the model computes in (float64: 1.3e154 and 1.5e-154; float32: 1.8e19
and 1.1e-19), the range in which the product of two such numbers cannot
overflow or underflow.
"""

import numpy as np


def _limits(dtype):
    finfo = np.finfo(dtype)
    return float(np.sqrt(finfo.max)), float(np.sqrt(finfo.tiny))


def reject_masked(array, name):
    """Raise if ``array`` is a masked array with masked entries.

    ``np.asarray`` (and so ``check_array``) drops the mask and would train on
    the hidden values without a word.
    """
    if isinstance(array, np.ma.MaskedArray) and np.ma.is_masked(array):
        raise ValueError(
            f"{name} is a masked array with {int(np.ma.count_masked(array))} masked "
            "entries; skrnn would read the values under the mask. Fill or drop the "
            f"masked entries first, e.g. with {name}.filled(value)."
        )


def split_padding(X, name="X"):
    """Read right-padding in 3-D ``X``: a step whose features are all NaN is padding.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_steps, n_features_per_step)
        Free of infinities (``check_array(..., ensure_all_finite="allow-nan")``).
    name : str
        Name of the input, for the messages.

    Returns
    -------
    X : ndarray
        ``X`` itself without NaN, else a copy with the padding set to 0 (the
        network reads zeros there, and never uses them).
    lengths : ndarray of int of shape (n_samples,) or None
        Valid steps of each sequence; None without padding.

    Raises
    ------
    ValueError
        For a NaN in a step that is not all NaN, a valid step after padding or
        a sequence without a valid step, naming the first offending sample and step.
    """
    nan = np.isnan(X)
    if not nan.any():
        return X, None
    padding = nan.all(axis=2)  # (n_samples, n_steps)
    partial = nan.any(axis=2) & ~padding
    if partial.any():
        i, t = np.argwhere(partial)[0]
        j = int(np.flatnonzero(nan[i, t])[0])
        raise ValueError(
            f"{name}[{i}, {t}] (sample {i}, step {t}) has NaN in feature {j} but not in "
            "every feature: NaN marks padding, a step whose features are all NaN. Fill "
            "or drop missing values first (e.g. with sklearn.impute), or make the "
            "whole step NaN to pad."
        )
    n_steps = X.shape[1]
    # valid steps: everything up to the last step that is not padding
    last_valid = n_steps - np.argmax(~padding[:, ::-1], axis=1)  # 1 + index of the last one
    empty = padding.all(axis=1)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise ValueError(
            f"{name}[{i}] (sample {i}) has no valid step: every one of its {n_steps} "
            "steps is NaN (padding). Drop the sample, or give it at least one step."
        )
    inner = padding & (np.arange(n_steps) < last_valid[:, None])
    if inner.any():
        i, t = np.argwhere(inner)[0]
        raise ValueError(
            f"{name}[{i}, {t}] (sample {i}, step {t}) is padding (all NaN) but step "
            f"{last_valid[i] - 1} after it is not: padding must be trailing (sequences "
            "right-padded, as skrnn.pad_sequences makes them)."
        )
    return np.where(nan, 0.0, X).astype(X.dtype, copy=False), last_valid.astype(np.intp)


def check_magnitude(X, dtype, name="X"):
    """Raise if a value of the finite array ``X`` is too large for ``dtype``.

    Parameters
    ----------
    X : ndarray
        Validated (finite) input.
    dtype : dtype
        The dtype the model computes in.
    name : str
        Name of the input, for the message.
    """
    if X.size == 0:
        return
    limit = _limits(dtype)[0]
    largest = max(float(X.max()), -float(X.min()))
    if largest > limit:
        raise ValueError(
            f"{name} has values as large as {largest:.3g} in absolute value. The "
            f"network multiplies them by weights in {np.dtype(dtype).name}, where "
            f"products of values above {limit:.3g} overflow; scale the features "
            "first (e.g. with StandardScaler)."
        )


def check_target(y, dtype):
    """Raise if ``y`` cannot be standardised (mean and std) in ``dtype``.

    The regressor trains on ``(y - y_mean_) / y_scale_``; if either statistic
    overflows (or ``y`` overflows when cast to float32) the fit would succeed
    and every prediction would be NaN or infinite.
    """
    y = np.asarray(y)
    with np.errstate(over="ignore", invalid="ignore"):
        y_cast = y.astype(dtype)
        mean = y_cast.mean(axis=0)
        deviation = y_cast - mean
        scale = np.sqrt(np.mean(deviation * deviation, axis=0))
    if np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)):
        return
    largest = float(np.max(np.abs(y.astype(np.float64))))
    raise ValueError(
        f"y has values as large as {largest:.3g} in absolute value: its mean and "
        f"standard deviation overflow {np.dtype(dtype).name} (largest value "
        f"{float(np.finfo(dtype).max):.3g}), and RNNRegressor trains on the "
        "standardised target. Rescale y first (e.g. divide it by a power of ten, "
        "or use sklearn.compose.TransformedTargetRegressor)."
    )


def check_sample_weight_range(sample_weight, dtype):
    """Raise if the weights are so large or so small that the loss overflows.

    The loss divides the squared errors and the L2 penalty ``alpha * sum(W**2)``
    by the sum of the weights in each mini-batch, so a sum above the limit
    overflows and a positive weight below the lower limit makes the penalty
    overflow (a batch may hold that one weight only).
    """
    upper, lower = _limits(dtype)
    name = np.dtype(dtype).name
    with np.errstate(over="ignore"):
        total = float(np.sum(sample_weight, dtype=np.float64))
    if total > upper:
        raise ValueError(
            f"sample_weight sums to {total:.3g}; in {name} the weighted loss "
            f"overflows for sums above {upper:.3g}. Divide all the weights and "
            "alpha by the same constant (the L2 penalty is alpha / sum of the "
            "weights, so this keeps the same model)."
        )
    positive = sample_weight[sample_weight > 0]
    smallest = float(positive.min())
    if smallest < lower:
        raise ValueError(
            f"sample_weight has positive values as small as {smallest:.3g}; in "
            f"{name}, weights below {lower:.3g} make the L2 penalty alpha / sum of "
            "the weights overflow. Multiply all the weights and alpha by the same "
            "constant, or set the negligible weights to 0."
        )


def features_per_step_from_names(names):
    """Features per step of flattened windows named as ``SequenceWindower`` names them.

    ``SequenceWindower(flatten=True)`` names its columns ``<feature>_lag<k>``,
    oldest step first: ``tmax_lag6, tmin_lag6, ..., tmax_lag0, tmin_lag0``.
    Returns the number of features per step when ``names`` follow that pattern
    exactly (the same features in the same order at every step, lags counting
    down to 0), else None.
    """
    if names is None or len(names) == 0:
        return None
    parsed = []
    for name in names:
        feature, sep, lag = str(name).rpartition("_lag")
        if not sep or not feature or not lag.isdigit() or (len(lag) > 1 and lag[0] == "0"):
            return None
        parsed.append((feature, int(lag)))
    n_steps = parsed[0][1] + 1
    if len(parsed) % n_steps:
        return None
    per_step = len(parsed) // n_steps
    features = [feature for feature, _ in parsed[:per_step]]
    expected = [(f, n_steps - 1 - step) for step in range(n_steps) for f in features]
    return per_step if parsed == expected and len(set(features)) == per_step else None

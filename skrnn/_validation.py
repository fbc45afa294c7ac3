"""What the estimators accept: input validation for fit and predict.

:func:`validate_fit_inputs` and :func:`validate_predict_X` read X as sequences
(3-D, or 2-D time-major flattened), y and the padding; :func:`validate_sample_weight`
the weights. Around them, the checks that scikit-learn's ``check_array`` does
not make:

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

from numbers import Real

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._warnings import warn


def _limits(dtype):
    finfo = np.finfo(dtype)
    return float(np.sqrt(finfo.max)), float(np.sqrt(finfo.tiny))


def reject_datetime_columns(X, who):
    """A DataFrame with date or time columns: one line that names them (numpy's
    DTypePromotionError said none of it)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    dated = [str(name) for name, dtype in dtypes.items()
             if getattr(dtype, "kind", "") in "mM"]
    if dated:
        raise TypeError(
            f"X has date or time columns ({', '.join(dated)}); {who} takes numbers. "
            "Drop them (the rows' order is the time), or turn them into numeric "
            "features such as the day of the year, before it."
        )


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


# -------------------------------------------------- what fit and predict accept

_DTYPES = [np.float64, np.float32]


def validate_fit_inputs(estimator, X, y, reset):
    """``(X, y, lengths)`` for ``fit``: X as 3-D float sequences (n_samples,
    n_steps, n_features_per_step) with their padding set to 0, y as
    scikit-learn's ``validate_data`` returns it, and the valid steps of each
    sequence (None without padding: a step whose features are all NaN is
    padding, and must be trailing).

    With ``reset``, sets ``n_features_in_``, ``feature_names_in_``, ``n_steps_``
    and ``n_features_per_step_``; otherwise checks X against them.
    """
    reject_masked(X, "X")
    reject_datetime_columns(X, type(estimator).__name__)
    reject_masked(y, "y")
    y_shape = getattr(y, "shape", None)
    if y_shape is None and y is not None:
        y_shape = np.asarray(y).shape
    if y_shape is not None and (len(y_shape) not in (1, 2) or 0 in y_shape[1:]):
        raise ValueError(
            f"y has shape {tuple(y_shape)}; expected (n_samples,) or "
            "(n_samples, n_outputs) with at least one output."
        )
    _reject_a_nan_tail(y)
    return _sequences(estimator, X, reset, y, estimator._y_validation_kwargs())


def _reject_a_nan_tail(y):
    """NaN in the last rows of y only, as ``shift(-1)`` and ``multi_step_target``
    leave them: say so and how to drop them (scikit-learn says "y contains NaN")."""
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):  # labels that are not numbers
        return
    if values.ndim == 0 or values.shape[0] == 0:
        return
    missing = np.isnan(values).reshape(values.shape[0], -1).any(axis=1)
    if not missing.any() or missing.all():
        return
    first = int(np.argmax(missing))
    if missing[first:].all():  # a NaN block at the end, nowhere else
        k = values.shape[0] - first
        raise ValueError(
            f"y has NaN in its last {k} row{'s' if k > 1 else ''} only, as shift(-1) or "
            "multi_step_target leave at the end of a series (no future to forecast): "
            f"drop them from X and y before fitting, e.g. X[:-{k}], y[:-{k}]."
        )


def validate_predict_X(estimator, X):
    """``(X, lengths)`` for ``predict``: as :func:`validate_fit_inputs` without a
    target; 3-D input may have any number of steps."""
    reject_masked(X, "X")
    reject_datetime_columns(X, type(estimator).__name__)
    X, _, lengths = _sequences(estimator, X, False, "no_validation", {})
    return X, lengths


def _sequences(estimator, X, reset, y, y_kwargs):
    """The shared part of the two: ``(X, y, lengths)``, y None without a target."""
    ndim = getattr(X, "ndim", None)
    if ndim is None:  # a list or another array-like: look at it as an array
        ndim = np.asarray(X).ndim
    if ndim == 1:  # scikit-learn's message would print the whole array
        raise ValueError(
            f"X is 1-D (shape {np.shape(X)}); {type(estimator).__name__} takes sequences, "
            "(n_samples, n_steps, n_features_per_step) or flattened (n_samples, "
            "n_columns). Reshape your data: window a single series first, e.g. with "
            "SequenceWindower."
        )
    if ndim > 3:
        raise ValueError(
            f"X has {ndim} dimensions; expected a 3-D array of shape (n_samples, "
            "n_steps, n_features_per_step) or a 2-D array of time-major "
            "flattened sequences (n_samples, n_steps * n_features_per_step)."
        )
    read = _three_d if ndim == 3 else _flat
    X, y = read(estimator, X, reset, y, y_kwargs)
    n_steps, n_per_step = X.shape[1:]
    if reset:
        estimator.n_steps_, estimator.n_features_per_step_ = n_steps, n_per_step
    elif n_per_step != estimator.n_features_per_step_ or (
        ndim != 3 and n_steps != estimator.n_steps_
    ):
        raise _shape_error(estimator, n_steps, n_per_step, ndim == 3)
    X, lengths = split_padding(X, "X")
    # the dtype the network will compute in: X's at a first fit, else the model's
    work_dtype = X.dtype if reset else getattr(estimator, "_theta", X).dtype
    check_magnitude(X, work_dtype, "X")
    return X, y, lengths


def _shape_error(estimator, n_steps, n_per_step, three_d):
    """The error for input of another shape than the fit's, in steps and features."""
    return ValueError(
        f"X holds sequences of {n_steps} steps x {n_per_step} features, "
        f"but {type(estimator).__name__} was fitted on {estimator.n_steps_} steps x "
        f"{estimator.n_features_per_step_} features"
        + (" (3-D input may have any number of steps, but the same features per "
           "step)." if three_d else ".")
    )


def _three_d(estimator, X, reset, y, y_kwargs):
    """3-D input: ``(X, y)``, with the flattened columns checked as scikit-learn's."""
    # finiteness is checked once, by validate_data on the flat view below
    X = check_array(X, allow_nd=True, dtype=_DTYPES, input_name="X", ensure_all_finite=False)
    n_samples, n_steps, n_per_step = X.shape
    if not reset and n_per_step != estimator.n_features_per_step_:
        check_is_fitted(estimator)  # said in steps and features, not in flat columns
        raise _shape_error(estimator, n_steps, n_per_step, True)
    flat = X.reshape(n_samples, n_steps * n_per_step)
    with_y = not isinstance(y, str)
    if reset or with_y or n_steps == estimator.n_steps_:
        out = validate_data(estimator, flat, y, reset=reset, dtype=_DTYPES,
                            ensure_all_finite="allow-nan", **y_kwargs)
        y = out[1] if with_y else None
    else:  # sequences of another length: their columns are not n_features_in_
        check_is_fitted(estimator)
        check_array(flat, dtype=_DTYPES, input_name="X", ensure_all_finite="allow-nan")
        y = None
    if estimator.n_features_per_step not in (None, n_per_step):
        raise ValueError(
            f"X has {n_per_step} features per step (X.shape[2]) but "
            f"n_features_per_step={estimator.n_features_per_step}."
        )
    return X, y


def _flat(estimator, X, reset, y, y_kwargs):
    """2-D input, time-major flattened sequences: ``(X as 3-D, y)``."""
    with_y = not isinstance(y, str)
    out = validate_data(estimator, X, y, reset=reset, dtype=_DTYPES,
                        ensure_all_finite="allow-nan", **y_kwargs)
    flat, y = out if with_y else (out, None)
    n_per_step = (features_per_step_of_flat_input(estimator) if reset
                  else estimator.n_features_per_step_)
    if (reset and n_per_step == 1 and estimator.n_features_per_step is None
            and estimator.flat_order == "time_major"):
        _warn_if_windows(estimator, flat)
    if flat.shape[1] % n_per_step:
        raise ValueError(
            f"X has {flat.shape[1]} columns, which is not a multiple of "
            f"n_features_per_step={n_per_step}: each row must hold whole "
            "time steps of n_features_per_step features."
        )
    if reset and estimator.flat_order == "feature_major" and estimator.n_features_per_step is None:
        raise ValueError(
            "flat_order='feature_major' reads each row as one block of steps per feature: "
            "give n_features_per_step (the number of blocks)."
        )
    n_steps = flat.shape[1] // n_per_step
    if estimator.flat_order == "feature_major":  # one block of steps per feature
        return np.ascontiguousarray(
            flat.reshape(flat.shape[0], n_per_step, n_steps).transpose(0, 2, 1)), y
    return flat.reshape(flat.shape[0], n_steps, n_per_step), y


def features_per_step_of_flat_input(estimator):
    """How to read 2-D input: ``n_features_per_step``, else the windower's column names.

    Columns named like ``SequenceWindower(flatten=True)``'s output
    (``tmax_lag6, ..., rain_lag0``, in ``feature_names_in_``) tell the
    layout; a plain array does not, and is read as one feature per step.
    """
    names = getattr(estimator, "feature_names_in_", None)
    from_names = features_per_step_from_names(names)
    given = estimator.n_features_per_step
    if from_names is not None and estimator.flat_order == "feature_major":
        raise ValueError(
            f"flat_order='feature_major', but the columns of X are named as "
            f"SequenceWindower(flatten=True)'s time-major windows "
            f"({estimator.feature_names_in_[0]}, ...): leave flat_order='time_major'."
        )
    if given is not None and from_names is not None and given != from_names:
        raise ValueError(
            f"n_features_per_step={given}, but the columns of X are named as windows "
            f"of {from_names} features per step ({estimator.feature_names_in_[0]}, ...): "
            f"set n_features_per_step={from_names}, or None to read it from the names."
        )
    if given is None and from_names is None and names is not None and len(names) > 1 \
            and not _enumerated(names):
        shown = ", ".join(map(str, names[:4])) + (", ..." if len(names) > 4 else "")
        warn(
            f"{type(estimator).__name__} reads the {len(names)} columns of X ({shown}) as "
            f"one sequence of {len(names)} steps of one feature each: 2-D input holds "
            "time-major flattened sequences. Columns with different names look like the "
            "features of one time step: to forecast from rows of a series, put "
            "SequenceWindower before the estimator (or pass 3-D sequences); set "
            "n_features_per_step to say how to read the columns and silence this warning.",
            UserWarning,
        )
    return given or from_names or 1


def window_stride(flat, max_rows=1000):
    """``F > 1`` when the rows of ``flat`` are consecutive flat windows of ``F``
    features per step (row ``i`` is row ``i - 1`` shifted by ``F`` columns, as
    ``SequenceWindower(flatten=True)`` makes them), else None. Rows that are also
    shifts by one column (e.g. constant input) are one feature per step: None."""
    rows = flat[:max_rows]
    n_rows, n_columns = rows.shape
    if n_rows < 3 or n_columns < 4 or np.isnan(rows).any():
        return None
    for stride in range(1, n_columns // 2 + 1):
        # the first three rows first: most strides fail there, at the cost of a few columns
        if (n_columns % stride == 0
                and np.array_equal(rows[1:3, :-stride], rows[:2, stride:])
                and np.array_equal(rows[1:, :-stride], rows[:-1, stride:])):
            return stride if stride > 1 else None
    return None


def _warn_if_windows(estimator, flat):
    stride = window_stride(flat)
    if stride is not None:
        warn(
            f"{type(estimator).__name__} reads the {flat.shape[1]} columns of X as one "
            f"sequence of {flat.shape[1]} steps of one feature, but each row of X is the "
            f"row before it shifted by {stride} columns: these look like flat windows of "
            f"{stride} features per step (SequenceWindower(flatten=True)). Pass "
            f"n_features_per_step={stride}, or keep the windower's 3-D output "
            "(flatten=False).",
        )


def _enumerated(names):
    """Whether ``names`` number the steps of one sequence: a common prefix and
    consecutive numbers (``t0, t1, ...``; ``col_1, col_2, ...``)."""
    import re

    parts = [re.fullmatch(r"(.*?)(\d+)", str(name)) for name in names]
    if not all(parts) or len({p.group(1) for p in parts}) != 1:
        return False
    numbers = [int(p.group(2)) for p in parts]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def validate_sample_weight(sample_weight, n_samples, dtype):
    """Sample weights as a 1-D array of ``dtype`` (ones when None), checked."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    reject_masked(sample_weight, "sample_weight")
    if isinstance(sample_weight, Real):  # one weight for all, as in scikit-learn
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    sample_weight = check_array(
        sample_weight, ensure_2d=False, dtype=dtype, input_name="sample_weight"
    )
    if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has shape {sample_weight.shape}, expected "
            f"({n_samples},): one weight per sample."
        )
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight has negative values; weights must be >= 0.")
    if not np.any(sample_weight > 0):
        raise ValueError("sample_weight is zero for every sample; nothing to fit.")
    check_sample_weight_range(sample_weight, dtype)
    return sample_weight

"""The input standardisation: the network reads ``(X - x_mean_) / x_scale_``.

A tanh network needs inputs of about unit scale: raw lags of a series in the
hundreds (monthly airline passengers, 104-467) saturate every unit, and
frameworks such as sktime's ``make_reduction`` or darts pass raw lags. So both
estimators standardise each feature of a step, as they standardise a
regressor's target: the weighted mean and standard deviation of each feature
over the valid steps of the first fit's sequences (padding left out; each
step of a sample weighted by its ``sample_weight``), fixed afterwards
(``partial_fit`` and ``warm_start`` keep them, as they keep ``y_mean_``).
Early stopping's validation part is part of the fit's data, as for ``y``.
A feature that does not vary keeps the scale 1. The scale is the standard
deviation rounded to a power of two (between 0.71 and 1.41 times it; at least
the dtype's smallest normal number) and the
mean is rounded to 1/4096 of the scale: dividing is then exact, and the
statistics do not depend on the rounding of their sums.

The fitted weights (``input_weights_``, ``skip_weights_``) act on the
standardised inputs. A zero there is the training mean: patches of steps are
filled with it in front of a sequence's first step, and the linear path's
window before a short sequence's start; padding stays invisible.
:mod:`skrnn.export` folds the standardisation into the first layer and the
linear path (:func:`fold`), so an exported module reads raw inputs.
"""

import numpy as np


def statistics(X, lengths, sample_weight, dtype):
    """``(mean, scale)`` of each feature of a step, arrays of ``dtype`` of shape (n_features,).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_steps, n_features)
        Steps past a sequence's end (``lengths``) are left out.
    lengths : ndarray of int of shape (n_samples,) or None
    sample_weight : ndarray of shape (n_samples,)
        The weight of every step of a sample.
    dtype : the model's dtype
    """
    n_samples, n_steps, _ = X.shape
    step_weight = np.broadcast_to(np.asarray(sample_weight, dtype=np.float64)[:, None],
                                  (n_samples, n_steps))
    if lengths is not None:
        step_weight = step_weight * (np.arange(n_steps)[None, :] < lengths[:, None])
    total = step_weight.sum()
    mean = np.einsum("nt,ntf->f", step_weight, X, dtype=np.float64) / total
    centred = X - mean  # float64 (mean is)
    # divided by a power of two above each feature's deviations (exact): their squares
    # cannot overflow, even for inputs at the limit check_magnitude lets through
    bound = np.abs(centred).max(axis=(0, 1))
    bound = np.exp2(np.ceil(np.log2(np.maximum(bound, np.finfo(np.float64).tiny))))
    centred /= bound
    variance = np.einsum("nt,ntf,ntf->f", step_weight, centred, centred) / total
    std = np.sqrt(variance) * bound
    # a constant feature: nothing to scale (its rounding noise is not a signal). The
    # rounding of the weighted sum of n_terms equal values can move the mean, and so
    # the deviation, by up to about n_terms * eps of the value (measured: 0.1 times that)
    n_terms = max(int(np.count_nonzero(step_weight)), 10)
    constant = ~(std > n_terms * np.finfo(np.float64).eps * np.abs(mean))
    std[constant] = 1.0
    # the scale is the standard deviation rounded to a power of two, and the mean
    # is rounded to a multiple of scale / 4096: dividing by the scale is then exact
    # (and so is its folding into exported weights), and the rounding of the sums
    # (a weight of k against k copies of a sample) does not reach the statistics
    # (at least the smallest normal number of dtype: a smaller power of two may round
    # to 0 there)
    scale = np.maximum(np.exp2(np.round(np.log2(std))), np.finfo(dtype).tiny)
    quantum = scale / 4096
    mean = np.round(mean / quantum) * quantum
    return mean.astype(dtype), scale.astype(dtype)


def identity(estimator):
    """``(mean, scale)`` that leave the inputs as they are: a fitted model from before
    the standardisation (a pickle, or a file of format 4 or older)."""
    n_features, dtype = estimator.n_features_per_step_, estimator._theta.dtype
    return np.zeros(n_features, dtype=dtype), np.ones(n_features, dtype=dtype)


def standardise(X, lengths, mean, scale, dtype):
    """A new array ``(X - mean) / scale`` of ``dtype``, padding (``lengths``) left at 0."""
    Z = np.subtract(X, mean, dtype=dtype)
    Z /= scale
    if lengths is not None:
        Z[np.arange(X.shape[1])[None, :] >= lengths[:, None]] = 0.0
    return Z


def fold(params, mean, scale, dtype):
    """The network ``params`` (a :class:`skrnn._network.Params` on standardised
    inputs) as one on raw inputs, in ``dtype``: new arrays, the standardisation
    folded into the first layer's input weights and bias and into the linear
    path and ``b_y`` (computed in float64).

    A first-layer input is a patch of ``patch_length`` steps (``F`` features each,
    time-major), the linear path's window ``skip_steps`` steps: ``mean`` and
    ``scale`` repeat along them. Then ``((x - m) / s) W + b = x (W / s) + (b - (m / s) W)``.
    """
    from ._network import Params

    def cast(array):
        return None if array is None else np.array(array, dtype=dtype)

    mean, scale = np.asarray(mean, dtype=np.float64), np.asarray(scale, dtype=np.float64)
    layout = params.layout
    layers = [dict(W_xh=cast(layer.W_xh), b_h=cast(layer.b_h), W_hh=cast(layer.W_hh),
                   b_hn=cast(layer.b_hn)) for layer in params.layers]
    W_xh = np.asarray(params.layers[0].W_xh, dtype=np.float64)
    k = layout.patch_length
    layers[0]["b_h"] = cast(params.layers[0].b_h - np.tile(mean / scale, k) @ W_xh)
    layers[0]["W_xh"] = cast(W_xh / np.tile(scale, k)[:, None])
    W_xy, b_y = params.W_xy, cast(params.b_y)
    if W_xy is not None:
        W_xy = np.asarray(W_xy, dtype=np.float64)
        repeat = W_xy.shape[0] // mean.shape[0]
        b_y = cast(params.b_y - np.tile(mean / scale, repeat) @ W_xy)
        W_xy = cast(W_xy / np.tile(scale, repeat)[:, None])
    return Params.from_arrays(layout, layers, cast(params.W_hy), b_y, W_xy)

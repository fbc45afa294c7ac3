"""Where the linear path starts: the ridge fit of the target on the whole window.

``RNNRegressor(skip_connection=True)`` predicts ``h_T W_hy + b_y + vec(X) W_xy``.
Before the first epoch the read-out ``W_hy`` is zero and ``(W_xy, b_y)`` is the
weighted ridge regression of the (standardised) training target on the
flattened window, so the model starts as exactly that linear model, and early
stopping can end there when the network never lowers the validation error.

The ridge penalty of each output is chosen over a grid by generalised
cross-validation (GCV, Golub, Heath & Wahba, 1979), from one eigendecomposition
of the weighted, centred Gram matrix of the window: for each penalty the
weighted mean squared residual divided by ``(1 - df / N) ** 2``, ``df`` the
effective number of parameters (the intercept included) and ``N`` the summed
weight (the number of samples when the weights average below 1: normalised
weights count each sample once). Not scikit-learn's ``RidgeCV``, whose exact
leave-one-out differs between a weight of k and k copies of a sample (leaving
out one copy is not leaving out the sample): GCV depends on the weights only
through the weighted residuals, the weighted Gram matrix and the summed
weight, so "a weight of k counts like k copies" holds for the chosen penalty
too. It costs one pass over the window and a (columns x columns) eigendecomposition.
"""

import numpy as np

from . import _network

# Penalties tried, relative to the median diagonal of the centred, weighted Gram
# matrix of the window (the summed weight times a column's variance), so that
# the grid does not depend on the units of the inputs or the number of samples:
# for standardised inputs and unit weights, 1e-8 * n to 10 * n.
RELATIVE_ALPHAS = np.logspace(-8, 1, 19)


def flat_window(X, lengths, layout):
    """The window the linear path reads, ``(n_samples, skip_steps * n_features)`` float64:
    the last ``layout.skip_steps`` raw input steps of each sequence of ``X`` (the
    network's batch-first input, patches of steps if ``layout.patch_length > 1``),
    right-aligned, zeros before a shorter one's start."""
    n_samples = X.shape[0]
    if lengths is None and layout.patch_length == 1 and X.shape[1] == layout.skip_steps:
        return X.reshape(n_samples, -1).astype(np.float64, copy=False)
    return _network.raw_window(X, lengths, layout, out=np.empty((n_samples, layout.skip_columns)))


def ridge_start(window, target, sample_weight):
    """The weighted ridge fit of ``target`` on ``window``, one penalty per output.

    Parameters
    ----------
    window : ndarray of shape (n_samples, n_columns)
    target : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    coef : ndarray of shape (n_columns, n_outputs)
    intercept : ndarray of shape (n_outputs,)
    alpha : ndarray of shape (n_outputs,)
        The chosen penalty of each output, on the weighted sum of squared
        errors: ``sum_i w_i (y_i - x_i coef - intercept) ** 2 + alpha * |coef| ** 2``.
    """
    w = np.asarray(sample_weight, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    positive = w > 0  # a zero weight is a removed sample, to the last bit
    if not positive.all():
        w, window, target = w[positive], window[positive], target[positive]
    w_sum = w.sum()
    x_mean, y_mean = w @ window / w_sum, w @ target / w_sum
    root_w = np.sqrt(w)[:, None]
    Xc = window - x_mean  # the one copy of the window: centred, then weighted in place
    Xc *= root_w
    Yc = (target - y_mean) * root_w
    # columns that do not vary (e.g. window positions before every sequence's start)
    # get no weight and do not change the grid
    column_ss = np.einsum("ij,ij->j", Xc, Xc)
    varies = column_ss > 0
    if not varies.all():
        Xc = Xc[:, varies]
    # the weighted Gram matrix V diag(s2) V^T: one eigendecomposition of a
    # (columns x columns) matrix serves every penalty
    s2, V = np.linalg.eigh(Xc.T @ Xc)
    s2 = np.maximum(s2, 0.0)
    q = V.T @ (Xc.T @ Yc)  # the target's covariance with each direction
    total = (Yc**2).sum(axis=0)
    # the grid: relative to the median diagonal of the Gram matrix over those columns
    # (the median: one column of huge values must not shrink all the others away)
    scale = float(np.median(column_ss[varies])) if varies.any() else 1.0
    alphas = RELATIVE_ALPHAS * scale
    # GCV's number of samples: the summed weight, so that a weight of k counts as
    # k copies; normalised weights (below 1 on average) count each sample once
    n_eff = max(w_sum, float(len(w)))
    gcv = np.empty((len(alphas), target.shape[1]))
    for k, a in enumerate(alphas):
        # the weighted residual sum of squares of the ridge fit at penalty a, from
        # the directions: |Yc|^2 - sum_j q_j^2 (s2_j + 2a) / (s2_j + a)^2
        fitted = (q**2 * ((s2 + 2 * a) / (s2 + a) ** 2)[:, None]).sum(axis=0)
        residual = np.maximum(total - fitted, 0.0)
        df = (s2 / (s2 + a)).sum() + 1.0  # the effective parameters, the intercept's 1 too
        denominator = 1.0 - df / n_eff
        gcv[k] = residual / n_eff / denominator**2 if denominator > 0 else np.inf
    best = np.argmin(gcv, axis=0)
    best[~np.isfinite(gcv.min(axis=0))] = len(alphas) - 1  # too few samples: shrink most
    alpha = alphas[best]
    coef = np.zeros((window.shape[1], target.shape[1]))
    coef[varies] = V @ (q / (s2[:, None] + alpha[None, :]))
    return coef, y_mean - x_mean @ coef, alpha


def training_penalty(alpha, n_outputs, n_samples, batch_size):
    """The per-batch L2 coefficient of ``W_xy`` that makes training minimise the
    same ridge objective as ``alpha``.

    A batch's loss is ``0.5 * sum_b w err**2 / (w_b * n_outputs) + 0.5 * c * |W|**2 / w_b``;
    summed over the epoch's ``n_samples / batch_size`` batches it is, up to a
    factor, ``sum w err**2 + n_outputs * (n_samples / batch_size) * c * |W|**2``.
    """
    return np.asarray(alpha, dtype=np.float64) / (n_outputs * n_samples / batch_size)

"""Where the linear path starts: the ridge fit of the target on the whole window.

``RNNRegressor(skip_connection=True)`` predicts ``h_T W_hy + b_y + vec(X) W_xy``.
Before the first epoch the read-out ``W_hy`` is zero and ``(W_xy, b_y)`` is the
weighted ridge regression of the (standardised) training target on the
flattened window, so the model starts as exactly that linear model, and early
stopping can end there when the network never lowers the validation error.

The ridge penalty of each output is chosen over a grid by generalised
cross-validation (GCV, Golub, Heath & Wahba, 1979), from one SVD of the
weighted, centred window: for each penalty the weighted mean squared
residual divided by ``(1 - df / sum(w)) ** 2``, ``df`` the effective number of
parameters (the intercept included). Not scikit-learn's ``RidgeCV``, whose
exact leave-one-out differs between a weight of k and k copies of a sample
(leaving out one copy is not leaving out the sample): GCV depends on the
weights only through the weighted residuals, the weighted Gram matrix and the
summed weight, so "a weight of k counts like k copies" holds for the chosen
penalty too. It costs one SVD (0.01 s on the weather task's 9,450 windows of
21 numbers).
"""

import numpy as np

from . import _network

# Penalties tried, relative to the median diagonal of the centred, weighted Gram
# matrix of the window (the summed weight times a column's variance), so that
# the grid does not depend on the units of the inputs or the number of samples:
# for standardised inputs and unit weights, 1e-8 * n to 10 * n.
RELATIVE_ALPHAS = np.logspace(-8, 1, 19)


def flat_window(X, lengths, n_steps):
    """The window the linear path reads, ``(n_samples, n_steps * n_features)`` float64:
    each sequence right-aligned, zeros before a shorter one's start."""
    n_samples, _, n_features = X.shape
    if lengths is None and X.shape[1] == n_steps:
        return X.reshape(n_samples, -1).astype(np.float64)
    if lengths is None:
        lengths = np.full(n_samples, X.shape[1])
    return _network.window_of(X, lengths, n_steps, n_features,
                              out=np.empty((n_samples, n_steps * n_features)))


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
    positive = w > 0  # a zero weight is a removed sample, to the last bit
    w, window = w[positive], window[positive]
    target = np.asarray(target, dtype=np.float64)[positive]
    w_sum = w.sum()
    x_mean, y_mean = w @ window / w_sum, w @ target / w_sum
    root_w = np.sqrt(w)[:, None]
    Xc, Yc = (window - x_mean) * root_w, (target - y_mean) * root_w
    # columns that do not vary (e.g. window positions before every sequence's start)
    # get no weight and do not change the grid
    column_ss = (Xc**2).sum(axis=0)
    varies = column_ss > 0
    U, s, Vt = np.linalg.svd(Xc[:, varies], full_matrices=False)
    UtY = U.T @ Yc  # the target in the window's principal directions
    outside = np.maximum((Yc**2).sum(axis=0) - (UtY**2).sum(axis=0), 0.0)  # no penalty fits it
    s2 = s**2
    # the grid: relative to the median diagonal of the Gram matrix over those columns
    # (the median: one column of huge values must not shrink all the others away)
    scale = float(np.median(column_ss[varies])) if varies.any() else 1.0
    alphas = RELATIVE_ALPHAS * scale
    gcv = np.empty((len(alphas), target.shape[1]))
    for k, a in enumerate(alphas):
        kept = s2 / (s2 + a)  # the shrinkage of each direction
        residual = outside + (((1.0 - kept)[:, None] * UtY) ** 2).sum(axis=0)
        denominator = 1.0 - (kept.sum() + 1.0) / w_sum  # df: + 1 for the intercept
        gcv[k] = residual / w_sum / denominator**2 if denominator > 0 else np.inf
    best = np.argmin(gcv, axis=0)
    best[~np.isfinite(gcv.min(axis=0))] = len(alphas) - 1  # too few samples: shrink most
    alpha = alphas[best]
    coef = np.zeros((window.shape[1], target.shape[1]))
    coef[varies] = Vt.T @ (s[:, None] / (s2[:, None] + alpha[None, :]) * UtY)
    return coef, y_mean - x_mean @ coef, alpha


def training_penalty(alpha, n_outputs, n_samples, batch_size):
    """The per-batch L2 coefficient of ``W_xy`` that makes training minimise the
    same ridge objective as ``alpha``.

    A batch's loss is ``0.5 * sum_b w err**2 / (w_b * n_outputs) + 0.5 * c * |W|**2 / w_b``;
    summed over the epoch's ``n_samples / batch_size`` batches it is, up to a
    factor, ``sum w err**2 + n_outputs * (n_samples / batch_size) * c * |W|**2``.
    """
    return np.asarray(alpha, dtype=np.float64) / (n_outputs * n_samples / batch_size)

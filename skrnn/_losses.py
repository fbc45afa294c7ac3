"""Losses of the network's raw output, and their gradients.

Each takes the raw outputs ``y_hat`` of shape (n_samples, n_outputs), the
training targets of the same shape, the sample weights (None: all 1) and
their sum, and returns ``(loss, d_loss / d_y_hat)``. ``err`` and ``d_y_hat``
are optional output buffers (the training loop passes a workspace's).
"""

import numpy as np

from ._math import sigmoid


def squared_error(y_hat, y, sample_weight, w_sum, err=None, d_y_hat=None):
    """Half the weighted mean squared error over samples and outputs.

    ``0.5 * sum_i w_i sum_k (y_hat_ik - y_ik) ** 2 / (sum_i w_i * n_outputs)``.
    """
    err = np.subtract(y_hat, y, out=err)
    scale = 1.0 / (w_sum * y.shape[1])
    weights = scale if sample_weight is None else (sample_weight * scale)[:, None]
    d_y_hat = np.multiply(err, weights, out=d_y_hat)
    return 0.5 * float(np.vdot(err, d_y_hat)), d_y_hat


def absolute_error(y_hat, y, sample_weight, w_sum, err=None, d_y_hat=None):
    """The weighted mean absolute error over samples and outputs.

    ``sum_i w_i sum_k |y_hat_ik - y_ik| / (sum_i w_i * n_outputs)``; its gradient
    is the sign of the error (0 where the error is exactly 0, as ``torch.sign``
    and ``torch.nn.L1Loss``'s backward give it).
    """
    return pinball(y_hat, y, sample_weight, w_sum, 0.5, err, d_y_hat, scale=2.0)


def pinball(y_hat, y, sample_weight, w_sum, quantile, err=None, d_y_hat=None, scale=1.0):
    """The weighted mean pinball (quantile) loss of level ``quantile``.

    With ``e = y - y_hat``: ``q * e`` where ``e >= 0``, ``(q - 1) * e`` where
    ``e < 0``, averaged as :func:`squared_error` averages (times ``scale``: 2 at
    ``q = 0.5`` gives the absolute error). Minimising it puts ``y_hat`` at the
    ``q``-quantile of ``y``; its gradient is ``-q`` where ``y_hat < y``,
    ``1 - q`` where ``y_hat > y``, 0 where they are equal.
    """
    err = np.subtract(y_hat, y, out=err)  # y_hat - y = -e
    weights = scale / (w_sum * y.shape[1])
    weights = weights if sample_weight is None else (sample_weight * weights)[:, None]
    slope = np.where(err > 0, 1.0 - quantile, np.where(err < 0, -quantile, 0.0))
    d_y_hat = np.multiply(slope, weights, out=d_y_hat)
    return float(np.vdot(err, d_y_hat)), d_y_hat


def logistic_log_loss(y_hat, y, sample_weight, w_sum, err=None, d_y_hat=None):
    """Cross-entropy of independent logistic outputs (binary and multilabel).

    ``y_hat`` holds logits, ``y`` 0/1 targets of the same shape; the loss is
    the weighted mean over samples of the sum over outputs of
    ``log(1 + exp(z)) - y z`` (``-y log p - (1 - y) log(1 - p)`` with
    ``p = sigmoid(z)``), computed without overflow, as scikit-learn's
    ``MLPClassifier`` sums it over outputs. ``d_y_hat = (p - y) w / sum(w)``.
    """
    weights = 1.0 / w_sum if sample_weight is None else (sample_weight / w_sum)[:, None]
    # log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))
    per_entry = np.logaddexp(0.0, y_hat) - y * y_hat
    loss = float(np.sum(per_entry * weights))
    p = sigmoid(y_hat, out=err if err is not None else np.empty_like(y_hat))
    d_y_hat = np.subtract(p, y, out=d_y_hat)
    d_y_hat *= weights
    return loss, d_y_hat


def softmax_log_loss(y_hat, y, sample_weight, w_sum, err=None, d_y_hat=None):
    """Cross-entropy of a softmax over the outputs (multiclass).

    ``y_hat`` holds logits, ``y`` the one-hot targets; the loss is the
    weighted mean over samples of ``logsumexp(z) - sum(y z)``, and
    ``d_y_hat = (softmax(z) - y) w / sum(w)``.
    """
    weights = 1.0 / w_sum if sample_weight is None else (sample_weight / w_sum)[:, None]
    shifted = np.subtract(y_hat, y_hat.max(axis=1, keepdims=True), out=err)
    np.exp(shifted, out=shifted)
    total = shifted.sum(axis=1, keepdims=True)
    log_total = np.log(total) + y_hat.max(axis=1, keepdims=True)  # logsumexp(z)
    per_sample = log_total[:, 0] - np.sum(y * y_hat, axis=1)
    w = 1.0 / w_sum if sample_weight is None else sample_weight / w_sum
    loss = float(np.sum(per_sample * w))
    shifted /= total  # softmax(z)
    d_y_hat = np.subtract(shifted, y, out=d_y_hat)
    d_y_hat *= weights
    return loss, d_y_hat

"""Losses of the network's raw output, and their gradients.

Each takes the raw outputs ``y_hat`` of shape (n_samples, n_outputs), the
training targets of the same shape, the sample weights (None: all 1) and
their sum, and returns ``(loss, d_loss / d_y_hat)``. ``err`` and ``d_y_hat``
are optional output buffers (the training loop passes a workspace's).
"""

import numpy as np


def squared_error(y_hat, y, sample_weight, w_sum, err=None, d_y_hat=None):
    """Half the weighted mean squared error over samples and outputs.

    ``0.5 * sum_i w_i sum_k (y_hat_ik - y_ik) ** 2 / (sum_i w_i * n_outputs)``.
    """
    err = np.subtract(y_hat, y, out=err)
    scale = 1.0 / (w_sum * y.shape[1])
    weights = scale if sample_weight is None else (sample_weight * scale)[:, None]
    d_y_hat = np.multiply(err, weights, out=d_y_hat)
    return 0.5 * float(np.vdot(err, d_y_hat)), d_y_hat

"""The memory order of a step: how the arrays of a batch lie in memory, in one place.

A time-major array holds ``n_steps`` steps of ``n_samples`` sequences and
``width`` values (features, units, gates). A step is either

* ``(n_samples, width)``, :class:`SamplesFirst`, the Elman cell's: the arrays
  of all steps are one matrix, so a product over every step is one product;
* ``(width, n_samples)``, :class:`SamplesLast`, the gated cells': a unit of a
  gate over the batch is one row, so a gate block is contiguous and an
  element-wise pass over it is one inner loop.

A cell names its order once (``ORDER``, see :mod:`skrnn._cells`) and makes its
buffers with it; the network reads it from the layout
(:class:`skrnn._network.Layout`, ``order``) for its own buffers, its
conversions from and to batch-first arrays and its products over every step.
What remains written for one order is the arithmetic inside each cell's step
(e.g. ``h W_hh`` or ``W_hh^T h``): a cell runs in one order only.
"""

import numpy as np


class _Order:
    """What both orders build the same way from their ``step_shape``."""

    @classmethod
    def step_buffers(cls, n, n_samples, width, dtype):
        """An uninitialised array of ``n`` steps and its ``n`` per-step views."""
        array = np.empty(cls.step_shape(n, n_samples, width), dtype=dtype)  # written before read
        return array, list(array)

    @classmethod
    def step(cls, n_samples, width, dtype):
        """An uninitialised array of one step."""
        return np.empty(cls.step_shape(1, n_samples, width)[1:], dtype=dtype)


class SamplesFirst(_Order):
    """Memory order of the Elman cell: a step is ``(n_samples, width)``.

    The arrays of all steps, ``(n_steps, n_samples, width)``, are one
    ``(n_steps * n_samples, width)`` matrix, so the input projection and each
    weight gradient are one matrix product over every step.
    """

    samples_axis = 1  # of a time-major array

    @staticmethod
    def step_shape(n_steps, n_samples, width):
        return (n_steps, n_samples, width)

    @staticmethod
    def features(X, columns):
        """The given features (an int: the first ones; or a slice) of a time-major array."""
        return X[..., :columns] if isinstance(columns, int) else X[..., columns]

    @staticmethod
    def from_batch_first(X):
        return X.transpose(1, 0, 2)

    @staticmethod
    def from_time_major(X):  # (n_steps, n_samples, n) as it is
        return X

    @staticmethod
    def to_batch_first(X):
        return X.transpose(1, 0, 2)

    @staticmethod
    def project(W, inputs, out):  # out[t] = inputs[t] @ W
        np.dot(inputs.reshape(-1, inputs.shape[2]), W, out=out.reshape(-1, out.shape[2]))

    @staticmethod
    def add_bias(Z, b, step):  # Z[t] += b, through ``step``, a buffer of one step
        step[...] = b  # b copied over the batch: the sum is one pass per step, not
        Z += step  # one short pass per sample (b's rows): 2-3 times faster at hidden 128

    @staticmethod
    def per_sample(a):  # (n_steps, n_samples) -> broadcast against a step's arrays
        return a[:, :, None]

    @staticmethod
    def last_states(H, lengths):
        """``(n_samples, hidden)``: each sequence's state after its last step."""
        return H[-1] if lengths is None else H[lengths, np.arange(H.shape[1])]

    @staticmethod
    def into_states(W_hy, d_y_hat, out):  # the gradient into the read-out states
        return np.dot(d_y_hat, W_hy.T, out=out)

    @staticmethod
    def place_last(d_top, lengths, d_last):
        d_top[lengths - 1, np.arange(d_top.shape[1])] = d_last

    @staticmethod
    def gradient_buffer(n_steps, rows, columns, dtype):  # weight_gradient needs no tmp
        return None

    @staticmethod
    def weight_gradient(inputs, dZ, out, tmp):  # sum_t inputs[t]^T dZ[t]
        np.dot(inputs.reshape(-1, inputs.shape[2]).T, dZ.reshape(-1, dZ.shape[2]), out=out)

    @staticmethod
    def bias_gradient(dZ, ones, out, tmp):  # sum over steps and samples: one product
        np.dot(ones[: dZ.shape[0] * dZ.shape[1]], dZ.reshape(-1, dZ.shape[2]), out=out)

    @staticmethod
    def below(W_xh, dZ, out):  # out[t] = dZ[t] @ W_xh^T
        np.dot(dZ.reshape(-1, dZ.shape[2]), W_xh.T, out=out.reshape(-1, out.shape[2]))
        return out


class SamplesLast(_Order):
    """Memory order of the gated cells: a step is ``(width, n_samples)``.

    Each row is one unit of one gate over the batch, so every gate block of a
    step is contiguous and an element-wise pass over it is one inner loop (in
    the other order a block is ``n_samples`` short rows: at hidden 16, a pass
    cost three times as much). Products over every step are stacked
    (``np.matmul``) instead of one matrix product.
    """

    samples_axis = 2

    @staticmethod
    def step_shape(n_steps, n_samples, width):
        return (n_steps, width, n_samples)

    @staticmethod
    def features(X, columns):
        return X[:, :columns] if isinstance(columns, int) else X[:, columns]

    @staticmethod
    def from_batch_first(X):
        return X.transpose(1, 2, 0)

    @staticmethod
    def from_time_major(X):  # (n_steps, n_samples, n) -> (n_steps, n, n_samples)
        return X.transpose(0, 2, 1)

    @staticmethod
    def to_batch_first(X):
        return X.transpose(2, 0, 1)

    @staticmethod
    def project(W, inputs, out):  # out[t] = W^T inputs[t]
        np.matmul(W.T, inputs, out=out)

    @staticmethod
    def add_bias(Z, b, step):  # one pass per step, not one per unit (b's column)
        step[...] = b[:, None]
        Z += step

    @staticmethod
    def per_sample(a):
        return a[:, None, :]

    @staticmethod
    def last_states(H, lengths):
        return H[-1].T if lengths is None else H[lengths, :, np.arange(H.shape[2])]

    @staticmethod
    def into_states(W_hy, d_y_hat, out):
        return np.dot(W_hy, d_y_hat.T, out=out)

    @staticmethod
    def place_last(d_top, lengths, d_last):
        d_top[lengths - 1, :, np.arange(d_top.shape[2])] = d_last.T

    @staticmethod
    def gradient_buffer(n_steps, rows, columns, dtype):  # the tmp of weight_gradient
        return product_buffer(n_steps, rows, columns, dtype)

    @staticmethod
    def weight_gradient(inputs, dZ, out, tmp):  # sum_t inputs[t] dZ[t]^T
        sum_of_products(inputs, dZ, out=out, tmp=tmp)

    @staticmethod
    def bias_gradient(dZ, ones, out, tmp):  # each step's row sums, then their sum
        np.sum(np.matmul(dZ, ones[: dZ.shape[2]], out=tmp[: len(dZ)]), axis=0, out=out)

    @staticmethod
    def below(W_xh, dZ, out):  # out[t] = W_xh dZ[t]
        return np.matmul(W_xh, dZ, out=out)


def product_buffer(n_steps, rows, columns, dtype):
    """The ``tmp`` that :func:`sum_of_products` takes for ``(rows, columns)`` results.

    One ``(n_steps, rows, columns)`` block (one stacked product, then a sum)
    while it is small; a single ``(rows, columns)`` matrix (a product per step)
    beyond a million numbers, where both cost the same and the block would be
    large (hidden 256, 64 steps: 134 MB in float64).
    """
    shape = (n_steps, rows, columns) if n_steps * rows * columns <= 2**20 else (rows, columns)
    return np.empty(shape, dtype=dtype)


def sum_of_products(A, B, out, tmp):
    """``out = sum_t A[t] @ B[t].T`` over the steps (leading axis) of ``A`` and ``B``.

    The gradient of a weight matrix, summed over the steps. ``tmp`` comes from
    :func:`product_buffer` (for at least ``len(A)`` steps).
    """
    if tmp.ndim == 3:  # every step's product at once, then their sum
        products = tmp[: len(A)]
        np.matmul(A, B.transpose(0, 2, 1), out=products)
        return np.sum(products, axis=0, out=out)
    np.dot(A[0], B[0].T, out=out)
    for t in range(1, len(A)):
        np.dot(A[t], B[t].T, out=tmp)
        out += tmp
    return out

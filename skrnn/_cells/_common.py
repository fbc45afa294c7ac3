"""Helpers shared by the cells."""

import numpy as np


def step_buffers(n, n_samples, width, dtype, samples_last):
    """An uninitialised array of ``n`` steps and its ``n`` per-step views.

    With ``samples_last`` (the gated cells), step ``t`` is the contiguous
    ``(width, n_samples)`` array ``array[t]``: a row is one unit (of one gate)
    over the batch, so a gate block is a contiguous run of rows and an
    element-wise pass over it is one inner loop. Otherwise (the Elman cell,
    one block) a step is ``(n_samples, width)``.
    """
    shape = (n, width, n_samples) if samples_last else (n, n_samples, width)
    array = np.empty(shape, dtype=dtype)  # every pass writes before it reads
    return array, list(array)


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


def gate_coefficients(kinds, hidden_size, n_samples, dtype):
    """Per-row ``(scale, shift, scale**2)`` that turn one tanh into each gate's activation.

    ``kinds`` lists the gate blocks, "sigmoid" or "tanh". With ``s`` = 1/2 on
    sigmoid rows and 1 on tanh rows, and ``b`` = 1/2 and 0,
    ``s * tanh(s * a) + b`` is the sigmoid or the tanh of ``a`` (see
    :func:`activate_gates`), and its derivative is ``s**2 - (gate - b)**2``
    (see :func:`gate_derivative`): a whole step of gates is activated, and
    differentiated, in a few passes instead of a few per block. Each has the
    shape of one step, ``(len(kinds) * hidden_size, n_samples)`` (an operand of
    the same shape is a single inner loop; a broadcast column would be one per
    row).
    """
    scale = np.concatenate([np.full(hidden_size, 0.5 if k == "sigmoid" else 1.0) for k in kinds])
    shift = np.concatenate([np.full(hidden_size, 0.5 if k == "sigmoid" else 0.0) for k in kinds])
    return tuple(np.repeat(a.astype(dtype)[:, None], n_samples, axis=1)
                 for a in (scale, shift, scale * scale))


def activate_gates(Z, scale, shift):
    """Replace the pre-activations ``Z`` by the gates: ``scale * tanh(scale * Z) + shift``."""
    Z *= scale
    np.tanh(Z, out=Z)
    Z *= scale
    Z += shift
    return Z


def gate_derivative(G, scale_squared, shift, out):
    """d gate / d pre-activation from the gates ``G``: ``sigma (1 - sigma)`` or ``1 - tanh**2``."""
    np.subtract(G, shift, out=out)
    out *= out
    np.subtract(scale_squared, out, out=out)
    return out

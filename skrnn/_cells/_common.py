"""Helpers shared by the cells."""

import numpy as np


def step_buffers(n, n_samples, width, dtype):
    """An uninitialised array of ``n`` steps of ``(n_samples, width)`` and its per-step views."""
    array = np.empty((n, n_samples, width), dtype=dtype)  # every pass writes before it reads
    return array, list(array)


def sigmoid(Z, out):
    """The logistic function, as ``0.5 * tanh(Z / 2) + 0.5`` (never overflows).

    Mathematically equal to ``1 / (1 + exp(-Z))``; NumPy's tanh is about twice
    as fast as ``scipy.special.expit`` on the small arrays of a training step.
    Rounding errors are absolute, about 1e-16 in float64.
    """
    np.multiply(Z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def gate_coefficients(kinds, hidden_size, dtype):
    """Per-column ``(scale, shift)`` that turn one tanh into each gate's activation.

    ``kinds`` lists the gate blocks, "sigmoid" or "tanh". With ``s`` = 1/2 on
    sigmoid columns and 1 on tanh columns, and ``b`` = 1/2 and 0,
    ``s * tanh(s * a) + b`` is the sigmoid or the tanh of ``a`` (see
    :func:`activate_gates`), and its derivative is ``s**2 - (gate - b)**2``
    (see :func:`gate_derivative`): a whole row of gates is activated, and
    differentiated, in passes over contiguous memory instead of one pass per
    block.
    """
    scale = np.concatenate([np.full(hidden_size, 0.5 if k == "sigmoid" else 1.0) for k in kinds])
    shift = np.concatenate([np.full(hidden_size, 0.5 if k == "sigmoid" else 0.0) for k in kinds])
    return scale.astype(dtype), shift.astype(dtype), (scale * scale).astype(dtype)


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

"""Helpers shared by the cells."""

import numpy as np


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

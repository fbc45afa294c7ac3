"""Helpers shared by the cells."""

import numpy as np


def step_buffers(n, n_samples, width, dtype):
    """An array of ``n`` steps of ``(n_samples, width)`` and its list of per-step views."""
    array = np.zeros((n, n_samples, width), dtype=dtype)
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

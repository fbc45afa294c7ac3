"""A loop-per-window NumPy RNN, trained as the seed tutorial trains.

One sequence at a time: a Python loop over the samples, a forward loop and a
backward loop over the steps of that one sequence, then a plain SGD update.
It exists only as the slow reference point of ``bench_speed.py``.
"""

import numpy as np


def init(n_inputs, hidden, rng):
    return dict(
        W_xh=rng.uniform(-0.1, 0.1, (n_inputs, hidden)),
        W_hh=rng.uniform(-0.1, 0.1, (hidden, hidden)),
        b_h=np.zeros(hidden),
        W_hy=rng.uniform(-0.1, 0.1, (hidden, 1)),
        b_y=np.zeros(1),
    )


def train_epoch(p, X, y, learning_rate=1e-3):
    """One epoch of per-window SGD; X of shape (n_samples, n_steps, n_inputs)."""
    for x, target in zip(X, y):
        hs = [np.zeros(p["W_hh"].shape[0])]
        for x_t in x:  # forward, one step at a time
            hs.append(np.tanh(x_t @ p["W_xh"] + hs[-1] @ p["W_hh"] + p["b_h"]))
        d_y = hs[-1] @ p["W_hy"] + p["b_y"] - target
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        grads["W_hy"] += np.outer(hs[-1], d_y)
        grads["b_y"] += d_y
        dh = p["W_hy"] @ d_y
        for t in reversed(range(len(x))):  # backward through time
            dz = dh * (1 - hs[t + 1] ** 2)
            grads["W_xh"] += np.outer(x[t], dz)
            grads["W_hh"] += np.outer(hs[t], dz)
            grads["b_h"] += dz
            dh = p["W_hh"] @ dz
        for k in p:
            p[k] -= learning_rate * grads[k]

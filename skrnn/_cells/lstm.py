"""Long short-term memory (Hochreiter & Schmidhuber, 1997), with PyTorch's equations.

With ``x`` the layer input, ``(h, c)`` the previous state and the gate blocks
of ``W_xh``, ``W_hh`` and ``b_h`` in the order ``[i | f | g | o]``::

    i  = sigmoid(x W_xi + h W_hi + b_i)          input gate
    f  = sigmoid(x W_xf + h W_hf + b_f)          forget gate
    g  = tanh(x W_xg + h W_hg + b_g)             candidate cell
    o  = sigmoid(x W_xo + h W_ho + b_o)          output gate
    c' = f * c + i * g
    h' = o * tanh(c')

with ``h_{-1} = c_{-1} = 0``. ``b_h`` is torch's ``bias_ih + bias_hh`` (only
the sum matters). Forward keeps the activated gates in ``Z`` (over the
pre-activations), the cell states in ``C`` (``C[0]`` the initial one) and
``tanh(c')`` in ``TC``; backward overwrites ``Z`` with ``dLoss/dZ``.
"""

from types import SimpleNamespace

import numpy as np

from ._common import sigmoid, step_buffers

N_GATES = 4
TORCH_MODULE = "LSTM"


def extra_shapes(hidden_size):
    return {}


def initialize_biases(layer):
    """Forget-gate bias 1 (Gers et al., 2000; Jozefowicz et al., 2015), others 0."""
    hidden = layer.b_h.shape[0] // 4
    layer.b_h[hidden : 2 * hidden] = 1.0


def torch_biases(layer):
    """``bias_ih = b_h``, ``bias_hh = 0``."""
    return layer.b_h, np.zeros_like(layer.b_h)


def workspace(n_steps, n_samples, hidden_size, dtype):
    ws = SimpleNamespace()
    ws.Z, ws.Z_t = step_buffers(n_steps, n_samples, 4 * hidden_size, dtype)
    ws.H, ws.H_t = step_buffers(n_steps + 1, n_samples, hidden_size, dtype)
    ws.C, ws.C_t = step_buffers(n_steps + 1, n_samples, hidden_size, dtype)
    ws.TC, ws.TC_t = step_buffers(n_steps, n_samples, hidden_size, dtype)
    ws.recurrent = np.empty((n_samples, 4 * hidden_size), dtype=dtype)  # h W_hh
    ws.tmp = np.empty((n_samples, hidden_size), dtype=dtype)
    ws.W_hh_T = np.empty((4 * hidden_size, hidden_size), dtype=dtype)
    return ws


def forward(layer, ws, state0=None, activation="tanh"):
    H_t, C_t, W_hh = ws.H_t, ws.C_t, layer.W_hh
    hidden = W_hh.shape[0]
    i, f, g, o = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
    if state0 is None:
        ws.H[0] = ws.C[0] = 0.0
    else:
        ws.H[0], ws.C[0] = state0
    for t, Z in enumerate(ws.Z_t):
        if t or state0 is not None:  # otherwise h_{-1} = 0 contributes nothing
            np.dot(H_t[t], W_hh, out=ws.recurrent)
            Z += ws.recurrent
        sigmoid(Z[:, : 2 * hidden], out=Z[:, : 2 * hidden])  # i, f
        np.tanh(Z[:, g], out=Z[:, g])  # g
        sigmoid(Z[:, o], out=Z[:, o])  # o
        c_new = C_t[t + 1]
        np.multiply(Z[:, f], C_t[t], out=c_new)
        np.multiply(Z[:, i], Z[:, g], out=ws.tmp)
        c_new += ws.tmp  # c' = f c + i g
        np.tanh(c_new, out=ws.TC_t[t])
        np.multiply(Z[:, o], ws.TC_t[t], out=H_t[t + 1])  # h' = o tanh(c')


def backward(layer, ws, d_out, first, grads, activation="tanh"):
    C_t, W_hh = ws.C_t, layer.W_hh
    hidden = W_hh.shape[0]
    W_hh_T = ws.W_hh_T
    np.copyto(W_hh_T, W_hh.T)
    kept = len(ws.Z_t) - first
    per_step = d_out.ndim == 3  # the layer above reads every state
    dh = d_out[-1] if per_step else d_out  # into the last state h
    dc = None  # into the last cell state c, from later steps: none
    for k in reversed(range(kept)):  # k = t - first
        t = first + k
        G, tc = ws.Z_t[t], ws.TC_t[t]
        i, f = G[:, :hidden], G[:, hidden : 2 * hidden]
        g, o = G[:, 2 * hidden : 3 * hidden], G[:, 3 * hidden :]
        d_o = dh * tc  # into o, through h' = o tanh(c')
        d_c = dh * o * (1.0 - tc * tc)  # into c', back through tanh
        if dc is not None:
            d_c += dc  # c' also feeds the next step
        d_i = d_c * g  # into i, through c' = f c + i g
        d_g = d_c * i  # into g
        d_f = d_c * C_t[t]  # into f
        dc = d_c * f  # into c, through f c
        d_i *= i * (1.0 - i)  # back through the sigmoids and the tanh:
        d_f *= f * (1.0 - f)  # dZ = [dZ_i | dZ_f | dZ_g | dZ_o]
        d_g *= 1.0 - g * g
        d_o *= o * (1.0 - o)
        G[:, :hidden], G[:, hidden : 2 * hidden] = d_i, d_f
        G[:, 2 * hidden : 3 * hidden], G[:, 3 * hidden :] = d_g, d_o
        if k:
            dh = np.dot(G, W_hh_T)  # back through W_hh into h_{t-1}
            if per_step:
                dh += d_out[k - 1]  # h_{t-1} also feeds the layer above
    dZ = ws.Z[first:].reshape(-1, 4 * hidden)
    np.dot(ws.H[first:-1].reshape(-1, hidden).T, dZ, out=grads.W_hh)
    return ws.Z[first:]


def state(ws, t):
    return ws.H[t], ws.C[t]

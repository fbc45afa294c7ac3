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

from .._order import SamplesLast
from ._common import activate_gates, gate_coefficients, gate_derivative

N_GATES = 4
TORCH_MODULE = "LSTM"
ACTIVATIONS = ("tanh",)  # sigmoid gates and tanh candidate and output, fixed
AUTO_LEARNING_RATE = 1e-2  # learning_rate_init="auto": gated cells learn slower
ORDER = SamplesLast  # a step is (gates * hidden_size, n_samples): gate blocks are row blocks


def extra_shapes(hidden_size):
    return {}


def initialize_biases(layer):
    """Forget-gate bias 1 (Gers et al., 2000; Jozefowicz et al., 2015), others 0."""
    hidden = layer.b_h.shape[0] // 4
    layer.b_h[hidden : 2 * hidden] = 1.0


def torch_kwargs(activation):
    return {}


def torch_biases(layer):
    """``bias_ih = b_h``, ``bias_hh = 0``."""
    return layer.b_h, np.zeros_like(layer.b_h)


def workspace(n_steps, n_samples, hidden_size, dtype):
    ws = SimpleNamespace()
    ws.Z, ws.Z_t = ORDER.step_buffers(n_steps, n_samples, 4 * hidden_size, dtype)
    ws.H, ws.H_t = ORDER.step_buffers(n_steps + 1, n_samples, hidden_size, dtype)
    ws.C, ws.C_t = ORDER.step_buffers(n_steps + 1, n_samples, hidden_size, dtype)
    ws.TC, ws.TC_t = ORDER.step_buffers(n_steps, n_samples, hidden_size, dtype)
    ws.recurrent = ORDER.step(n_samples, 4 * hidden_size, dtype)  # W_hh^T h
    ws.dG = ORDER.step(n_samples, 4 * hidden_size, dtype)  # into the gates
    ws.D = ORDER.step(n_samples, 4 * hidden_size, dtype)  # d gates / d Z
    ws.tmp = ORDER.step(n_samples, hidden_size, dtype)
    ws.dc_next = ORDER.step(n_samples, hidden_size, dtype)  # into c_{t-1}, carried back
    ws.dh = ORDER.step(n_samples, hidden_size, dtype)  # into one state
    ws.dW = ORDER.gradient_buffer(n_steps, hidden_size, 4 * hidden_size, dtype)  # for dW_hh
    ws.scale, ws.shift, ws.scale2 = gate_coefficients(_KINDS, hidden_size, n_samples, dtype)
    return ws


_KINDS = ("sigmoid", "sigmoid", "tanh", "sigmoid")  # i, f, g, o


def forward(layer, ws, state0=None, activation="tanh"):
    H_t, C_t, W_hh_T = ws.H_t, ws.C_t, layer.W_hh.T
    hidden = W_hh_T.shape[1]
    i, f, g, o = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
    if state0 is None:
        ws.H[0] = ws.C[0] = 0.0
    else:
        ws.H[0], ws.C[0] = state0[0].T, state0[1].T
    for t, Z in enumerate(ws.Z_t):
        if t or state0 is not None:  # otherwise h_{-1} = 0 contributes nothing
            np.dot(W_hh_T, H_t[t], out=ws.recurrent)
            Z += ws.recurrent  # the recurrent contribution
        activate_gates(Z, ws.scale, ws.shift)  # i, f, o = sigmoid(.), g = tanh(.)
        c_new = C_t[t + 1]
        np.multiply(Z[f], C_t[t], out=c_new)
        np.multiply(Z[i], Z[g], out=ws.tmp)
        c_new += ws.tmp  # c' = f c + i g
        np.tanh(c_new, out=ws.TC_t[t])
        np.multiply(Z[o], ws.TC_t[t], out=H_t[t + 1])  # h' = o tanh(c')


def backward(layer, ws, d_out, first, grads, activation="tanh", keep=None):
    C_t, W_hh = ws.C_t, layer.W_hh
    hidden = W_hh.shape[0]
    i, f, g, o = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
    dG, dc = ws.dG, ws.tmp
    kept = len(ws.Z_t) - first
    per_step = d_out.ndim == 3  # the layer above reads every state
    dh = d_out[-1] if per_step else d_out  # into the last state h
    for k in reversed(range(kept)):  # k = t - first
        t = first + k
        G, tc = ws.Z_t[t], ws.TC_t[t]
        np.multiply(dh, tc, out=dG[o])  # into o, through h' = o tanh(c')
        np.multiply(tc, tc, out=dc)
        np.subtract(1.0, dc, out=dc)
        dc *= G[o]
        dc *= dh  # into c', back through tanh
        if k < kept - 1:
            dc += ws.dc_next  # c' also feeds the next step
        np.multiply(dc, G[g], out=dG[i])  # into i, through c' = f c + i g
        np.multiply(dc, C_t[t], out=dG[f])  # into f
        np.multiply(dc, G[i], out=dG[g])  # into g
        np.multiply(dc, G[f], out=ws.dc_next)  # into c, through f c
        gate_derivative(G, ws.scale2, ws.shift, out=ws.D)
        np.multiply(dG, ws.D, out=G)  # back through the gates: dZ = [dZ_i | dZ_f | dZ_g | dZ_o]
        if k:
            dh = np.dot(W_hh, G, out=ws.dh)  # back through W_hh into h_{t-1}
            if per_step:
                dh += d_out[k - 1]  # h_{t-1} also feeds the layer above
            if keep is not None:  # per-sequence truncation: h_{t-1} and c_{t-1}
                dh *= keep[t]
                ws.dc_next *= keep[t]
    ORDER.weight_gradient(ws.H[first:-1], ws.Z[first:], out=grads.W_hh, tmp=ws.dW)
    return ws.Z[first:]


def state(ws, t):
    return ws.H[t].T, ws.C[t].T

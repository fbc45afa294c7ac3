"""The gated recurrent unit (Cho et al., 2014), with PyTorch's equations.

With ``x`` the layer input, ``h`` the previous state and the gate blocks of
``W_xh``, ``W_hh`` and ``b_h`` in the order ``[r | z | n]``::

    r  = sigmoid(x W_xr + h W_hr + b_r)          reset gate
    z  = sigmoid(x W_xz + h W_hz + b_z)          update gate
    hn = h W_hn + b_hn                           recurrent part of the candidate
    n  = tanh(x W_xn + b_n + r * hn)             candidate state
    h' = (1 - z) * n + z * h

``b_r`` and ``b_z`` are torch's ``b_ir + b_hr`` and ``b_iz + b_hz`` (only
their sums matter); ``b_n`` is ``b_in``. ``b_hn`` sits inside ``r * (...)``
and cannot be folded, so it is a parameter of its own.

Forward keeps the activated gates ``[r | z | n]`` in ``Z`` (over the
pre-activations) and ``hn`` in ``HN``; backward overwrites ``Z`` with
``dLoss/dZ`` and fills ``dA``, the gradient of the recurrent product
``h W_hh`` (whose ``n`` block differs from ``dZ``'s by the factor ``r``).
"""

from types import SimpleNamespace

import numpy as np

from .._math import sigmoid
from .._order import SamplesLast
from ._common import gate_coefficients, gate_derivative

N_GATES = 3
TORCH_MODULE = "GRU"
ACTIVATIONS = ("tanh",)  # sigmoid gates and a tanh candidate, fixed
AUTO_LEARNING_RATE = 1e-2  # learning_rate_init="auto": gated cells learn slower
ORDER = SamplesLast  # a step is (gates * hidden_size, n_samples): gate blocks are row blocks


def extra_shapes(hidden_size):
    return {"b_hn": (hidden_size,)}


def initialize_biases(layer):
    pass  # zeros


def torch_kwargs(activation):
    return {}


def torch_biases(layer):
    """``bias_ih = [b_r | b_z | b_n]``, ``bias_hh = [0 | 0 | b_hn]``."""
    bias_hh = np.zeros_like(layer.b_h)
    bias_hh[2 * layer.b_hn.shape[0] :] = layer.b_hn
    return layer.b_h, bias_hh


def workspace(n_steps, n_samples, hidden_size, dtype):
    ws = SimpleNamespace()
    ws.Z, ws.Z_t = ORDER.step_buffers(n_steps, n_samples, 3 * hidden_size, dtype)
    ws.H, ws.H_t = ORDER.step_buffers(n_steps + 1, n_samples, hidden_size, dtype)
    ws.HN, ws.HN_t = ORDER.step_buffers(n_steps, n_samples, hidden_size, dtype)
    ws.dA, ws.dA_t = ORDER.step_buffers(n_steps, n_samples, 3 * hidden_size, dtype)
    ws.recurrent = ORDER.step(n_samples, 3 * hidden_size, dtype)  # W_hh^T h
    ws.dG = ORDER.step(n_samples, 3 * hidden_size, dtype)  # into the gates
    ws.D = ORDER.step(n_samples, 3 * hidden_size, dtype)  # d gates / d Z
    ws.tmp = ORDER.step(n_samples, hidden_size, dtype)
    ws.dh = ORDER.step(n_samples, hidden_size, dtype)  # into one state
    ws.dW = ORDER.gradient_buffer(n_steps, hidden_size, 3 * hidden_size, dtype)  # for dW_hh
    ws.b_hn = ORDER.step(n_samples, hidden_size, dtype)  # b_hn over the batch
    ws.scale, ws.shift, ws.scale2 = gate_coefficients(_KINDS, hidden_size, n_samples, dtype)
    return ws


_KINDS = ("sigmoid", "sigmoid", "tanh")  # r, z, n


def forward(layer, ws, state0=None, activation="tanh"):
    H_t, W_hh_T = ws.H_t, layer.W_hh.T
    hidden = layer.b_hn.shape[0]
    rz, n = slice(0, 2 * hidden), slice(2 * hidden, None)
    ws.H[0] = 0.0 if state0 is None else state0.T
    b_hn = ws.b_hn
    b_hn[...] = layer.b_hn[:, None]
    A = ws.recurrent
    for t, Z in enumerate(ws.Z_t):
        if t or state0 is not None:
            np.dot(W_hh_T, H_t[t], out=A)  # W_hh^T h, all three blocks
            Z[rz] += A[rz]
            np.add(A[n], b_hn, out=ws.HN_t[t])  # hn = h W_hn + b_hn
        else:  # h_{-1} = 0
            ws.HN_t[t][...] = b_hn
        sigmoid(Z[rz], out=Z[rz])  # r, z
        r, z = Z[:hidden], Z[hidden : 2 * hidden]
        np.multiply(r, ws.HN_t[t], out=ws.tmp)
        Z[n] += ws.tmp
        np.tanh(Z[n], out=Z[n])  # n
        h_new = H_t[t + 1]
        np.subtract(H_t[t], Z[n], out=h_new)
        h_new *= z
        h_new += Z[n]  # h' = n + z (h - n) = (1 - z) n + z h


def backward(layer, ws, d_out, first, grads, activation="tanh", keep=None):
    H_t, W_hh = ws.H_t, layer.W_hh
    hidden = layer.b_hn.shape[0]
    r, z, n = (slice(k * hidden, (k + 1) * hidden) for k in range(3))
    dG, D, direct = ws.dG, ws.D, ws.tmp
    kept = len(ws.Z_t) - first
    per_step = d_out.ndim == 3  # the layer above reads every state
    dh = d_out[-1] if per_step else d_out  # into the last state
    for k in reversed(range(kept)):  # k = t - first
        t = first + k
        G, dA = ws.Z_t[t], ws.dA_t[t]  # G = [r | z | n]
        gate_derivative(G, ws.scale2, ws.shift, out=D)  # [r (1 - r) | z (1 - z) | 1 - n^2]
        np.multiply(dh, G[z], out=direct)  # into h, through z h
        np.subtract(dh, direct, out=dG[n])  # into n, through (1 - z) n
        np.subtract(H_t[t], G[n], out=dG[z])
        dG[z] *= dh  # into z: h' = n + z (h - n)
        np.multiply(dG[n], D[n], out=dA[n])  # back through tanh: dZ_n
        np.multiply(dA[n], ws.HN_t[t], out=dG[r])  # into r, through r hn
        dA[n] *= G[r]  # into hn = h W_hn + b_hn, through r hn
        np.multiply(dG, D, out=G)  # back through the gates: dZ = [dZ_r | dZ_z | dZ_n]
        dA[: 2 * hidden] = G[: 2 * hidden]  # dA = [dZ_r | dZ_z | d hn]
        if k:
            dh = np.dot(W_hh, dA, out=ws.dh)  # back through W_hh into h_{t-1}
            dh += direct
            if per_step:
                dh += d_out[k - 1]  # h_{t-1} also feeds the layer above
            if keep is not None:
                dh *= keep[t]  # per-sequence truncation
    dA = ws.dA[first:]
    ORDER.weight_gradient(ws.H[first:-1], dA, out=grads.W_hh, tmp=ws.dW)
    np.sum(dA[:, n], axis=(0, 2), out=grads.b_hn)
    return ws.Z[first:]


def state(ws, t):
    return ws.H[t].T

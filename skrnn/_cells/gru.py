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

from ._common import sigmoid, step_buffers

N_GATES = 3
TORCH_MODULE = "GRU"


def extra_shapes(hidden_size):
    return {"b_hn": (hidden_size,)}


def initialize_biases(layer):
    pass  # zeros


def torch_biases(layer):
    """``bias_ih = [b_r | b_z | b_n]``, ``bias_hh = [0 | 0 | b_hn]``."""
    bias_hh = np.zeros_like(layer.b_h)
    bias_hh[2 * layer.b_hn.shape[0] :] = layer.b_hn
    return layer.b_h, bias_hh


def workspace(n_steps, n_samples, hidden_size, dtype):
    ws = SimpleNamespace()
    ws.Z, ws.Z_t = step_buffers(n_steps, n_samples, 3 * hidden_size, dtype)
    ws.H, ws.H_t = step_buffers(n_steps + 1, n_samples, hidden_size, dtype)
    ws.HN, ws.HN_t = step_buffers(n_steps, n_samples, hidden_size, dtype)
    ws.dA, ws.dA_t = step_buffers(n_steps, n_samples, 3 * hidden_size, dtype)
    ws.recurrent = np.empty((n_samples, 3 * hidden_size), dtype=dtype)  # h W_hh
    ws.tmp = np.empty((n_samples, hidden_size), dtype=dtype)
    ws.W_hh_T = np.empty((3 * hidden_size, hidden_size), dtype=dtype)
    return ws


def forward(layer, ws, state0=None, activation="tanh"):
    H_t, W_hh, b_hn = ws.H_t, layer.W_hh, layer.b_hn
    hidden = b_hn.shape[0]
    rz, n = slice(0, 2 * hidden), slice(2 * hidden, None)
    ws.H[0] = 0.0 if state0 is None else state0
    A = ws.recurrent
    for t, Z in enumerate(ws.Z_t):
        if t or state0 is not None:
            np.dot(H_t[t], W_hh, out=A)  # h W_hh, all three blocks
            Z[:, rz] += A[:, rz]
            np.add(A[:, n], b_hn, out=ws.HN_t[t])  # hn = h W_hn + b_hn
        else:  # h_{-1} = 0
            ws.HN_t[t][...] = b_hn
        sigmoid(Z[:, rz], out=Z[:, rz])  # r, z
        r, z = Z[:, :hidden], Z[:, hidden : 2 * hidden]
        np.multiply(r, ws.HN_t[t], out=ws.tmp)
        Z[:, n] += ws.tmp
        np.tanh(Z[:, n], out=Z[:, n])  # n
        h_new = H_t[t + 1]
        np.subtract(H_t[t], Z[:, n], out=h_new)
        h_new *= z
        h_new += Z[:, n]  # h' = n + z (h - n) = (1 - z) n + z h


def backward(layer, ws, d_out, first, grads, activation="tanh"):
    H_t, W_hh = ws.H_t, layer.W_hh
    hidden = layer.b_hn.shape[0]
    W_hh_T = ws.W_hh_T
    np.copyto(W_hh_T, W_hh.T)
    kept = len(ws.Z_t) - first
    per_step = d_out.ndim == 3  # the layer above reads every state
    dh = d_out[-1] if per_step else d_out  # into the last state
    for k in reversed(range(kept)):  # k = t - first
        t = first + k
        G, dA = ws.Z_t[t], ws.dA_t[t]
        r, z, n = G[:, :hidden], G[:, hidden : 2 * hidden], G[:, 2 * hidden :]
        dA_r, dA_z, dA_n = dA[:, :hidden], dA[:, hidden : 2 * hidden], dA[:, 2 * hidden :]
        h = H_t[t]
        direct = dh * z  # into h through z * h
        np.subtract(h, n, out=dA_z)
        dA_z *= dh  # into z
        dA_z *= z * (1.0 - z)  # back through sigmoid: dZ_z
        dZ_n = dh * (1.0 - z)  # into n
        dZ_n *= 1.0 - n * n  # back through tanh: dZ_n
        np.multiply(dZ_n, ws.HN_t[t], out=dA_r)  # into r
        dA_r *= r * (1.0 - r)  # back through sigmoid: dZ_r
        np.multiply(dZ_n, r, out=dA_n)  # into hn = h W_hn + b_hn, through r * hn
        G[:, : 2 * hidden] = dA[:, : 2 * hidden]  # dZ = [dZ_r | dZ_z | dZ_n]
        G[:, 2 * hidden :] = dZ_n
        if k:
            dh = np.dot(dA, W_hh_T)  # back through W_hh into h_{t-1}
            dh += direct
            if per_step:
                dh += d_out[k - 1]  # h_{t-1} also feeds the layer above
    dA = ws.dA[first:].reshape(-1, 3 * hidden)
    np.dot(ws.H[first:-1].reshape(-1, hidden).T, dA, out=grads.W_hh)
    np.sum(dA[:, 2 * hidden :], axis=0, out=grads.b_hn)
    return ws.Z[first:]


def state(ws, t):
    return ws.H[t]

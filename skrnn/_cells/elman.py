"""The Elman cell: ``h_t = act(x_t W_xh + b_h + h_{t-1} W_hh)``.

``Z[t] = x_t W_xh + b_h`` arrives from the network; forward adds
``h_{t-1} W_hh`` in place and applies the activation, so ``Z`` holds the
pre-activations afterwards. Backward overwrites them with ``act'(Z)`` and then
with ``dLoss/dZ``, step by step (each is needed only until then). The same
equations as ``torch.nn.RNN`` with its two biases summed into ``b_h``.
"""

from types import SimpleNamespace

import numpy as np

from .._order import SamplesFirst

N_GATES = 1
TORCH_MODULE = "RNN"
ACTIVATIONS = ("tanh", "relu")  # the choices of the activation parameter
AUTO_LEARNING_RATE = 3e-3  # learning_rate_init="auto"
ORDER = SamplesFirst  # a step is (n_samples, hidden_size): one block, rows are samples


def extra_shapes(hidden_size):
    return {}  # W_xh, b_h and W_hh are all


def initialize_biases(layer):
    pass  # zeros


def torch_kwargs(activation):
    """Constructor arguments of the torch module beyond the sizes."""
    return {"nonlinearity": activation}


def torch_biases(layer):
    """``bias_ih = b_h``, ``bias_hh = 0``."""
    return layer.b_h, np.zeros_like(layer.b_h)


def workspace(n_steps, n_samples, hidden_size, dtype):
    ws = SimpleNamespace()
    ws.Z, ws.Z_t = ORDER.step_buffers(n_steps, n_samples, hidden_size, dtype)
    ws.H, ws.H_t = ORDER.step_buffers(n_steps + 1, n_samples, hidden_size, dtype)
    ws.recurrent = ORDER.step(n_samples, hidden_size, dtype)  # h_{t-1} W_hh
    ws.dh = ORDER.step(n_samples, hidden_size, dtype)  # gradient into one state
    # W_hh^T copied contiguous: products with it are faster than with the view
    ws.W_hh_T = np.empty((hidden_size, hidden_size), dtype=dtype)
    return ws


def forward(layer, ws, state0=None, activation="tanh"):
    act = np.tanh if activation == "tanh" else _relu
    Z_t, H_t, W_hh = ws.Z_t, ws.H_t, layer.W_hh
    ws.H[0] = 0.0 if state0 is None else state0
    if state0 is not None:  # otherwise h_{-1} = 0 contributes nothing
        Z_t[0] += np.dot(H_t[0], W_hh)
    act(Z_t[0], out=H_t[1])  # h_0
    for t in range(1, len(Z_t)):
        np.dot(H_t[t], W_hh, out=ws.recurrent)  # the recurrent contribution
        Z_t[t] += ws.recurrent
        act(Z_t[t], out=H_t[t + 1])  # new hidden state


def backward(layer, ws, d_out, first, grads, activation="tanh", keep=None):
    # one buffer under two names: step k holds act'(Z) (act_prime_t[k]) until the
    # loop reaches it and writes dZ over it (dZ_t[k]), in place, no copy
    H = ws.H
    act_prime_t = dZ_t = ws.Z_t[first:]
    kept = len(dZ_t)
    W_hh_T = ws.W_hh_T
    np.copyto(W_hh_T, layer.W_hh.T)
    _activation_derivative(H[first + 1 :], activation, out=ws.Z[first:])  # act'(Z)
    per_step = d_out.ndim == 3  # the layer above reads every state
    dh = d_out[-1] if per_step else d_out  # into the last state
    for k in reversed(range(kept)):  # k = t - first
        np.multiply(dh, act_prime_t[k], out=dZ_t[k])  # back through act
        if k:
            dh = np.dot(dZ_t[k], W_hh_T, out=ws.dh)  # back through W_hh into h_{t-1}
            if per_step:
                dh += d_out[k - 1]  # h_{t-1} also feeds the layer above
            if keep is not None:
                dh *= keep[first + k]  # per-sequence truncation
    dZ = ws.Z[first:]
    ORDER.weight_gradient(H[first:-1], dZ, out=grads.W_hh, tmp=None)  # sum_t h_{t-1}^T dZ_t
    return dZ


def state(ws, t):
    return ws.H[t]


def _relu(Z, out):
    return np.maximum(Z, 0.0, out=out)


def _activation_derivative(H, activation, out):
    """d act / d Z for every stored state H = act(Z), in one pass."""
    if activation == "tanh":
        np.multiply(H, H, out=out)
        np.subtract(1.0, out, out=out)  # tanh' = 1 - tanh^2
    else:
        np.greater(H, 0.0, out=out)  # relu' = 1 where the unit is on
    return out

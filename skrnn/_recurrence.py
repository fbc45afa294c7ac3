"""The Elman recurrence: forward pass and backpropagation through time.

Pure functions, no state: every function takes the parameters and the data
it needs and returns arrays. Nothing here updates weights or keeps inputs
between calls.

Notation (one layer ``l``, time-major arrays)::

    Z[t]     = x_t W_xh + b_h + h_{t-1} W_hh      pre-activation
    H[t + 1] = act(Z[t])                          H[0] = h0 (zeros by default)
    y_hat    = H_last[T] W_hy + b_y               read-out of the last state

Time-major means arrays have shape ``(n_steps, n_samples, n_features)``, so
the state of all samples at one step is one contiguous matrix.

All parameters live in one flat vector ``theta``; :class:`Params` holds
views into it, so an optimizer can update ``theta`` with a handful of vector
operations while the recurrence reads the matrices it needs.
"""

import numpy as np


class Params:
    """Named views into a flat parameter (or gradient) vector.

    Parameters
    ----------
    flat : ndarray of shape (n_params,)
        The flat buffer. The views share its memory.
    n_inputs : int
        Features per time step fed to the first layer.
    hidden_size, n_layers, n_outputs : int
        Sizes of the network.

    Attributes
    ----------
    W_xh : list of ndarray, layer ``l`` of shape (n_in_l, hidden_size)
    W_hh : list of ndarray of shape (hidden_size, hidden_size)
    b_h : list of ndarray of shape (hidden_size,)
    W_hy : ndarray of shape (hidden_size, n_outputs)
    b_y : ndarray of shape (n_outputs,)
    """

    def __init__(self, flat, n_inputs, hidden_size, n_layers, n_outputs):
        self.flat = flat
        self.W_xh, self.W_hh, self.b_h = [], [], []
        offset = 0

        def take(*shape):
            nonlocal offset
            size = int(np.prod(shape))
            view = flat[offset : offset + size].reshape(shape)
            offset += size
            return view

        for layer in range(n_layers):
            n_in = n_inputs if layer == 0 else hidden_size
            self.W_xh.append(take(n_in, hidden_size))
            self.W_hh.append(take(hidden_size, hidden_size))
            self.b_h.append(take(hidden_size))
        self.W_hy = take(hidden_size, n_outputs)
        self.b_y = take(n_outputs)
        if offset != flat.shape[0]:
            raise ValueError(
                f"flat buffer has {flat.shape[0]} entries, the network needs {offset}"
            )

    def like(self, flat):
        """Views of the same layout into another flat buffer (e.g. gradients)."""
        return Params(flat, self.W_xh[0].shape[0], self.W_hh[0].shape[0],
                      len(self.W_hh), self.W_hy.shape[1])

    def weight_mask(self):
        """1 where ``flat`` holds a weight-matrix entry (L2-penalised), 0 for biases."""
        mask = self.like(np.zeros_like(self.flat))
        for W in mask.W_xh + mask.W_hh + [mask.W_hy]:
            W[...] = 1.0
        return mask.flat

    @staticmethod
    def size(n_inputs, hidden_size, n_layers, n_outputs):
        """Number of scalars in the flat vector of a network of these sizes."""
        n = 0
        for layer in range(n_layers):
            n_in = n_inputs if layer == 0 else hidden_size
            n += n_in * hidden_size + hidden_size * hidden_size + hidden_size
        return n + hidden_size * n_outputs + n_outputs


def _activate(Z, activation, out):
    if activation == "tanh":
        return np.tanh(Z, out=out)
    return np.maximum(Z, 0.0, out=out)


def _activation_derivative(H, activation):
    """d act / d Z, computed from the stored output H = act(Z)."""
    if activation == "tanh":
        return 1.0 - H * H  # tanh' = 1 - tanh^2
    return (H > 0).astype(H.dtype)  # relu' = 1 where the unit is on


def forward(params, X, activation="tanh", h0=None):
    """Run the recurrence over a batch of sequences.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_steps, n_samples, n_inputs)
        Time-major input.
    activation : {"tanh", "relu"}
    h0 : list of ndarray of shape (n_samples, hidden_size), optional
        Initial state of each layer; zeros when omitted.

    Returns
    -------
    y_hat : ndarray of shape (n_samples, n_outputs)
    states : list of ndarray of shape (n_steps + 1, n_samples, hidden_size)
        ``states[l][0]`` is the initial state and ``states[l][t + 1]`` the
        state of layer ``l`` after step ``t``.
    """
    n_steps, n_samples = X.shape[0], X.shape[1]
    states = []
    layer_input = X
    for layer, (W_xh, W_hh, b_h) in enumerate(zip(params.W_xh, params.W_hh, params.b_h)):
        hidden_size = W_hh.shape[0]
        H = np.empty((n_steps + 1, n_samples, hidden_size), dtype=X.dtype)
        H[0] = 0.0 if h0 is None else h0[layer]
        # input projection of every step at once: one matrix product
        Z = (layer_input.reshape(-1, layer_input.shape[2]) @ W_xh).reshape(H[1:].shape)
        Z += b_h
        for t in range(n_steps):
            Z[t] += H[t] @ W_hh  # add the recurrent contribution
            _activate(Z[t], activation, out=H[t + 1])  # new hidden state
        states.append(H)
        layer_input = H[1:]
    y_hat = states[-1][-1] @ params.W_hy + params.b_y  # linear read-out
    return y_hat, states


def predict(params, X, activation="tanh"):
    """Forward pass for prediction: same result as :func:`forward`, no states kept."""
    layer_input = X
    for W_xh, W_hh, b_h in zip(params.W_xh, params.W_hh, params.b_h):
        Z = (layer_input.reshape(-1, layer_input.shape[2]) @ W_xh).reshape(
            X.shape[0], X.shape[1], W_xh.shape[1]
        )
        Z += b_h
        h = np.zeros(Z.shape[1:], dtype=X.dtype)
        for t in range(X.shape[0]):
            Z[t] += h @ W_hh
            h = _activate(Z[t], activation, out=Z[t])  # Z[t] now holds h_t
        layer_input = Z
    return h @ params.W_hy + params.b_y


def backward(params, X, states, d_y_hat, activation="tanh", bptt_steps=None):
    """Backpropagation through time.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_steps, n_samples, n_inputs)
        The time-major input given to :func:`forward`.
    states : list of ndarray
        The states returned by :func:`forward`.
    d_y_hat : ndarray of shape (n_samples, n_outputs)
        Gradient of the loss with respect to the predictions.
    activation : {"tanh", "relu"}
    bptt_steps : int or None
        Truncation: gradients flow back through at most this many steps from
        the end of the sequence (states before that are treated as constants).
        None backpropagates through the whole sequence.

    Returns
    -------
    grads : ndarray of shape (n_params,)
        Flat gradient, laid out like ``params.flat``.
    """
    n_steps = X.shape[0]
    first = 0 if bptt_steps is None else max(0, n_steps - bptt_steps)
    grads = params.like(np.zeros_like(params.flat))
    h_last = states[-1][-1]
    grads.W_hy[...] = h_last.T @ d_y_hat  # read-out weights
    grads.b_y[...] = d_y_hat.sum(axis=0)
    # gradient reaching each state of the top layer: only the last one is read out
    d_states = np.zeros_like(states[-1][1:])
    d_states[-1] = d_y_hat @ params.W_hy.T
    for layer in reversed(range(len(states))):
        H = states[layer]
        W_hh = params.W_hh[layer]
        layer_input = X if layer == 0 else states[layer - 1][1:]
        dZ = np.zeros_like(d_states)
        dh_next = np.zeros_like(H[0])  # gradient from step t + 1 into h_t
        for t in reversed(range(first, n_steps)):
            dh = d_states[t] + dh_next  # h_t feeds the layer above and step t + 1
            dZ[t] = dh * _activation_derivative(H[t + 1], activation)  # through act
            dh_next = dZ[t] @ W_hh.T  # back through the recurrent weights
        dZ_kept = dZ[first:].reshape(-1, dZ.shape[2])
        grads.W_xh[layer][...] = layer_input[first:].reshape(-1, layer_input.shape[2]).T @ dZ_kept
        grads.W_hh[layer][...] = H[first:-1].reshape(-1, H.shape[2]).T @ dZ_kept
        grads.b_h[layer][...] = dZ_kept.sum(axis=0)
        if layer > 0:
            d_states = dZ @ params.W_xh[layer].T  # into the layer below, every step
    return grads.flat

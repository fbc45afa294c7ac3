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
operations while the recurrence reads the matrices it needs. Each layer's
``b_h`` is stored right after its ``W_xh``, so that ``[W_xh; b_h]`` is one
matrix: given the input with a column of ones appended
(:func:`with_bias_column`), the input projection *and* its bias are one
matrix product, and so are their gradients.
"""

from math import prod

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
    W_hy : ndarray of shape (hidden_size, n_outputs)
    b_h : list of ndarray of shape (hidden_size,)
    b_y : ndarray of shape (n_outputs,)
    W_xb : list of ndarray of shape (n_in_l + 1, hidden_size)
        ``[W_xh; b_h]`` of each layer, as one matrix (a view).
    """

    def __init__(self, flat, n_inputs, hidden_size, n_layers, n_outputs):
        self.flat = flat
        self.sizes = (n_inputs, hidden_size, n_layers, n_outputs)
        offset = 0

        def take(*shape):
            nonlocal offset
            size = prod(shape)
            view = flat[offset : offset + size].reshape(shape)
            offset += size
            return view

        self.W_xb, self.W_hh = [], []
        for layer in range(n_layers):
            self.W_xb.append(take((n_inputs if layer == 0 else hidden_size) + 1, hidden_size))
            self.W_hh.append(take(hidden_size, hidden_size))
        self.W_xh = [W_xb[:-1] for W_xb in self.W_xb]
        self.b_h = [W_xb[-1] for W_xb in self.W_xb]
        self.W_hy = take(hidden_size, n_outputs)
        self.b_y = take(n_outputs)
        if offset != flat.shape[0]:
            raise ValueError(
                f"flat buffer has {flat.shape[0]} entries, the network needs {offset}"
            )

    def like(self, flat):
        """Views of the same layout into another flat buffer (e.g. gradients)."""
        return Params(flat, *self.sizes)

    def weight_mask(self):
        """1 where ``flat`` holds a weight-matrix entry (L2-penalised), 0 for biases."""
        mask = self.like(np.ones_like(self.flat))
        for b in mask.b_h + [mask.b_y]:
            b[...] = 0.0
        return mask.flat

    @staticmethod
    def pack(W_xb, W_hh, W_hy, b_y):
        """One flat vector, in the layout of ``Params``, from per-layer arrays.

        ``W_xb[l]`` is ``[W_xh; b_h]`` of layer ``l``, or the pair ``(W_xh, b_h)``.
        """
        pieces = []
        for layer_xb, layer_hh in zip(W_xb, W_hh):
            pieces += list(layer_xb) if isinstance(layer_xb, tuple) else [layer_xb]
            pieces.append(layer_hh)
        return np.concatenate([a.ravel() for a in pieces + [W_hy, b_y]])

    @staticmethod
    def size(n_inputs, hidden_size, n_layers, n_outputs):
        """Number of scalars in the flat vector of a network of these sizes."""
        n = 0
        for layer in range(n_layers):
            n_in = n_inputs if layer == 0 else hidden_size
            n += n_in * hidden_size + hidden_size * hidden_size + hidden_size
        return n + hidden_size * n_outputs + n_outputs


def with_bias_column(X):
    """X with a column of ones appended, so that ``X1 @ [W_xh; b_h] = X @ W_xh + b_h``."""
    X1 = np.empty(X.shape[:-1] + (X.shape[-1] + 1,), dtype=X.dtype)
    X1[..., :-1] = X
    X1[..., -1] = 1.0
    return X1


def _input_projection(layer_input, W_xh, b_h, W_xb=None):
    """x_t W_xh + b_h for every step at once: one matrix product.

    If ``layer_input`` carries a last column of ones (:func:`with_bias_column`),
    ``W_xb = [W_xh; b_h]`` is used and the bias comes with the product.
    """
    n_steps, n_samples, n_in = layer_input.shape
    inputs = layer_input.reshape(n_steps * n_samples, n_in)
    if W_xb is not None and n_in == W_xb.shape[0]:  # the input has the column of ones
        Z = inputs @ W_xb
    else:
        Z = inputs @ W_xh
        Z += b_h
    return Z.reshape(n_steps, n_samples, W_xh.shape[1])


def forward(params, X, activation="tanh", h0=None):
    """Run the recurrence over a batch of sequences.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_steps, n_samples, n_inputs) or (..., n_inputs + 1)
        Time-major input, optionally with a last column of ones
        (:func:`with_bias_column`, faster).
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
    act = np.tanh if activation == "tanh" else _relu
    states = []
    layer_input = X
    for layer, W_hh in enumerate(params.W_hh):
        H = np.empty((n_steps + 1, n_samples, W_hh.shape[0]), dtype=X.dtype)
        H[0] = 0.0 if h0 is None else h0[layer]
        Z = _input_projection(
            layer_input, params.W_xh[layer], params.b_h[layer], params.W_xb[layer]
        )
        for t in range(n_steps):
            if t or h0 is not None:  # h_{-1} = 0 contributes nothing
                Z[t] += H[t] @ W_hh  # add the recurrent contribution
            act(Z[t], out=H[t + 1])  # new hidden state
        states.append(H)
        layer_input = H[1:]
    y_hat = states[-1][-1] @ params.W_hy  # linear read-out of the last state
    y_hat += params.b_y
    return y_hat, states


def predict(params, X, activation="tanh"):
    """Forward pass for prediction: same result as :func:`forward`, no states kept.

    ``params`` only needs ``W_xh``, ``W_hh``, ``b_h``, ``W_hy`` and ``b_y``;
    ``X`` has no column of ones.
    """
    act = np.tanh if activation == "tanh" else _relu
    layer_input = X
    for W_xh, W_hh, b_h in zip(params.W_xh, params.W_hh, params.b_h):
        Z = _input_projection(layer_input, W_xh, b_h)
        h = act(Z[0], out=Z[0])  # h_0, from h_{-1} = 0
        for t in range(1, X.shape[0]):
            Z[t] += h @ W_hh
            h = act(Z[t], out=Z[t])  # Z[t] now holds h_t
        layer_input = Z
    return h @ params.W_hy + params.b_y


def _relu(Z, out):
    return np.maximum(Z, 0.0, out=out)


def _column_sums(A):
    """A.sum(axis=0) as a matrix-vector product: several times faster on small A."""
    return np.ones(A.shape[0], dtype=A.dtype) @ A


def _activation_derivative(H, activation):
    """d act / d Z for every stored state H = act(Z), in one operation."""
    if activation == "tanh":
        D = np.multiply(H, H)
        np.subtract(1.0, D, out=D)  # tanh' = 1 - tanh^2
        return D
    return (H > 0).astype(H.dtype)  # relu' = 1 where the unit is on


def backward(params, X, states, d_y_hat, activation="tanh", bptt_steps=None):
    """Backpropagation through time.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_steps, n_samples, n_inputs) or (..., n_inputs + 1)
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
    n_steps, n_layers = X.shape[0], len(states)
    first = 0 if bptt_steps is None else max(0, n_steps - bptt_steps)
    d_W_xb, d_W_hh = [None] * n_layers, [None] * n_layers
    d_W_hy = states[-1][-1].T @ d_y_hat  # read-out weights
    d_b_y = d_y_hat.sum(axis=0)
    # Gradient reaching the states of the current layer from above, for steps
    # first..n_steps-1. The top layer is read out at the last step only.
    d_above = None
    d_last = d_y_hat @ params.W_hy.T
    for layer in reversed(range(n_layers)):
        H = states[layer]
        W_hh_T = params.W_hh[layer].T
        layer_input = X if layer == 0 else states[layer - 1][1:]
        D = _activation_derivative(H[first + 1 :], activation)  # act' at each kept step
        dZ = np.empty_like(D)
        dh = d_last if d_above is None else d_above[-1]  # gradient into h_{T-1}
        for k in reversed(range(len(D))):  # k = t - first
            np.multiply(dh, D[k], out=dZ[k])  # back through act
            if k:
                dh = dZ[k] @ W_hh_T  # back through the recurrent weights into h_{t-1}
                if d_above is not None:
                    dh += d_above[k - 1]  # h_{t-1} also feeds the layer above
        dZ_2d = dZ.reshape(-1, dZ.shape[2])
        kept_input = layer_input[first:].reshape(-1, layer_input.shape[2])
        d_input = kept_input.T @ dZ_2d  # [dW_xh; db_h] if the input has the ones column
        if d_input.shape[0] < params.W_xb[layer].shape[0]:
            d_input = (d_input, _column_sums(dZ_2d))  # (dW_xh, db_h)
        d_W_xb[layer] = d_input
        d_W_hh[layer] = H[first:-1].reshape(-1, H.shape[2]).T @ dZ_2d
        if layer:  # into the layer below, at every kept step
            d_above = (dZ_2d @ params.W_xh[layer].T).reshape(dZ.shape[0], dZ.shape[1], -1)
    return Params.pack(d_W_xb, d_W_hh, d_W_hy, d_b_y)

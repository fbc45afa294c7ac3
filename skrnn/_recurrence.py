"""The Elman recurrence: forward pass and backpropagation through time.

Functions without state of their own: each takes the parameters and the data
it needs and returns arrays. Nothing here updates weights. The training loop
passes a :class:`Workspace` (buffers reused by every batch of one shape) so
that ``forward`` and ``backward`` compute in place instead of allocating;
without one they allocate fresh buffers, with the same results bit for bit.

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


class Workspace:
    """Buffers for one batch shape, reused by every batch of that shape.

    At the tutorial's scale a training step is a few dozen NumPy calls on
    arrays of a few hundred numbers, so allocating arrays and slicing per-step
    views in every batch would cost as much as the arithmetic. A workspace
    holds, for batches of ``n_samples`` sequences of ``n_steps`` steps, the
    input, states, pre-activations and gradient buffers, and the per-step views
    into them. The training loop makes one per batch size at the start of each
    epoch. :func:`forward` and :func:`backward` write into it; what they return
    are views of its buffers, valid until the next call that uses it.

    Parameters
    ----------
    sizes : tuple of int
        ``(n_inputs, hidden_size, n_layers, n_outputs)``, as ``Params.sizes``.
    n_steps, n_samples : int
        Shape of the batches.
    dtype : numpy dtype
        Floating dtype the pass computes in.
    """

    def __init__(self, sizes, n_steps, n_samples, dtype):
        n_inputs, hidden, n_layers, n_outputs = sizes
        self.shape = (n_steps, n_samples)

        def buffers(n):
            arrays = [np.zeros((n, n_samples, hidden), dtype=dtype) for _ in range(n_layers)]
            return arrays, [list(a) for a in arrays]  # the arrays and their per-step views

        # X: the batch input with its column of ones; y: the batch targets
        self.X = np.empty((n_steps, n_samples, n_inputs + 1), dtype=dtype)
        self.y = np.empty((n_samples, n_outputs), dtype=dtype)
        self.H, self.H_t = buffers(n_steps + 1)  # H[l][0] is the initial state
        # pre-activations Z in forward; backward overwrites them with act'(Z),
        # then with dLoss/dZ, step by step (each is needed only until then)
        self.Z, self.Z_t = buffers(n_steps)
        self.d_below = (  # gradient from a layer into the one below it
            np.empty((n_steps, n_samples, hidden), dtype=dtype) if n_layers > 1 else None
        )
        self.recurrent = np.empty((n_samples, hidden), dtype=dtype)  # h_{t-1} W_hh
        self.dh = np.empty((n_samples, hidden), dtype=dtype)  # gradient into one state
        # W_hh^T of the layer being backpropagated, copied contiguous: products
        # with a contiguous matrix are faster than with the transposed view
        self.W_hh_T = np.empty((hidden, hidden), dtype=dtype)
        self.y_hat = np.empty((n_samples, n_outputs), dtype=dtype)
        self.err = np.empty((n_samples, n_outputs), dtype=dtype)
        self.d_y_hat = np.empty((n_samples, n_outputs), dtype=dtype)
        self.ones = np.ones(n_steps * n_samples, dtype=dtype)  # column sums as products
        self.grad = np.empty(Params.size(*sizes), dtype=dtype)
        self.grads = Params(self.grad, *sizes)  # views of the flat gradient
        self.h0_is_zero = True

    @classmethod
    def for_input(cls, params, X):
        """A workspace for ``X``, in the common dtype of ``X`` and ``params``."""
        dtype = np.result_type(params.flat.dtype, X.dtype)
        return cls(params.sizes, X.shape[0], X.shape[1], dtype)

    def check(self, X):
        if X.shape[:2] != self.shape:
            raise ValueError(
                f"the workspace is for batches of {self.shape[1]} sequences of "
                f"{self.shape[0]} steps; X holds {X.shape[1]} of {X.shape[0]}."
            )
        return self


def _input_projection(layer_input, W_xh, b_h, W_xb=None, out=None):
    """x_t W_xh + b_h for every step at once: one matrix product.

    If ``layer_input`` carries a last column of ones (:func:`with_bias_column`),
    ``W_xb = [W_xh; b_h]`` is used and the bias comes with the product.
    ``out``, if given, is a C-contiguous array of shape (n_steps, n_samples, hidden).
    """
    n_steps, n_samples, n_in = layer_input.shape
    inputs = layer_input.reshape(n_steps * n_samples, n_in)
    if out is None:
        dtype = np.result_type(inputs.dtype, W_xh.dtype)
        out = np.empty((n_steps, n_samples, W_xh.shape[1]), dtype=dtype)
    Z = out.reshape(n_steps * n_samples, W_xh.shape[1])
    if W_xb is not None and n_in == W_xb.shape[0]:  # the input has the column of ones
        np.dot(inputs, W_xb, out=Z)
    else:
        np.dot(inputs, W_xh, out=Z)
        Z += b_h
    return out


def forward(params, X, activation="tanh", h0=None, workspace=None):
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
    workspace : Workspace, optional
        Buffers to compute in (a new one when omitted).

    Returns
    -------
    y_hat : ndarray of shape (n_samples, n_outputs)
    states : list of ndarray of shape (n_steps + 1, n_samples, hidden_size)
        ``states[l][0]`` is the initial state and ``states[l][t + 1]`` the
        state of layer ``l`` after step ``t``.

    Both are buffers of the workspace: the next pass through it overwrites them.
    """
    ws = Workspace.for_input(params, X) if workspace is None else workspace.check(X)
    act = np.tanh if activation == "tanh" else _relu
    layer_input = X
    for layer, W_hh in enumerate(params.W_hh):
        H, H_t, Z_t = ws.H[layer], ws.H_t[layer], ws.Z_t[layer]
        if h0 is not None or not ws.h0_is_zero:
            H[0] = 0.0 if h0 is None else h0[layer]
        _input_projection(
            layer_input, params.W_xh[layer], params.b_h[layer], params.W_xb[layer],
            out=ws.Z[layer],
        )
        if h0 is not None:  # otherwise h_{-1} = 0 contributes nothing
            Z_t[0] += np.dot(H_t[0], W_hh)
        act(Z_t[0], out=H_t[1])  # h_0
        for t in range(1, len(Z_t)):
            np.dot(H_t[t], W_hh, out=ws.recurrent)  # the recurrent contribution
            Z_t[t] += ws.recurrent
            act(Z_t[t], out=H_t[t + 1])  # new hidden state
        layer_input = H[1:]
    ws.h0_is_zero = h0 is None
    np.dot(H_t[-1], params.W_hy, out=ws.y_hat)  # linear read-out of the last state
    ws.y_hat += params.b_y
    return ws.y_hat, ws.H


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


def _activation_derivative(H, activation, out):
    """d act / d Z for every stored state H = act(Z), in one pass."""
    if activation == "tanh":
        np.multiply(H, H, out=out)
        np.subtract(1.0, out, out=out)  # tanh' = 1 - tanh^2
    else:
        np.greater(H, 0.0, out=out)  # relu' = 1 where the unit is on
    return out


def backward(params, X, states, d_y_hat, activation="tanh", bptt_steps=None, workspace=None):
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
    workspace : Workspace, optional
        The workspace given to :func:`forward` (a new one when omitted).

    Returns
    -------
    grads : ndarray of shape (n_params,)
        Flat gradient, laid out like ``params.flat``: the workspace's buffer,
        overwritten by the next backward pass through it.
    """
    ws = Workspace.for_input(params, X) if workspace is None else workspace.check(X)
    g = ws.grads
    n_steps, n_samples = X.shape[0], X.shape[1]
    first = 0 if bptt_steps is None else max(0, n_steps - bptt_steps)
    kept = n_steps - first
    ones = ws.ones[: kept * n_samples]
    np.dot(states[-1][-1].T, d_y_hat, out=g.W_hy)  # read-out weights
    np.dot(ones[:n_samples], d_y_hat, out=g.b_y)
    # Gradient reaching the states of the current layer from above, for steps
    # first..n_steps-1. The top layer is read out at the last step only.
    d_above = None
    dh = np.dot(d_y_hat, params.W_hy.T, out=ws.dh)  # into h_{T-1} of the top layer
    for layer in reversed(range(len(states))):
        H, W_hh_T = states[layer], ws.W_hh_T
        np.copyto(W_hh_T, params.W_hh[layer].T)
        dZ_t = ws.Z_t[layer][first:]  # act'(Z), then dLoss/dZ in place
        _activation_derivative(H[first + 1 :], activation, ws.Z[layer][first:])
        if d_above is not None:
            dh = d_above[-1]
        for k in reversed(range(kept)):  # k = t - first
            np.multiply(dh, dZ_t[k], out=dZ_t[k])  # back through act
            if k:  # back through the recurrent weights into h_{t-1}
                dh = np.dot(dZ_t[k], W_hh_T, out=ws.dh)
                if d_above is not None:
                    dh += d_above[k - 1]  # h_{t-1} also feeds the layer above
        dZ = ws.Z[layer][first:].reshape(-1, W_hh_T.shape[0])
        layer_input = X if layer == 0 else states[layer - 1][1:]
        inputs = layer_input[first:].reshape(kept * n_samples, -1)
        if inputs.shape[1] == g.W_xb[layer].shape[0]:  # input with the column of ones
            np.dot(inputs.T, dZ, out=g.W_xb[layer])  # [dW_xh; db_h] in one product
        else:
            np.dot(inputs.T, dZ, out=g.W_xh[layer])
            np.dot(ones, dZ, out=g.b_h[layer])
        np.dot(H[first:-1].reshape(kept * n_samples, -1).T, dZ, out=g.W_hh[layer])
        if layer:  # into the layer below, at every kept step
            d_above = ws.d_below[first:]
            np.dot(dZ, params.W_xh[layer].T, out=d_above.reshape(dZ.shape))
    return ws.grad

"""The network: layers of one cell stacked, a linear read-out, and its BPTT.

Functions without state of their own, and the layout of the flat parameter
vector. Nothing here updates weights.

Notation (layer ``l``, time-major arrays: ``n_steps`` steps of one
``(n_samples, width)`` block for the Elman cell, ``(width, n_samples)`` for the
gated cells: the memory order of :mod:`skrnn._order`)::

    Z[t]     = x_t W_xh + b_h                 input projection, every step at once
    H[t + 1] = cell(Z[t], H[t])               H[0] = initial state (zeros)
    y_hat    = H_top[T] W_hy + b_y            read-out of the last layer's last state
             (+ vec(X) W_xy)                  optional linear path from the whole window

``x_t`` is the input at step ``t`` for the first layer and the state of layer
``l - 1`` at step ``t`` above. The cells (:mod:`skrnn._cells`) run the
recurrence; this module computes the input projections, stacks the layers,
truncates backpropagation and reads out.

All parameters live in one flat vector ``theta``, laid out by
:class:`Layout`; :class:`Params` holds named views into it, so an optimizer
updates ``theta`` with a few vector operations while the network reads the
matrices it needs. The first layer's input carries a last feature of ones,
so that its projection and its bias are one product (see "The bias column"
below, the one place that knows of it).

The training loop passes a :class:`Workspace` (buffers reused by every batch
of one shape) so that nothing is allocated per batch; without one,
:func:`forward` makes a fresh one.
"""

from math import prod
from types import SimpleNamespace

import numpy as np

from ._cells import get_cell
from ._denormals import flush_denormals


class Layout:
    """Where each parameter block lives in the flat vector.

    Parameters
    ----------
    cell : {"elman", "gru", "lstm"}
    n_inputs : int
        Features per step of the recurrence fed to the first layer: with
        patches, ``patch_length`` input steps of ``n_inputs / patch_length``
        features each.
    hidden_size, n_layers, n_outputs : int
        Sizes of the network.
    activation : {"tanh", "relu"}, default="tanh"
        Activation of the Elman cell (the gated cells ignore it).
    skip_steps : int, default=0
        With ``skip_steps > 0``, a linear path ``W_xy`` of shape
        ``(skip_steps * n_features, n_outputs)`` from the batch-first flattened
        raw input window (row ``t * n_features + j`` for feature ``j`` at step
        ``t``; ``n_features = n_inputs / patch_length``) to the output. It reads
        the last ``skip_steps`` input steps of each sequence (zeros before the
        start of a shorter one), whatever the patches. 0: no linear path.
    patch_length : int, default=1
        Input steps per step of the recurrence (:mod:`skrnn._patches`): the
        network's input is patches of ``patch_length`` steps.
    readout : {"last", "mean", "max"}, default="last"
        What ``W_hy`` reads of the top layer: its state after each sequence's
        last step, or the mean or the (per unit) maximum of its states over
        the sequence's valid steps.

    Each layer ``l`` holds, in this order, ``W_xh`` of shape
    ``(n_in_l, G * hidden_size)``, ``b_h`` of shape ``(G * hidden_size,)``,
    ``W_hh`` of shape ``(hidden_size, G * hidden_size)`` and the cell's extra
    parameters (GRU: ``b_hn``); then ``W_hy`` of shape
    ``(hidden_size, n_outputs)`` and ``b_y``, and ``W_xy`` if ``skip_steps``.
    G is the cell's number of gates.
    """

    def __init__(self, cell, n_inputs, hidden_size, n_layers, n_outputs, activation="tanh",
                 skip_steps=0, patch_length=1, readout="last"):
        self.cell_name = cell
        self.cell = get_cell(cell)
        self.n_inputs, self.hidden_size = int(n_inputs), hidden_size
        self.n_layers, self.n_outputs = n_layers, n_outputs
        self.activation = activation
        self.skip_steps, self.patch_length = int(skip_steps), int(patch_length)
        if readout not in ("last", "mean", "max"):
            raise ValueError(f"readout must be 'last', 'mean' or 'max', got {readout!r}")
        self.readout = readout
        if self.n_inputs % self.patch_length:
            raise ValueError(f"n_inputs={n_inputs} is not patch_length={patch_length} "
                             "steps of whole features")
        self.n_features = self.n_inputs // self.patch_length  # of one input step
        self.skip_columns = skip_steps * self.n_features  # the linear path's window
        self.width = self.cell.N_GATES * hidden_size  # columns of W_xh and W_hh
        self.order = self.cell.ORDER  # of the arrays of a batch (skrnn._order)

    def __reduce__(self):  # pickled by its arguments (a module does not pickle)
        return Layout, (self.cell_name, self.n_inputs, self.hidden_size, self.n_layers,
                        self.n_outputs, self.activation, self.skip_steps, self.patch_length,
                        self.readout)

    def layer_blocks(self, layer):
        """``(name, shape, penalised)`` of one layer's blocks, in storage order."""
        n_in = self.n_inputs if layer == 0 else self.hidden_size
        blocks = [
            ("W_xh", (n_in, self.width), True),
            ("b_h", (self.width,), False),
            ("W_hh", (self.hidden_size, self.width), True),
        ]
        extra = self.cell.extra_shapes(self.hidden_size)
        return blocks + [(name, shape, False) for name, shape in extra.items()]

    def blocks(self):
        """``(name, layer, shape, penalised)`` of every block; layer None for the read-out."""
        for layer in range(self.n_layers):
            for name, shape, penalised in self.layer_blocks(layer):
                yield name, layer, shape, penalised
        yield "W_hy", None, (self.hidden_size, self.n_outputs), True
        yield "b_y", None, (self.n_outputs,), False
        if self.skip_steps:
            yield "W_xy", None, (self.skip_columns, self.n_outputs), True

    def extra_names(self):
        """Names of the cell's parameters beyond W_xh, b_h and W_hh."""
        return list(self.cell.extra_shapes(self.hidden_size))

    @property
    def size(self):
        """Number of scalars in the flat vector."""
        return sum(prod(shape) for _, _, shape, _ in self.blocks())

    def params(self, flat):
        """:class:`Params`: named views into ``flat``."""
        return Params(self, flat)

    def weight_mask(self, dtype=np.float64):
        """1 where the flat vector holds a weight-matrix entry (L2-penalised), 0 for biases."""
        return np.concatenate([
            np.full(prod(shape), float(penalised), dtype=dtype)
            for _, _, shape, penalised in self.blocks()
        ])


class Params:
    """Named views into a flat parameter (or gradient) vector.

    Attributes
    ----------
    layout : Layout
    flat : ndarray of shape (layout.size,) or None
    layers : list of SimpleNamespace
        Per layer: ``W_xh``, ``b_h``, ``W_hh``, the cell's extra blocks
        (``b_hn``, or None for cells without it) and ``W_xb``: for the first
        layer the matrix ``[W_xh; b_h]`` (a view of ``flat``; a stacked copy
        for separate arrays), None above (see :func:`_input_weights`).
    W_hy, b_y : ndarray
        The read-out.
    W_xy : ndarray or None
        The linear path from the flattened window, or None without one.
    """

    def __init__(self, layout, flat):
        if flat.shape != (layout.size,):
            raise ValueError(
                f"flat buffer has shape {flat.shape}, the network needs ({layout.size},)"
            )
        self.layout, self.flat = layout, flat
        views, offset = {}, 0
        for name, layer, shape, _ in layout.blocks():
            size = prod(shape)
            views[name, layer] = flat[offset : offset + size].reshape(shape)
            offset += size
        self.layers = []
        for layer in range(layout.n_layers):
            blocks = {name: views[name, layer] for name, _, _ in layout.layer_blocks(layer)}
            self.layers.append(SimpleNamespace(**{"W_xb": None, "b_hn": None, **blocks}))
        # the first blocks of the vector are the first layer's W_xh and b_h: [W_xh; b_h]
        n_in, width = views["W_xh", 0].shape
        self.layers[0].W_xb = flat[: (n_in + 1) * width].reshape(n_in + 1, width)
        self.W_hy, self.b_y = views["W_hy", None], views["b_y", None]
        self.W_xy = views.get(("W_xy", None))

    @classmethod
    def from_arrays(cls, layout, layers, W_hy, b_y, W_xy=None):
        """Parameters given as separate arrays (no flat vector), e.g. public attributes.

        ``layers`` is a list of dicts with the keys of ``layout.layer_blocks``.
        """
        self = cls.__new__(cls)
        self.layout, self.flat = layout, None
        self.layers = [SimpleNamespace(**{"W_xb": None, "b_hn": None, **blocks}) for blocks in layers]
        first = self.layers[0]
        first.W_xb = np.vstack([first.W_xh, first.b_h[None]])  # read only, never written
        self.W_hy, self.b_y, self.W_xy = W_hy, b_y, W_xy
        return self

    def like(self, flat):
        """Views of the same layout into another flat buffer (e.g. gradients)."""
        return Params(self.layout, flat)

    def named(self):
        """``(name, view)`` of every block: ``W_xh_0``, ``b_h_0``, ..., ``W_hy``, ``b_y`` (, ``W_xy``)."""
        for layer, p in enumerate(self.layers):
            for name, _, _ in self.layout.layer_blocks(layer):
                yield f"{name}_{layer}", getattr(p, name)
        yield "W_hy", self.W_hy
        yield "b_y", self.b_y
        if self.W_xy is not None:
            yield "W_xy", self.W_xy

    # lists over the layers, for reading
    W_xh = property(lambda self: [p.W_xh for p in self.layers])
    W_hh = property(lambda self: [p.W_hh for p in self.layers])
    b_h = property(lambda self: [p.b_h for p in self.layers])


# ------------------------------------------------------------------ the bias column
#
# Each layer's b_h is stored right after its W_xh, so W_xb = [W_xh; b_h] is one matrix.
# The first layer's input carries a last feature of ones: its projection and its bias
# are one product, [x_t, 1] W_xb, and so are their gradients, [dW_xh; db_h]. The layers
# above read the states below (no ones): they add b_h and sum db_h apart. Measured
# against the first layer doing the same (benchmarks/bench_bias_column.py, at the commit
# that had both ways; one BLAS thread, batch 64, 3 features): the column saves 7-9 % of a
# partial_fit epoch for the Elman cell at hidden 16 (7 and 200 steps), 0-5 % for the
# gated cells, the defaults (LSTM 8) and hidden 64-128, and is slower nowhere. The ones
# are made by _input_buffer, W_xb by Params, and both are used through _input_weights;
# the rest of the module reads the first n_inputs features of the input only.


def _input_weights(p, layer):
    """``(W, b)``: the matrix that multiplies the input of ``layer``, and the bias left to add.

    ``p`` is that layer's namespace in a :class:`Params` of parameters or of
    gradients. The first layer's input carries the ones: ``(W_xb, None)``;
    above, ``(W_xh, b_h)``.
    """
    return (p.W_xb, None) if layer == 0 else (p.W_xh, p.b_h)


def _input_buffer(layout, n_steps, n_samples, dtype):
    """An uninitialised time-major input of the first layer, its last feature set to ones.

    In the cell's order (:mod:`skrnn._order`):
    ``(n_steps, n_samples, n_inputs + 1)`` or ``(n_steps, n_inputs + 1, n_samples)``.
    """
    order = layout.order
    X = np.empty(order.step_shape(n_steps, n_samples, layout.n_inputs + 1), dtype=dtype)
    order.features(X, slice(layout.n_inputs, None))[...] = 1.0
    return X


def time_major(X, layout):
    """Batch-first ``X`` of shape ``(n_samples, n_steps, n_inputs)`` as the network reads it:
    a new array from :func:`_input_buffer` holding ``X``'s features."""
    n_samples, n_steps, n_inputs = X.shape
    X_tm = _input_buffer(layout, n_steps, n_samples, X.dtype)
    layout.order.features(X_tm, n_inputs)[...] = layout.order.from_batch_first(X)
    return X_tm


def initialize(params, rng):
    """Draw the initial weights into ``params``; the cell sets the biases.

    Glorot uniform for every gate block (bound ``sqrt(6 / (fan_in + hidden_size))``,
    one draw per matrix), scaled by ``sqrt(2)`` for the relu Elman cell (He);
    the biases start at zero except where the cell says otherwise (LSTM: forget
    gate at 1), and so does the linear path ``W_xy`` (no random draws for it:
    the network's initial weights do not depend on whether it is there).
    """
    layout = params.layout
    gain = np.sqrt(2.0) if layout.activation == "relu" else 1.0
    matrices = params.W_xh + params.W_hh
    for W in matrices + [params.W_hy]:
        fan_out = layout.hidden_size if W is not params.W_hy else W.shape[1]
        bound = gain * np.sqrt(6.0 / (W.shape[0] + fan_out))
        W[...] = rng.uniform(-bound, bound, size=W.shape)
    if params.W_xy is not None:
        params.W_xy[...] = 0.0  # the estimators start it at a ridge fit instead
    for layer in params.layers:
        layout.cell.initialize_biases(layer)


class Workspace:
    """Buffers for one batch shape, reused by every batch of that shape.

    At the tutorial's scale a training step is a few dozen NumPy calls on
    arrays of a few hundred numbers, so allocating arrays and slicing per-step
    views in every batch would cost as much as the arithmetic. A workspace
    holds, for batches of ``n_samples`` sequences of ``n_steps`` steps, the
    input ``X`` (time-major with a last feature of ones, in the cell's order,
    see :func:`_input_buffer`), the targets ``y``, each layer's cell buffers
    (``layers[l]``: pre-activations ``Z``, states ``H`` and what the cell's
    backward needs) and the gradient buffers. :func:`forward` and
    :func:`backward` write into it; what they return are views of its
    buffers, valid until the next call that uses it.

    Parameters
    ----------
    layout : Layout
    n_steps, n_samples : int
        Shape of the batches.
    dtype : numpy dtype
        Floating dtype the pass computes in.
    """

    def __init__(self, layout, n_steps, n_samples, dtype):
        self.layout, self.shape = layout, (n_steps, n_samples)
        hidden = layout.hidden_size
        order = layout.order
        self.X = _input_buffer(layout, n_steps, n_samples, dtype)
        self.y = np.empty((n_samples, layout.n_outputs), dtype=dtype)
        self.layers = [
            layout.cell.workspace(n_steps, n_samples, hidden, dtype)
            for _ in range(layout.n_layers)
        ]
        step = order.step_shape(n_steps, n_samples, hidden)
        self.d_below = (  # gradient from a layer into the one below it
            np.empty(step, dtype=dtype) if layout.n_layers > 1 else None
        )
        self.dh = order.step(n_samples, hidden, dtype)  # into the top layer's last state
        self.y_hat = np.empty((n_samples, layout.n_outputs), dtype=dtype)
        self.err = np.empty((n_samples, layout.n_outputs), dtype=dtype)
        self.d_y_hat = np.empty((n_samples, layout.n_outputs), dtype=dtype)
        # sums over the samples (and steps) as products
        self.ones = np.ones(n_steps * n_samples, dtype=dtype)
        self.bias = order.step(n_samples, layout.width, dtype)  # b_h over the batch
        self.step_sums = np.empty((n_steps, layout.width), dtype=dtype)  # of db_h, per step
        self.window = self.y_skip = None  # the linear path's input and output
        if layout.skip_steps:
            self.window = np.empty((n_samples, layout.skip_columns), dtype=dtype)
            self.y_skip = np.empty((n_samples, layout.n_outputs), dtype=dtype)
        self.grad = np.empty(layout.size, dtype=dtype)
        self.grads = Params(layout, self.grad)  # views of the flat gradient
        self.dW_x = [  # for each layer's input-weight gradient (stacked products)
            order.gradient_buffer(n_steps, len(_input_weights(g, k)[0]), layout.width, dtype)
            for k, g in enumerate(self.grads.layers)
        ]
        self.lengths = self.last = None  # of the last forward pass
        self.d_top = None  # gradient into the top layer's states, padded or pooled
        self.argmax = None  # readout="max": the step of each unit's maximum

    @classmethod
    def for_input(cls, params, X):
        """A workspace for time-major ``X``, in the common dtype of ``X`` and ``params``."""
        dtype = np.result_type(params.W_hy.dtype, X.dtype)
        return cls(params.layout, X.shape[0], X.shape[1], dtype)

    def check(self, X):
        if X is not None and X.shape[:2] != self.shape:
            raise ValueError(
                f"the workspace is for batches of {self.shape[1]} sequences of "
                f"{self.shape[0]} steps; X holds {X.shape[1]} of {X.shape[0]}."
            )
        return self

    def states(self, t):
        """The state of every layer after ``t`` steps of the last forward pass.

        Batch-first views (``(n_samples, hidden_size)`` arrays), in the form
        :func:`forward` takes as ``h0``.
        """
        cell = self.layout.cell
        return [cell.state(layer_ws, t) for layer_ws in self.layers]


def window_of(X, lengths, n_window, n_inputs, out):
    """The last ``n_window`` steps before each sequence's end, batch-first, flattened.

    ``X`` is batch-first, ``(n_samples, n_steps, n_features)`` (any strides)
    with ``n_features >= n_inputs``; sequence ``i`` ends after step
    ``lengths[i] - 1``. Steps before a sequence's start are zeros (a short
    sequence is right-aligned in the window), so the linear path reads a
    sequence of any length the same way.
    """
    n_samples = X.shape[0]
    steps = lengths[:, None] - n_window + np.arange(n_window)  # (n_samples, n_window)
    rows = X[np.arange(n_samples)[:, None], np.maximum(steps, 0), :n_inputs]
    rows[steps < 0] = 0.0
    out.reshape(n_samples, n_window, n_inputs)[...] = rows
    return out


def raw_window(X, lengths, layout, out):
    """The linear path's input: the last ``skip_steps`` raw steps of each sequence of
    batch-first ``X`` (steps of the recurrence: patches), flattened, into ``out``."""
    n_samples, n_steps = X.shape[:2]
    k = layout.patch_length
    n_window = -(-layout.skip_steps // k)  # patches that hold the raw window
    if lengths is None and n_steps == n_window and n_window * k == layout.skip_steps:
        out.reshape(n_samples, n_steps, layout.n_inputs)[...] = X[..., :layout.n_inputs]
        return out
    ends = np.full(n_samples, n_steps) if lengths is None else lengths
    if n_window * k == layout.skip_steps:
        return window_of(X, ends, n_window, layout.n_inputs, out=out)
    # the raw window is the tail of the last n_window patches (which start earlier)
    patches = window_of(X, ends, n_window, layout.n_inputs,
                        out=np.empty((n_samples, n_window * layout.n_inputs), dtype=out.dtype))
    out[...] = patches[:, -layout.skip_columns:]
    return out


def forward(params, X=None, h0=None, workspace=None, lengths=None):
    """Run the network over a batch of sequences.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_steps, n_samples, n_inputs), optional
        Time-major input, copied into the workspace (beside its feature of
        ones). None: the workspace's ``X`` already holds the batch (the
        training loop fills it directly). Steps after a sequence's end (see
        ``lengths``) must be finite (zeros); they do not change its output.
    h0 : list, optional
        Initial state of each layer, as the cell's ``state`` gives it
        (batch-first); zeros when omitted.
    workspace : Workspace, optional
        Buffers to compute in (a new one when omitted; then ``X`` is needed).
    lengths : ndarray of int of shape (n_samples,), optional
        Number of valid steps of each sequence (right-padded batches): the
        read-out is the state after step ``lengths[i] - 1``. None: every
        sequence has all ``n_steps``.

    Returns
    -------
    y_hat : ndarray of shape (n_samples, n_outputs)
        A buffer of the workspace: the next pass through it overwrites it.
    workspace : Workspace
        Holds the states (``workspace.layers[l].H``) that :func:`backward` needs.
    """
    if workspace is None and X is None:
        raise ValueError("forward needs the input X or a workspace that holds it")
    ws = Workspace.for_input(params, X) if workspace is None else workspace.check(X)
    cell, activation = params.layout.cell, params.layout.activation
    n_in = params.layout.n_inputs
    n_steps, n_samples = ws.shape
    order = params.layout.order
    if X is not None:
        if X.shape[-1] != n_in:
            raise ValueError(f"X has {X.shape[-1]} features per step; the network takes {n_in}.")
        order.features(ws.X, n_in)[...] = order.from_time_major(X)
    ws.lengths = lengths
    layer_input = ws.X
    for layer, (p, layer_ws) in enumerate(zip(params.layers, ws.layers)):
        W, b = _input_weights(p, layer)
        order.project(W, layer_input, out=layer_ws.Z)  # x_t W_xh (+ b_h, first layer)
        if b is not None:
            order.add_bias(layer_ws.Z, b, ws.bias)
        cell.forward(p, layer_ws, None if h0 is None else h0[layer], activation)
        layer_input = layer_ws.H[1:]
    # the read-out: the last state, or each sequence's state after its last step
    ws.last = _read_out_states(params.layout, ws, lengths)  # (n_samples, hidden)
    np.dot(ws.last, params.W_hy, out=ws.y_hat)
    ws.y_hat += params.b_y
    if params.W_xy is not None:  # the linear path from the whole window
        X_bf = order.to_batch_first(order.features(ws.X, n_in))
        raw_window(X_bf, lengths, params.layout, out=ws.window)
        # einsum's own loop, not BLAS: a row's output must not depend on its position
        # in the batch (BLAS kernels round the rows of a block and of its tail apart)
        ws.y_hat += np.einsum("nk,ko->no", ws.window, params.W_xy, out=ws.y_skip)
    return ws.y_hat, ws


def _read_out_states(layout, ws, lengths):
    """``(n_samples, hidden)``: what the read-out sees of the top layer's states, the
    last (each sequence's state after its last step), or their mean or maximum over
    each sequence's valid steps (``layout.readout``)."""
    order, H = layout.order, ws.layers[-1].H
    if layout.readout == "last":
        return order.last_states(H, lengths)
    states = order.to_batch_first(H[1:])  # (n_samples, n_steps, hidden), a view
    if lengths is None:
        valid = None
    else:
        valid = np.arange(states.shape[1])[None, :] < lengths[:, None]
    if layout.readout == "mean":
        if valid is None:
            return states.mean(axis=1)
        return np.einsum("nth,nt->nh", states, valid.astype(states.dtype)) / lengths[:, None]
    masked = states if valid is None else np.where(valid[..., None], states, -np.inf)
    ws.argmax = masked.argmax(axis=1)  # (n_samples, hidden): where each maximum is
    return np.take_along_axis(states, ws.argmax[:, None, :], axis=1)[:, 0]


def _into_top_states(params, ws, d_y_hat):
    """The gradient into the top layer's states: into the last state (a step's array),
    or, padded or pooled, into every step (the steps' array, zeros where a state was
    not read)."""
    layout, lengths = params.layout, ws.lengths
    order = layout.order
    d_read = order.into_states(params.W_hy, d_y_hat, out=ws.dh)  # into the read-out states
    if lengths is None and layout.readout == "last":
        return d_read
    n_steps, n_samples = ws.shape
    if ws.d_top is None:  # made once per workspace, for padded or pooled batches only
        ws.d_top = np.empty(order.step_shape(n_steps, n_samples, layout.hidden_size),
                            dtype=ws.dh.dtype)
    d_top = ws.d_top
    d_top[...] = 0.0
    if layout.readout == "last":  # into each sequence's state after its last step
        order.place_last(d_top, lengths, d_read)
        return d_top
    d_pool = np.dot(d_y_hat, params.W_hy.T)  # (n_samples, hidden)
    top = order.to_batch_first(d_top)  # (n_samples, n_steps, hidden), a view
    if layout.readout == "max":
        np.put_along_axis(top, ws.argmax[:, None, :], d_pool[:, None, :], axis=1)
    elif lengths is None:
        top[...] = d_pool[:, None, :] / n_steps
    else:
        valid = np.arange(n_steps)[None, :] < lengths[:, None]
        top[...] = (d_pool / lengths[:, None])[:, None, :] * valid[..., None]
    return d_top


def backward(params, ws, d_y_hat, bptt_steps=None):
    """Backpropagation through time, after :func:`forward` in ``ws``.

    Parameters
    ----------
    params : Params
    ws : Workspace
        The workspace of the forward pass.
    d_y_hat : ndarray of shape (n_samples, n_outputs)
        Gradient of the loss with respect to the predictions.
    bptt_steps : int or None
        Truncation: gradients flow back through at most this many steps from
        the end of each sequence (its last valid step, with ``lengths``; states
        before that are treated as constants). None backpropagates through the
        whole sequence.

    Returns
    -------
    grads : ndarray of shape (n_params,)
        Flat gradient, laid out like ``params.flat``: the workspace's buffer,
        overwritten by the next backward pass through it.
    """
    layout, g = params.layout, ws.grads
    n_steps, n_samples = ws.shape
    lengths, keep = ws.lengths, None
    if lengths is None:
        first = 0 if bptt_steps is None else max(0, n_steps - bptt_steps)
    elif bptt_steps is None:
        first = 0
    else:  # each sequence's window of bptt_steps steps before its end
        starts = np.maximum(lengths - bptt_steps, 0)
        first = int(starts.min())
        # 1 where the gradient may flow into the state before step t (H[t])
        keep = layout.order.per_sample(
            (np.arange(n_steps + 1)[:, None] > starts).astype(ws.y.dtype)
        )
    order = layout.order
    np.dot(ws.last.T, d_y_hat, out=g.W_hy)  # read-out weights
    np.dot(ws.ones[:n_samples], d_y_hat, out=g.b_y)
    if g.W_xy is not None:
        np.dot(ws.window.T, d_y_hat, out=g.W_xy)
    d_out = _into_top_states(params, ws, d_y_hat)
    if d_out is ws.d_top:  # into every step: those the truncation keeps
        d_out = d_out[first:]
    for layer in reversed(range(layout.n_layers)):
        p, grads = params.layers[layer], g.layers[layer]
        dZ = layout.cell.backward(p, ws.layers[layer], d_out, first, grads, layout.activation,
                                  keep)
        layer_input = ws.X if layer == 0 else ws.layers[layer - 1].H[1:]
        dW, db = _input_weights(grads, layer)  # dW_xh (and db_h, first layer)
        order.weight_gradient(layer_input[first:], dZ, out=dW, tmp=ws.dW_x[layer])
        if db is not None:
            order.bias_gradient(dZ, ws.ones, out=db, tmp=ws.step_sums)
        if layer:  # into the states of the layer below, at every kept step
            d_out = order.below(p.W_xh, dZ, out=ws.d_below[first:])
    return ws.grad


def predict(params, X, chunk_size=256, lengths=None):
    """The output of :func:`forward` for batch-first ``X``, in chunks of samples.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_steps, n_inputs)
        Batch-first.
    chunk_size : int
        Samples per forward pass, so memory does not grow with ``n_samples``.
    lengths : ndarray of int of shape (n_samples,), optional
        Valid steps of each sequence, as :func:`forward` takes them.

    Returns
    -------
    y_hat : ndarray of shape (n_samples, n_outputs)
    """
    dtype = np.result_type(params.W_hy.dtype, X.dtype)
    n_samples, n_steps = X.shape[:2]
    n_in, order = params.layout.n_inputs, params.layout.order
    if X.shape[2] != n_in:
        raise ValueError(f"X has {X.shape[2]} features per step; the network takes {n_in}.")
    y_hat = np.empty((n_samples, params.layout.n_outputs), dtype=dtype)
    workspaces = {}  # chunk length -> buffers
    with flush_denormals():  # subnormal numbers would slow every operation down
        for start in range(0, n_samples, chunk_size):
            part = X[start : start + chunk_size]
            ws = workspaces.get(len(part))
            if ws is None:
                ws = workspaces[len(part)] = Workspace(params.layout, n_steps, len(part), dtype)
            order.features(ws.X, n_in)[...] = order.from_batch_first(part)
            part_lengths = None if lengths is None else lengths[start : start + chunk_size]
            y_hat[start : start + len(part)] = forward(params, workspace=ws,
                                                       lengths=part_lengths)[0]
    return y_hat

"""The recurrent cells, one module each, all with the same few pure functions.

A cell is the part of a layer that runs over time. The network
(:mod:`skrnn._network`) computes the input projection of every step at once,
``Z[t] = x_t W_xh + b_h`` (one product over all steps, stacked for the
gated cells; in the first layer ``b_h`` comes with the product, through a
feature of ones), and hands it to the cell, which adds the recurrent
contribution step by step and produces the states. In reverse, the cell turns the gradient that
reaches its states into the gradient of its pre-activations ``dZ`` (from which
the network computes ``dW_xh``, ``db_h`` and the gradient into the layer
below) and of its own recurrent parameters.

Every cell module defines:

``N_GATES``
    G: the input and recurrent weights have ``G * hidden_size`` columns, the
    gate blocks side by side in PyTorch's order.
``TORCH_MODULE``
    The name of the ``torch.nn`` module with the same equations;
    ``torch_kwargs(activation)`` its constructor arguments beyond the sizes.
``ACTIVATIONS``
    The values the estimators' ``activation`` may take with this cell.
``AUTO_LEARNING_RATE``
    The step size ``learning_rate_init="auto"`` means for this cell.
``ORDER``
    The memory order of the cell's per-step arrays (:mod:`skrnn._order`):
    :class:`~skrnn._order.SamplesLast`, a step is ``(width, n_samples)`` (the
    gated cells: each gate block is contiguous), or
    :class:`~skrnn._order.SamplesFirst`, ``(n_samples, width)`` (Elman). The
    cell makes its buffers with it and the network follows it; below, "one
    step" means an array of that shape.
``extra_shapes(hidden_size)``
    ``{name: shape}`` of the per-layer parameters beyond ``W_xh``, ``b_h``,
    ``W_hh`` (GRU's ``b_hn``); all are biases (not L2-penalised).
``initialize_biases(layer)``
    Set the initial biases of a layer (the network draws the weights).
``torch_biases(layer)``
    ``(bias_ih, bias_hh)`` of the equivalent PyTorch layer.
``workspace(n_steps, n_samples, hidden_size, dtype)``
    The buffers of one layer for one batch shape: ``Z`` (the pre-activations,
    filled by the network), ``H`` (``H[0]`` the initial state, ``H[t + 1]`` the
    state after step ``t``) and what the cell's backward pass needs.
``forward(layer, ws, state0=None, activation="tanh")``
    Run the recurrence over ``ws.Z``, writing ``ws.H``.
``backward(layer, ws, d_out, first, grads, activation="tanh", keep=None)``
    Backpropagate from the gradient ``d_out`` reaching the states (the last
    step only, one step of ``hidden_size``, or every step from ``first`` on,
    ``n_steps - first`` of them) through the steps ``first..n_steps - 1``;
    write the gradients of ``W_hh`` (and of the extra parameters) into
    ``grads`` and return ``dLoss/dZ`` of those steps. ``keep`` (``n_steps + 1``
    steps of one 0/1 value per sample, broadcast over the units, or None)
    truncates per sequence: the gradient into the state ``H[t]`` of a sample
    (and the LSTM's cell state) is multiplied by its ``keep[t]`` (0 before
    its window).
``state(ws, t)``
    The state after ``t`` steps, batch-first (``(n_samples, hidden_size)``
    views), in the form ``forward`` takes as ``state0`` (``h``; ``(h, c)`` for
    the LSTM).

``layer`` is a namespace of one layer's blocks (see
:class:`skrnn._network.Params`), or its gradient twin. Outside this package no
code asks which cell it runs; the one name it knows is GRU's extra block
``b_hn``, which the estimators publish as ``recurrent_biases_``.
"""

from . import elman, gru, lstm

CELLS = {"elman": elman, "gru": gru, "lstm": lstm}


def get_cell(name):
    """The module of the cell called ``name`` ("elman", "gru" or "lstm")."""
    try:
        return CELLS[name]
    except KeyError:
        raise ValueError(f"unknown cell {name!r}; expected one of {sorted(CELLS)}") from None

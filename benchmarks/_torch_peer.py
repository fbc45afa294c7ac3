"""The PyTorch peer of the benchmarks: one model and one training loop.

The model is what a fitted skrnn estimator exports to
(``skrnn.export.torch_module``): the cell's module with the same equations
(``cell="elman"``: ``torch.nn.RNN``, ``"gru"``: ``torch.nn.GRU``, ``"lstm"``:
``torch.nn.LSTM``, batch first), a ``torch.nn.Linear`` read-out of the last
step and, with ``skip_steps``, a bias-free ``torch.nn.Linear`` on the
flattened window (the linear path), added to the read-out.

The loop (:func:`fit`, one epoch of it :func:`train_epoch`) is mini-batch
Adam: each epoch a fresh permutation of the training windows, then for each
batch the loss, its gradient, optionally ``clip_grad_norm_``, a step. Given a
validation part, it scores the mean squared error on it after every epoch,
keeps a copy of the weights of the best epoch, stops after ``patience``
epochs without a better one (if given) and ends with the best weights
restored. What differs between the scripts (the loss, the step, the clipping,
the batch size, the dtype, the generator, the validation part) is a
parameter; the scripts keep their data preparation, seeding, thread count and
timing.

torch is imported by the functions that use it: the scripts read
:data:`TORCH_MODULES` without it installed.
"""

import numpy as np

from skrnn._cells import CELLS
from skrnn._network import Layout
from skrnn.export import torch_module

# skrnn's cell -> the torch.nn module with the same equations and gate order
TORCH_MODULES = {name: cell.TORCH_MODULE for name, cell in CELLS.items()}


def loss_function(name):
    """The loss ``name`` as a function ``(outputs, targets) -> loss``: "mse",
    "half_mse" (skrnn's regression loss, half the mean squared error, so that
    the same learning rate takes the same steps) or "cross_entropy"."""
    import torch

    F = torch.nn.functional
    if name == "half_mse":
        return lambda outputs, targets: F.mse_loss(outputs, targets) / 2
    return {"mse": F.mse_loss, "cross_entropy": F.cross_entropy}[name]


def torch_dtype(dtype):
    """The torch dtype of a NumPy float dtype."""
    import torch

    return torch.float32 if np.dtype(dtype) == np.float32 else torch.float64


def build(cell, n_inputs, hidden_size, n_outputs=1, dtype=np.float32, skip_steps=0):
    """An untrained one-layer torch model of this shape (``skrnn.export.torch_module``).

    Its modules are created in the order ``rnn``, ``linear``, ``skip``, each
    with torch's own initialisation, so that under ``torch.manual_seed`` the
    initial weights are those of the same modules created by hand in that order.
    """
    layout = Layout(cell, n_inputs, hidden_size, 1, n_outputs, skip_steps=skip_steps)
    return torch_module(layout, torch_dtype(dtype))


def outputs(model, X, lengths=None):
    """The model's outputs for ``X``; with ``lengths``, the read-out of each
    sequence's own last state (the padded batch through ``pack_padded_sequence``;
    a model without the linear path)."""
    if lengths is None:
        return model(X)
    import torch

    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, batch_first=True,
                                                     enforce_sorted=False)
    _, state = model.rnn(packed)
    h_n = state[0] if isinstance(state, tuple) else state  # LSTM: (h_n, c_n)
    return model.linear(h_n[-1])


def train_epoch(model, optimizer, X, y, batch_size, loss="mse", clip=None, generator=None,
                lengths=None):
    """One epoch: the windows in a new random order (from ``generator``, else torch's
    global generator), one step per batch of ``batch_size``."""
    import torch

    loss_fn = loss_function(loss)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    order = torch.randperm(len(X), generator=generator)
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        optimizer.zero_grad()
        batch_lengths = None if lengths is None else lengths[idx]
        loss_fn(outputs(model, X[idx], batch_lengths), y[idx]).backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()


def fit(model, X, y, *, epochs, batch_size, learning_rate, loss="mse", clip=None,
        generator=None, lengths=None, validation=None, patience=None):
    """Train ``model`` with Adam for ``epochs`` epochs; return it.

    Parameters
    ----------
    model : torch.nn.Module
        From :func:`build`.
    X, y : torch.Tensor
        Training windows ``(n, steps, features)`` and targets (``(n, n_outputs)``
        for the regression losses, class codes for ``"cross_entropy"``).
    epochs, batch_size, learning_rate : int, int, float
    loss : {"mse", "half_mse", "cross_entropy"}
    clip : float or None
        ``clip_grad_norm_`` of all the parameters to this norm after each backward pass.
    generator : torch.Generator or None
        The source of the epochs' permutations (None: torch's global generator).
    lengths : torch.Tensor or None
        Valid steps of each sequence of ``X`` (see :func:`outputs`).
    validation : (X_val, y_val) or None
        Scored (mean squared error) after every epoch; the weights of the best
        epoch are restored at the end.
    patience : int or None
        With ``validation``: stop once this many epochs in a row have not
        improved on the best (None: run every epoch).
    """
    import torch

    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=learning_rate)
    best, best_state, waited = np.inf, None, 0
    for _ in range(epochs):
        train_epoch(model, optimizer, X, y, batch_size, loss, clip, generator, lengths)
        if validation is None:
            continue
        with torch.no_grad():
            score = torch.nn.functional.mse_loss(model(validation[0]), validation[1]).item()
        if score < best:
            best, best_state, waited = score, [p.detach().clone() for p in params], 0
        else:
            waited += 1
            if patience is not None and waited > patience:
                break
    if best_state is not None:
        with torch.no_grad():
            for p, b in zip(params, best_state):
                p.copy_(b)
    return model

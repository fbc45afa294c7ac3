"""Export a fitted skrnn estimator to PyTorch, exactly.

``predict`` is the forward pass of the public attributes on the standardised
inputs ``(X - x_mean_) / x_scale_``, and every cell has PyTorch's equations
with the gate blocks in PyTorch's order, so the export is a transpose of each
weight matrix and a split of the biases, with the input standardisation folded
into the first layer and the linear path (``W / s`` and ``b - (m / s) W``, with
``m = x_mean_`` and ``s = x_scale_`` repeated along a patch or the window), so
that the exported module reads raw inputs:

- ``rnn.weight_ih_l{k}`` = ``input_weights_[k].T``, shape (G * hidden_size, n_in_k)
  (layer 0: divided by ``x_scale_``)
- ``rnn.weight_hh_l{k}`` = ``recurrent_weights_[k].T``, shape (G * hidden_size, hidden_size)
- ``rnn.bias_ih_l{k}`` = ``hidden_biases_[k]`` (layer 0: minus the standardisation's shift)
- ``rnn.bias_hh_l{k}`` = zeros; for GRU ``[0 | 0 | recurrent_biases_[k]]``
- ``linear.weight`` = ``output_weights_.T``, shape (n_outputs, hidden_size)
- ``linear.bias`` = ``output_bias_`` (minus the linear path's shift)
- ``skip.weight`` = ``skip_weights_.T`` divided by ``x_scale_``, shape
  (n_outputs, n_steps * n_features_per_step), only for a regressor with
  ``skip_connection=True``

for ``torch.nn.RNN`` (``nonlinearity=activation``), ``torch.nn.GRU`` or
``torch.nn.LSTM`` with ``batch_first=True`` and ``num_layers=n_layers``, and a
``torch.nn.Linear(hidden_size, n_outputs_)`` on the last step's output. The
read-out is in the units of ``y`` (a regressor's target standardisation is
folded into it). With the linear path, ``skip`` is a
``torch.nn.Linear(n_steps_ * n_features_per_step_, n_outputs_, bias=False)``
on the batch-first flattened window (``X.flatten(1)``), added to the read-out.
With ``patch_length=k > 1`` the recurrent module reads patches: its input size
is ``k * n_features_per_step_`` (``weight_ih_l0`` has that many columns), and
:func:`to_torch`'s module turns a batch ``(n, T, F)`` into ``(n, ceil(T / k), k * F)``
itself (the training mean of each feature in front, the last patch ending at the
last step: its buffer ``fill``, ``x_mean_``, which ``state_dict()`` leaves out; a
module of your own that loads :func:`torch_state_dict` pads the front of the first
patch with ``x_mean_``, not zeros), while
``skip`` still reads the raw window. With ``readout="mean"`` or ``"max"`` the
``linear`` read-out takes the mean or the maximum of the recurrent module's
outputs over the steps instead of the last one.

torch is imported only by :func:`to_torch`; :func:`torch_state_dict` needs
NumPy only.

Examples
--------
>>> import numpy as np
>>> from skrnn import RNNRegressor
>>> from skrnn.export import torch_state_dict
>>> rng = np.random.RandomState(0)
>>> X = rng.normal(size=(100, 5, 2))
>>> model = RNNRegressor(cell="lstm", hidden_size=4, random_state=0)
>>> model = model.fit(X, X[:, -1, 0])  # LSTM: 4 gate blocks [i | f | g | o] of 4 units
>>> # skip: the linear path from the 5 x 2 window (skip_connection, on by default)
>>> for key, value in torch_state_dict(model).items():
...     print(key, value.shape)
rnn.weight_ih_l0 (16, 2)
rnn.weight_hh_l0 (16, 4)
rnn.bias_ih_l0 (16,)
rnn.bias_hh_l0 (16,)
linear.weight (1, 4)
linear.bias (1,)
skip.weight (1, 10)
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["torch_state_dict", "to_torch"]


def torch_state_dict(estimator):
    """The fitted weights under PyTorch's names, as NumPy arrays.

    Parameters
    ----------
    estimator : RNNRegressor or RNNClassifier
        A fitted estimator.

    Returns
    -------
    state_dict : dict of str to ndarray
        Keys ``rnn.weight_ih_l{k}``, ``rnn.weight_hh_l{k}``, ``rnn.bias_ih_l{k}``,
        ``rnn.bias_hh_l{k}`` for each layer ``k``, ``linear.weight`` and
        ``linear.bias`` (and ``skip.weight`` with the linear path);
        C-contiguous copies in the model's dtype, loadable
        (after ``torch.from_numpy``) into the modules described in
        :mod:`skrnn.export`.
    """
    _check_exportable(estimator)
    return state_dict_of(raw_input_params(estimator))


def to_torch(estimator):
    """The fitted estimator as a ``torch.nn.Module`` that predicts what it predicts.

    Parameters
    ----------
    estimator : RNNRegressor or RNNClassifier
        A fitted estimator.

    Returns
    -------
    module : torch.nn.Module
        Maps a tensor of shape ``(n_samples, n_steps, n_features_per_step_)``,
        in the model's dtype, to a regressor's ``predict`` values (shape
        ``(n_samples,)`` when ``y`` was 1-D, else ``(n_samples, n_outputs_)``),
        or to a classifier's logits, shape ``(n_samples, n_outputs_)`` (one
        column for binary targets; ``predict_proba`` is their sigmoid or
        softmax).
        Its submodules are ``rnn`` (``torch.nn.RNN``, ``GRU`` or ``LSTM``),
        ``linear`` and, with the linear path, ``skip``; its ``state_dict()``
        has the keys of :func:`torch_state_dict`.

    Raises
    ------
    ImportError
        If PyTorch is not installed.
    """
    _check_exportable(estimator)
    torch = _import_torch()
    params = raw_input_params(estimator)
    dtype = torch.float32 if params.W_hy.dtype == np.float32 else torch.float64
    # a regressor fitted on 1-D y predicts 1-D; a classifier returns its logits as they are
    module = torch_module(params.layout, dtype, squeeze=getattr(estimator, "_y_ndim", 2) == 1)
    module.load_state_dict(
        {key: torch.from_numpy(value) for key, value in state_dict_of(params).items()}
    )
    # patches fill the front of a sequence with the training mean (zero once standardised)
    module.fill.copy_(torch.from_numpy(np.asarray(estimator.x_mean_, dtype=params.W_hy.dtype)))
    return module.eval()


def raw_input_params(estimator):
    """The estimator's network on raw inputs: its public weights with the input
    standardisation (``x_mean_``, ``x_scale_``) folded in (:func:`skrnn._scaling.fold`)."""
    from ._scaling import fold

    params = estimator._public_params()
    return fold(params, estimator.x_mean_, estimator.x_scale_, params.W_hy.dtype)


def _check_exportable(estimator):
    from ._base import BaseRNN

    if not isinstance(estimator, BaseRNN):
        raise TypeError(
            f"skrnn.export exports an RNNRegressor or an RNNClassifier, got "
            f"{type(estimator).__name__}; for a Pipeline, export its last step "
            "(pipeline[-1]) and apply the steps before it to the input yourself."
        )
    check_is_fitted(estimator)


def state_dict_of(params):
    """:func:`torch_state_dict` of a :class:`skrnn._network.Params` (for tests)."""
    cell = params.layout.cell
    state = {}
    for k, layer in enumerate(params.layers):
        bias_ih, bias_hh = cell.torch_biases(layer)
        state[f"rnn.weight_ih_l{k}"] = layer.W_xh.T
        state[f"rnn.weight_hh_l{k}"] = layer.W_hh.T
        state[f"rnn.bias_ih_l{k}"] = bias_ih
        state[f"rnn.bias_hh_l{k}"] = bias_hh
    state["linear.weight"] = params.W_hy.T
    state["linear.bias"] = params.b_y
    if params.W_xy is not None:
        state["skip.weight"] = params.W_xy.T
    return {key: np.array(value, order="C") for key, value in state.items()}


def torch_module(layout, dtype, squeeze=False):
    """An untrained torch module with the shape of ``layout`` (a :class:`~skrnn._network.Layout`)."""
    torch = _import_torch()
    rnn_class = getattr(torch.nn, layout.cell.TORCH_MODULE)
    rnn = rnn_class(layout.n_inputs, layout.hidden_size, num_layers=layout.n_layers,
                    batch_first=True, dtype=dtype, **layout.cell.torch_kwargs(layout.activation))
    linear = torch.nn.Linear(layout.hidden_size, layout.n_outputs, dtype=dtype)
    skip = None
    if layout.skip_steps:
        skip = torch.nn.Linear(layout.skip_columns, layout.n_outputs, bias=False, dtype=dtype)
    return _torch_model_class()(rnn, linear, squeeze=squeeze, skip=skip,
                                patch_length=layout.patch_length, readout=layout.readout,
                                n_features=layout.n_inputs // layout.patch_length)


def _import_torch():
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "skrnn.export.to_torch needs PyTorch, which skrnn does not install: "
            "pip install torch (or use torch_state_dict, which needs NumPy only)."
        ) from exc
    return torch


def __getattr__(name):
    # TorchModel subclasses torch.nn.Module, so it is built on first use: skrnn
    # never imports torch unless asked to
    if name == "TorchModel":
        return _torch_model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_TORCH_MODEL = None


def _torch_model_class():
    global _TORCH_MODEL
    if _TORCH_MODEL is None:
        import torch

        class TorchModel(torch.nn.Module):
            """A recurrent module, a linear read-out of its last step (or of the mean or
            maximum of its steps, ``readout``) (+ a linear path); with
            ``patch_length > 1`` the recurrence reads patches of that many steps,
            aligned to the sequence's end (the buffer ``fill``, the training mean of
            each feature, in front of the first)."""

            def __init__(self, rnn, linear, squeeze=False, skip=None, patch_length=1,
                         readout="last", n_features=None):
                super().__init__()
                self.rnn, self.linear, self.squeeze = rnn, linear, squeeze
                self.skip = skip  # None: no linear path (registered as a submodule otherwise)
                self.patch_length, self.readout = patch_length, readout
                if n_features is None:
                    n_features = rnn.input_size // patch_length
                # not in state_dict(): its keys stay torch_state_dict's
                self.register_buffer("fill", torch.zeros(n_features, dtype=rnn.weight_ih_l0.dtype),
                                     persistent=False)

            def patches(self, X):
                """``(n, T, F)`` as ``(n, ceil(T / k), k * F)``, the last patch ending at T."""
                k = self.patch_length
                if k == 1:
                    return X
                n, T, F = X.shape
                front = -T % k  # steps before the first: the fill
                if front:
                    X = torch.cat([self.fill.expand(n, front, F), X], dim=1)
                return X.reshape(n, (T + front) // k, k * F)

            def forward(self, X):
                out, _ = self.rnn(self.patches(X))
                if self.readout == "mean":
                    read = out.mean(dim=1)
                elif self.readout == "max":
                    read = out.max(dim=1).values
                else:
                    read = out[:, -1]
                y = self.linear(read)
                if self.skip is not None:
                    y = y + self.skip(X.flatten(1))
                return y.squeeze(-1) if self.squeeze else y

        TorchModel.__module__ = __name__
        _TORCH_MODEL = TorchModel
    return _TORCH_MODEL

"""
Exporting a fitted model to PyTorch
===================================

``RNNRegressor.predict`` computes exactly the forward pass of
``torch.nn.RNN``, ``torch.nn.GRU`` or ``torch.nn.LSTM`` (for
``cell="elman"``, ``"gru"``, ``"lstm"``) followed by ``torch.nn.Linear``,
from the public fitted attributes. :func:`skrnn.export.to_torch` builds that
PyTorch module from a fitted model, and :func:`skrnn.export.torch_state_dict`
gives its weights under PyTorch's names, so a model trained with skrnn can be
served, fine-tuned on a GPU or embedded in a larger network. This example
exports a two-layer model of each cell and checks that PyTorch predicts the
same values.

PyTorch is not a dependency of skrnn: when it is not installed, the export
to PyTorch is skipped, and only the NumPy state dict and the skrnn models are
shown.
"""

# %%
# Fit a two-layer model of each cell
# ----------------------------------
# A short fit is enough: the export copies whatever weights the model has.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNRegressor
from skrnn.export import to_torch, torch_state_dict

rng = np.random.RandomState(0)
X = rng.normal(size=(500, 10, 2))  # 500 sequences, 10 steps, 2 features
y = X[:, -3, 0] + 0.5 * X[:, -1, 1]  # depends on steps 3 and 1 from the end

CELLS = ["elman", "gru", "lstm"]
models = {}
for cell in CELLS:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = RNNRegressor(cell=cell, hidden_size=16, n_layers=2, max_iter=30,
                             random_state=0)
        models[cell] = model.fit(X, y)
    print(f"{cell:5}  R² on the training data: {model.score(X, y):.3f}")

# %%
# The weights under PyTorch's names
# ---------------------------------
# ``torch_state_dict`` needs NumPy only. skrnn multiplies row vectors by its
# weights (``x_t @ W_xh``), PyTorch stores the transposed matrices
# (``W_ih @ x_t``), so each matrix is transposed; the gate blocks are already
# in PyTorch's order (GRU ``[r | z | n]``, here 3 blocks of 16 rows). skrnn
# keeps one bias per gate where PyTorch has two that it adds up, so
# ``bias_hh`` is zero, except for the GRU's candidate block, which holds
# ``recurrent_biases_`` (inside the reset gate's product, it cannot be
# folded). The read-out is already in the units of ``y``, so no target
# scaling is needed on the PyTorch side.
state = torch_state_dict(models["gru"])
for key, value in state.items():
    print(f"{key:18} {str(value.shape):9} {value.dtype}")
hidden = models["gru"].hidden_size
bias_hh = state["rnn.bias_hh_l0"]
print("GRU bias_hh_l0: r and z blocks zero:", not bias_hh[: 2 * hidden].any(),
      "| n block = recurrent_biases_[0]:",
      np.array_equal(bias_hh[2 * hidden :], models["gru"].recurrent_biases_[0]))

# %%
# Export and compare the predictions
# ----------------------------------
# ``to_torch`` returns a ``torch.nn.Module`` (in evaluation mode, in the
# model's dtype, here float64) whose ``rnn`` and ``linear`` submodules hold
# these weights; it maps ``(n_samples, n_steps, n_features)`` tensors to
# ``predict``'s values.
try:
    import torch
except ImportError:
    torch = None
    print("PyTorch is not installed: skipping the export.")

y_skrnn = {cell: model.predict(X) for cell, model in models.items()}
y_torch = {}
if torch is not None:
    for cell, model in models.items():
        module = to_torch(model)
        with torch.no_grad():
            y_torch[cell] = module(torch.from_numpy(X)).numpy()
        difference = np.max(np.abs(y_torch[cell] - y_skrnn[cell]))
        print(f"{cell:5}  {type(module.rnn).__name__:4}  largest |difference| between "
              f"the predictions: {difference:.2e}")

# %%
# The state dict also loads into plain PyTorch modules of your own, here a
# ``torch.nn.LSTM``, a ``torch.nn.Linear`` read-out and, for the linear path
# from the whole window (``skip_connection=True``, the default), a bias-free
# ``torch.nn.Linear`` on the flattened window (the ``rnn.``, ``linear.`` and
# ``skip.`` prefixes name the submodule each weight belongs to).
if torch is not None:
    lstm_model = models["lstm"]
    lstm = torch.nn.LSTM(lstm_model.n_features_per_step_, lstm_model.hidden_size,
                         num_layers=lstm_model.n_layers, batch_first=True,
                         dtype=torch.float64)
    linear = torch.nn.Linear(lstm_model.hidden_size, lstm_model.n_outputs_,
                             dtype=torch.float64)
    weights = {key: torch.from_numpy(value) for key, value in
               torch_state_dict(lstm_model).items()}
    lstm.load_state_dict({key.removeprefix("rnn."): value
                          for key, value in weights.items() if key.startswith("rnn.")})
    linear.load_state_dict({key.removeprefix("linear."): value
                            for key, value in weights.items() if key.startswith("linear.")})
    skip = torch.nn.Linear(lstm_model.n_features_in_, lstm_model.n_outputs_, bias=False,
                           dtype=torch.float64)
    skip.load_state_dict({"weight": weights["skip.weight"]})
    with torch.no_grad():
        states, _ = lstm(torch.from_numpy(X))  # (n_samples, n_steps, hidden_size)
        window = torch.from_numpy(X).flatten(1)  # time-major, as skip_weights_' rows
        y_plain = (linear(states[:, -1]) + skip(window)).numpy().ravel()
    plain_difference = np.max(np.abs(y_plain - y_skrnn["lstm"]))
    print(f"plain torch.nn.LSTM + Linear + linear path: largest |difference| "
          f"{plain_difference:.2e}")
    # what the text below says, checked when this example runs
    assert plain_difference < 1e-9
    assert all(np.max(np.abs(y_torch[c] - y_skrnn[c])) < 1e-9 for c in CELLS)

# %%
# The two agree to rounding error (float64) for every cell. Input given to
# ``RNNRegressor`` as 2-D, time-major flattened rows becomes
# ``X.reshape(n_samples, model.n_steps_, model.n_features_per_step_)`` for
# PyTorch.
#
# The figure: predictions against the target, one panel per cell; the
# PyTorch predictions lie on top of skrnn's.
fig, axes = plt.subplots(1, len(CELLS), figsize=(12, 4.2), sharex=True, sharey=True)
lims = [y.min(), y.max()]
for ax, cell in zip(axes, CELLS):
    ax.plot(y, y_skrnn[cell], "o", ms=4, alpha=0.4, label="RNNRegressor.predict")
    if cell in y_torch:
        ax.plot(y, y_torch[cell], "x", ms=3, color="black", label="to_torch(model)")
    ax.plot(lims, lims, color="grey", lw=0.8)
    ax.set(title=f'cell="{cell}"', xlabel="target y")
axes[0].set_ylabel("prediction")
axes[0].legend(loc="upper left")
fig.suptitle("Same predictions in skrnn and PyTorch" if y_torch
             else "RNNRegressor (PyTorch not installed)")
fig.tight_layout()
plt.show()

"""
Exporting a fitted model to PyTorch
===================================

``RNNRegressor.predict`` computes exactly the forward pass of
``torch.nn.RNN`` followed by ``torch.nn.Linear``, from the public fitted
attributes. So a model trained with skrnn can be copied into PyTorch, to be
served, fine-tuned on a GPU or embedded in a larger network. This example
does it for a two-layer network and checks that both give the same
predictions.

PyTorch is not a dependency of skrnn: when it is not installed, the export
part is skipped and only the skrnn model is drawn.
"""

# %%
# Fit a two-layer model
# ---------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNRegressor

rng = np.random.RandomState(0)
X = rng.normal(size=(500, 10, 2))  # 500 sequences, 10 steps, 2 features
y = X[:, -3, 0] + 0.5 * X[:, -1, 1]  # depends on steps 3 and 1 from the end

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = RNNRegressor(hidden_size=16, n_layers=2, max_iter=100, random_state=0)
    model.fit(X, y)
print(f"R² on the training data: {model.score(X, y):.3f}")

# %%
# Copy the weights
# ----------------
# skrnn multiplies row vectors by its weights (``x_t @ W_xh``); PyTorch
# stores the transposed matrices (``W_ih @ x_t``). skrnn has one hidden bias
# per layer where PyTorch has two that it adds up, so ``bias_hh`` is zero.
# The read-out weights are already in the units of ``y`` (see
# ``output_weights_``), so no target scaling is needed on the PyTorch side.
try:
    import torch
except ImportError:
    torch = None
    print("PyTorch is not installed: skipping the export.")


def to_torch(model):
    """torch.nn.RNN + torch.nn.Linear computing what ``model.predict`` computes."""
    rnn = torch.nn.RNN(
        input_size=model.n_features_per_step_,
        hidden_size=model.hidden_size,
        num_layers=model.n_layers,
        nonlinearity=model.activation,
        batch_first=True,
        dtype=torch.float64,
    )
    linear = torch.nn.Linear(model.hidden_size, model.n_outputs_, dtype=torch.float64)
    as_torch = torch.from_numpy
    with torch.no_grad():
        for k in range(model.n_layers):
            getattr(rnn, f"weight_ih_l{k}").copy_(as_torch(model.input_weights_[k].T))
            getattr(rnn, f"weight_hh_l{k}").copy_(as_torch(model.recurrent_weights_[k].T))
            getattr(rnn, f"bias_ih_l{k}").copy_(as_torch(model.hidden_biases_[k]))
            getattr(rnn, f"bias_hh_l{k}").zero_()
        linear.weight.copy_(as_torch(model.output_weights_.T))
        linear.bias.copy_(as_torch(model.output_bias_))
    return rnn, linear


y_skrnn = model.predict(X)
if torch is not None:
    rnn, linear = to_torch(model)
    with torch.no_grad():
        states, _ = rnn(torch.from_numpy(X))  # (n_samples, n_steps, hidden_size)
        y_torch = linear(states[:, -1]).numpy().ravel()  # read out the last state
    print(f"largest difference between the predictions: "
          f"{np.max(np.abs(y_torch - y_skrnn)):.2e}")

# %%
# The two agree to rounding error (float64). Input given to ``RNNRegressor``
# as 2-D, time-major flattened rows becomes
# ``X.reshape(n_samples, model.n_steps_, model.n_features_per_step_)`` for
# PyTorch.
#
# The figure: predictions against the target; the PyTorch predictions lie on
# top of skrnn's.
fig, ax = plt.subplots(figsize=(5.5, 5))
ax.plot(y, y_skrnn, "o", ms=5, alpha=0.5, label="RNNRegressor.predict")
if torch is not None:
    ax.plot(y, y_torch, "x", ms=4, color="black", label="torch.nn.RNN + Linear")
    ax.set_title("Same predictions in skrnn and PyTorch")
else:
    ax.set_title("RNNRegressor (PyTorch not installed)")
lims = [y.min(), y.max()]
ax.plot(lims, lims, color="grey", lw=0.8)
ax.set(xlabel="target y", ylabel="prediction")
ax.legend()
fig.tight_layout()
plt.show()

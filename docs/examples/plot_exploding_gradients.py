"""
Exploding gradients and gradient clipping
=========================================

A recurrent network multiplies its gradient by the recurrent weights once per
time step on the way back (see :ref:`bptt`). When those products grow, one
mini-batch can produce a gradient large enough to throw the weights far off,
after which the loss climbs instead of falling. ``clip_grad_norm`` rescales
each mini-batch's gradient to a maximum global norm, so no single step can
be larger than ``learning_rate_init * clip_grad_norm``.

This example trains the same network with plain SGD at a learning rate that
is too large for it, without clipping and with ``clip_grad_norm=1``, and
plots ``grad_norm_curve_``: the mean gradient norm of each epoch, measured
*before* clipping.
"""

# %%
# A task with a memory: copy an input from 3 steps before the end
# ---------------------------------------------------------------
import textwrap
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNRegressor

rng = np.random.RandomState(0)
X = rng.normal(size=(100, 20, 1))  # 100 sequences of 20 steps
y = X[:, -3, 0]  # the input 3 steps before the end

# The Elman network alone (no linear path: with it, the ridge fit it starts
# from already copies the input, and the network has nothing left to learn),
# plain SGD with momentum, at a learning rate too large for this network; no
# early stopping and no tol stop: every fit runs its 50 epochs unless it fails.
# A weak L2 penalty (alpha=1e-4) lets the weights run away.
params = dict(cell="elman", skip_connection=False, solver="sgd", activation="tanh",
              learning_rate_init=0.6, alpha=1e-4, max_iter=50, early_stopping=False,
              n_iter_no_change=50, random_state=0)

# %%
# Without clipping
# ----------------
# The fit raises ``ValueError`` as soon as the training loss has grown more
# than 1000 times over its start (or a loss or gradient stops being finite),
# and keeps the best weights it had. The curves of the epochs it ran stay on
# the model.
unclipped = RNNRegressor(clip_grad_norm=None, **params)
diverged = False
try:
    unclipped.fit(X, y)
except ValueError as exc:
    diverged = True
    print(textwrap.fill(str(exc), 79))
assert diverged and unclipped.n_iter_ < 50  # what this section says, checked
print(f"loss: {unclipped.loss_curve_[0]:.2f} at epoch 1, "
      f"{unclipped.loss_curve_[-1]:.3g} at epoch {unclipped.n_iter_}")

# %%
# With ``clip_grad_norm=1``
# -------------------------
# Same data, same initial weights, same learning rate; each step is now
# bounded, and the network learns the task.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is small on purpose
    clipped = RNNRegressor(clip_grad_norm=1.0, **params).fit(X, y)
print(f"loss: {clipped.loss_curve_[0]:.2f} at epoch 1, {clipped.loss_:.3f} at epoch "
      f"{clipped.n_iter_}; R² {clipped.score(X, y):.3f}")
assert clipped.n_iter_ == 50 and clipped.score(X, y) > 0.9  # it learns the task

# %%
# The figure: loss and gradient norm per epoch, on a log scale. Unclipped,
# the run first goes well (3 epochs here), then loss and gradient norm climb
# together: a large step lands where the gradient is larger, and the next
# step is larger still. Clipped, the mean gradient norm stays mostly below
# the threshold, because clipping only acts on the occasional large
# mini-batch gradient; those are the steps that start the run-away.
# (the "3 epochs" checked: the loss falls until epoch 3, then grows)
assert np.argmin(unclipped.loss_curve_) == 2 and np.all(np.diff(unclipped.loss_curve_[:3]) < 0)
fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4))
for model, label, style in [(unclipped, "clip_grad_norm=None", "-"),
                            (clipped, "clip_grad_norm=1", "--")]:
    epochs = np.arange(1, len(model.loss_curve_) + 1)
    ax_loss.semilogy(epochs, model.loss_curve_, style, label=label)
    ax_grad.semilogy(epochs, model.grad_norm_curve_, style, label=label)
ax_loss.plot(len(unclipped.loss_curve_), unclipped.loss_curve_[-1], "x", color="tab:red",
             markersize=10, mew=2, label="ValueError: diverged")
ax_loss.axhline(0.5, color="grey", lw=0.8, ls=":", label="predicting the mean (0.5)")
ax_loss.set(xlabel="epoch", ylabel="training loss (loss_curve_)", title="Loss")
ax_grad.axhline(1.0, color="grey", lw=0.8, ls=":", label="clipping threshold (1)")
ax_grad.set(xlabel="epoch", ylabel="mean gradient norm before clipping",
            title="Gradient norm (grad_norm_curve_)")
ax_loss.legend()
ax_grad.legend()
fig.tight_layout()
plt.show()

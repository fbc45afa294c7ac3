"""
Loss curves, validation curves and early stopping
=================================================

A fitted :class:`~skrnn.RNNRegressor` keeps its training history:
``loss_curve_`` (training loss per epoch), and with early stopping
``validation_loss_curve_`` and ``validation_scores_`` (loss and R² on the
held-out chronological tail). This example draws them, shows where early
stopping stopped and which epoch's weights it kept, and compares three
learning rates.
"""

# %%
# Windows of the weather series
# -----------------------------
# The whole series is windowed once, so every window has its full 7-day
# history, with the scaler fitted on the first 85 % of the days (training
# plus validation of the other examples; the last 15 % are not used here).
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather, load_weather

if os.environ.get("SKRNN_WEATHER_CSV"):
    X, y = load_weather(return_X_y=True)
else:
    X, y = load_seattle_weather(return_X_y=True)
n_fit = int(0.85 * len(X))
scaled = StandardScaler().fit(X.iloc[:n_fit]).transform(X)
windows = SequenceWindower(window_length=7).fit_transform(scaled)
X_fit, y_fit = windows[:n_fit], y.to_numpy()[:n_fit]
print(X_fit.shape)

# %%
# Early stopping
# --------------
# ``early_stopping=True`` holds out the last ``validation_fraction`` (10 %)
# of the samples *in the order given*: the most recent days, never a shuffled
# subset, because overlapping windows would leak the future into a shuffled
# validation set. After each epoch the model scores R² on that tail; it stops
# when the score has not improved by ``tol`` for ``n_iter_no_change`` epochs,
# and restores the weights of the best epoch.
# The state before the first epoch is a candidate too: the model starts as the
# ridge fit of its linear path, and ``best_epoch_`` is 0 when no epoch beat it.
model = RNNRegressor(early_stopping=True, random_state=0).fit(X_fit, y_fit)
best_epoch = model.best_epoch_
print(f"stopped after {model.n_iter_} epochs; kept epoch {best_epoch}, "
      f"validation R² {model.best_validation_score_:.4f}")

# %%
# Both losses are ``0.5 * mean squared error`` of the *standardised* target
# (the network trains on ``(y - y_mean_) / y_scale_``), so 0.5 is the loss of
# always predicting the mean. The training loss also holds the L2 penalty
# ``alpha``, and is the mean over the epoch's mini-batches while the weights
# still move; the validation loss is computed once the epoch is over, on
# other (later) days. Either curve can be the lower one.
#
# Learning rate
# -------------
# The same fit at three learning rates (the default, ``"auto"``, is ``1e-2`` for
# the gated cells, such as the default LSTM, and ``3e-3`` for the Elman cell).
# All three start from the same ridge fit, so their best validation scores end
# close together (printed below); what the step size changes is the path: a
# small one moves the network little per epoch, and the patience of
# ``n_iter_no_change`` epochs may run out before it has gone far; a large one
# makes the validation score jump from one epoch to the next, so which epoch
# early stopping keeps is partly luck.
assert model.cell == "lstm" and model.learning_rate_init == "auto"  # as the text says
fits = {1e-2: model}  # the default, fitted above
for lr in (1e-3, 1e-1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits[lr] = RNNRegressor(learning_rate_init=lr, early_stopping=True,
                                random_state=0).fit(X_fit, y_fit)
for lr, fitted in sorted(fits.items()):
    print(f"learning_rate_init={lr:g}: {fitted.n_iter_} epochs, "
          f"best validation R² {fitted.best_validation_score_:.4f}")
best_scores = [fitted.best_validation_score_ for fitted in fits.values()]
assert max(best_scores) - min(best_scores) < 0.02  # "close together"

# %%
# The figure
fig, (ax_loss, ax_lr) = plt.subplots(1, 2, figsize=(11, 4))
epochs = np.arange(1, model.n_iter_ + 1)
ax_loss.plot(epochs, model.loss_curve_, label="training loss (loss_curve_)")
ax_loss.plot(epochs, model.validation_loss_curve_,
             label="validation loss (validation_loss_curve_)")
ax_loss.axvline(best_epoch, color="grey", ls=":",
                label=f"best epoch ({best_epoch}), kept")
ax_loss.set(xlabel="epoch", ylabel="loss, standardised target",
            title="Training and validation loss")
ax_loss.legend()

curves = {lr: fits[lr].validation_scores_ for lr in sorted(fits)}
for lr, scores in curves.items():
    ax_lr.plot(np.arange(1, len(scores) + 1), scores, label=f"learning_rate_init={lr:g}")
ax_lr.set(xlabel="epoch", ylabel="validation R² (validation_scores_)",
          title="Validation score by learning rate")
low = min(np.percentile(scores, 5) for scores in curves.values())
ax_lr.set_ylim(low, None)
ax_lr.legend()
fig.tight_layout()
plt.show()

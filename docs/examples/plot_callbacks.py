"""
Watching and stopping a fit with callbacks
==========================================

Every epoch of ``RNNRegressor.fit`` is a task that scikit-learn's callbacks
(``sklearn.callback``, scikit-learn 1.9) see. Here ``ScoringMonitor`` logs a
validation error after every epoch, and a callback of our own stops training
when that error has not improved for five epochs: early stopping on a
validation set of our choosing, written in a dozen lines.
"""

# %%
# The windows
# -----------
# The scaler and the windower are fitted on the training days; the next days
# are the validation set the callbacks score on.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.callback import ScoringMonitor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather, load_weather

if os.environ.get("SKRNN_WEATHER_CSV"):
    X, y = load_weather(return_X_y=True)
else:
    X, y = load_seattle_weather(return_X_y=True)
y = y.to_numpy()
train_end, valid_end = int(0.70 * len(X)), int(0.85 * len(X))
scaler = StandardScaler().fit(X.iloc[:train_end])
windows = SequenceWindower(7).fit_transform(scaler.transform(X))
X_train, y_train = windows[:train_end], y[:train_end]
X_valid, y_valid = windows[train_end:valid_end], y[train_end:valid_end]


# %%
# A validation metric in ScoringMonitor's logs
# --------------------------------------------
# ``ScoringMonitor`` calls its scorers with a copy of the model that has the
# weights of the epoch just ended. A scorer is any ``(estimator, X, y)``
# callable: this one ignores the training data it is given and scores the
# validation days.
def valid_mse(estimator, X, y):
    return mean_squared_error(y_valid, estimator.predict(X_valid))


# %%
# Early stopping as a callback
# ----------------------------
# A callback's ``on_fit_task_end`` runs at the end of every task; returning
# True at the end of an epoch stops training after it, as the ``tol`` rule
# would (no ``ConvergenceWarning``). It keeps the fitted copy of the best epoch.
class StopWhenValidationStalls:
    def __init__(self, patience=5):
        self.patience = patience

    def setup(self, estimator, context):
        self.best_mse, self.best_model, self.waited = np.inf, None, 0

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name != "epoch":
            return False
        mse = valid_mse(fitted_estimator, None, None)
        if mse < self.best_mse:
            self.best_mse, self.best_model, self.waited = mse, fitted_estimator, 0
        else:
            self.waited += 1
        return self.waited >= self.patience


monitor = ScoringMonitor(scoring={"valid_mse": valid_mse})
stopper = StopWhenValidationStalls(patience=5)
# the built-in early stopping off: the callback decides
model = RNNRegressor(early_stopping=False, max_iter=100, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.set_callbacks(monitor, stopper).fit(X_train, y_train)
best_epoch = model.n_iter_ - stopper.waited
print(f"stopped after epoch {model.n_iter_}; best validation MSE {stopper.best_mse:.2f} "
      f"at epoch {best_epoch}")

# %%
# The logs
# --------
# Each row of the log is a task; the epochs are the rows whose ``task_name``
# is ``"epoch"`` (``task_id`` 0 is the first epoch).
log = monitor.get_logs().data_as_pandas
epochs = log[log["task_name"] == "epoch"]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(epochs["task_id"] + 1, epochs["valid_mse"], marker="o", ms=3)
ax.axvline(best_epoch, color="k", ls=":", label=f"best epoch ({best_epoch})")
ax.set_xlabel("epoch")
ax.set_ylabel("validation MSE")
ax.legend()
fig.tight_layout()
plt.show()

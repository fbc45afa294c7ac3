"""
Forecasting the next 7 days with one model
==========================================

``y`` with ``k`` columns is a multi-output regression: one ``RNNRegressor``
forecasts all ``k`` days ahead at once, each output its own horizon.
:func:`skrnn.multi_step_target` builds that target matrix from the series, row
by row aligned with the windows of :class:`skrnn.SequenceWindower`. The error
grows with the horizon; it is shown beside persistence (every future day as
warm as today) and ``Ridge`` on the flattened window, which also forecasts the
7 outputs at once.
"""

# %%
# The target matrix
# -----------------
# Row ``t`` of ``multi_step_target(tmax, 7)`` is ``tmax`` of days ``t + 1`` to
# ``t + 7``: the target of the window that ends on day ``t``. The last 7 rows
# have no full future (NaN there), so they are dropped before fitting.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower, multi_step_target
from skrnn.datasets import load_seattle_weather, load_weather

if os.environ.get("SKRNN_WEATHER_CSV"):
    X, _ = load_weather(return_X_y=True)
    unit = "°F"
else:
    X, _ = load_seattle_weather(return_X_y=True)
    unit = "°C"
HORIZON, WINDOW = 7, 7
Y = multi_step_target(X["tmax"], HORIZON)
X, Y = X.iloc[:-HORIZON], Y.iloc[:-HORIZON]  # the last rows have no full target
Y.head(3)

# %%
# One model per method, the same windows
# --------------------------------------
# The days are split in time order (the first 80 % to fit, the rest to test);
# every test day is predicted with the 6 days before it as history.
split = int(0.8 * len(X))


def windowed(estimator, flatten):
    return make_pipeline(StandardScaler(), SequenceWindower(WINDOW, flatten=flatten),
                         estimator)


models = {
    "Ridge (flattened window)": windowed(Ridge(), flatten=True),
    "RNNRegressor (defaults)": windowed(RNNRegressor(random_state=0), flatten=False),
}
first = split - (WINDOW - 1)  # history rows for the first test day
truth = Y.to_numpy()[split:]
errors = {"persistence": np.sqrt(np.mean(
    (X["tmax"].to_numpy()[split:, None] - truth) ** 2, axis=0))}
for name, model in models.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X.iloc[:split], Y.iloc[:split])
    pred = model.predict(X.iloc[first:])[WINDOW - 1 :]
    errors[name] = np.sqrt(np.mean((pred - truth) ** 2, axis=0))

print(f"test RMSE ({unit}) by days ahead:")
print("model".ljust(26) + "".join(f"{k:>7d}" for k in range(1, HORIZON + 1)))
for name, rmse in errors.items():
    print(name.ljust(26) + "".join(f"{v:7.2f}" for v in rmse))

# %%
# The error by horizon
# --------------------
# Tomorrow is the easiest day to forecast; after a few days the models
# approach what the season alone tells, while persistence keeps getting worse.
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, rmse in errors.items():
    ax.plot(range(1, HORIZON + 1), rmse, marker="o", label=name)
ax.set_xlabel("days ahead")
ax.set_ylabel(f"test RMSE of tmax ({unit})")
ax.legend()
fig.tight_layout()
plt.show()

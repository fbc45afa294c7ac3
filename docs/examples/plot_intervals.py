"""
Prediction intervals: two quantile networks or conformal prediction
===================================================================

An 80 % interval for tomorrow's maximum temperature, built two ways:

- **two quantile networks**: ``RNNRegressor(loss="quantile", quantile=0.1)``
  and ``quantile=0.9`` give the lower and the upper bound;
- **split conformal prediction** with `MAPIE <https://mapie.readthedocs.io>`_:
  one ``RNNRegressor`` at its defaults (squared error) predicts a point, and
  the interval is that point plus or minus a quantile of its absolute errors on a
  calibration period that the network did not train on.

Each is scored by its empirical coverage, the share of the held-out days whose
temperature falls inside it, and by its mean width. A quantile model's interval
carries no guarantee; a conformal interval reaches its level on average when the
test days are exchangeable with the calibration days, which a season's drift can
break.
"""

# %%
# The windows
# -----------
# The days are split in time order: the first 60 % to fit, the next 20 % to
# calibrate the conformal interval, the last 20 % to test. The rows are
# standardised with the statistics of the fitting period and windowed once over
# the whole series, so every test day has its 6 days of history.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from mapie.regression import SplitConformalRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather, load_weather

if os.environ.get("SKRNN_WEATHER_CSV"):
    X, y = load_weather(return_X_y=True)
    unit = "°F"
else:
    X, y = load_seattle_weather(return_X_y=True)
    unit = "°C"
WINDOW = 7
cal, test = int(0.6 * len(y)), int(0.8 * len(y))
rows = StandardScaler().fit(X.iloc[:cal]).transform(X)
windows = SequenceWindower(WINDOW).fit_transform(rows)[WINDOW - 1 :]  # padded ones dropped
y = y.to_numpy()[WINDOW - 1 :]
cal, test = cal - (WINDOW - 1), test - (WINDOW - 1)
print(f"{cal} days to fit, {test - cal} to calibrate, {len(y) - test} to test")

# %%
# Two quantile networks
# ---------------------
# They need no calibration period, so they train on the first 80 %.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    low = RNNRegressor(loss="quantile", quantile=0.1, random_state=0)
    high = RNNRegressor(loss="quantile", quantile=0.9, random_state=0)
    low.fit(windows[:test], y[:test])
    high.fit(windows[:test], y[:test])
intervals = {"quantile networks": (low.predict(windows[test:]), high.predict(windows[test:]))}

# %%
# Split conformal prediction
# --------------------------
# ``prefit=True``: MAPIE takes the fitted network and only computes its errors on
# the calibration days.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    point = RNNRegressor(random_state=0).fit(windows[:cal], y[:cal])
mapie = SplitConformalRegressor(point, confidence_level=0.8, prefit=True)
mapie.conformalize(windows[cal:test], y[cal:test])
_, bounds = mapie.predict_interval(windows[test:])
intervals["split conformal"] = (bounds[:, 0, 0], bounds[:, 1, 0])

# %%
# Coverage on the test days
# -------------------------
truth = y[test:]
coverage = {}
for name, (lower, upper) in intervals.items():
    coverage[name] = np.mean((lower <= truth) & (truth <= upper))
    print(f"{name:18s} covers {coverage[name]:.1%} of the test days (target 80 %),"
          f" below {np.mean(truth < lower):.1%}, above {np.mean(truth > upper):.1%};"
          f" mean width {np.mean(upper - lower):.1f} {unit}")

# %%
# The last 90 test days
# ---------------------
# The quantile networks' interval is the shaded band, the conformal interval the
# two lines; the legend repeats each one's coverage over all the test days.
days = np.arange(len(truth))[-90:]
fig, ax = plt.subplots(figsize=(7, 3.5))
lower, upper = intervals["quantile networks"]
ax.fill_between(days, lower[days], upper[days], step="mid", alpha=0.3, color="tab:blue",
                label=f"quantile networks ({coverage['quantile networks']:.0%})")
lower, upper = intervals["split conformal"]
ax.step(days, lower[days], where="mid", color="tab:orange",
        label=f"split conformal ({coverage['split conformal']:.0%})")
ax.step(days, upper[days], where="mid", color="tab:orange")
ax.plot(days, truth[days], "k.", markersize=4, label="observed")
ax.set_xlabel("test day")
ax.set_ylabel(f"tomorrow's tmax ({unit})")
ax.legend(loc="lower left", fontsize="small")
fig.tight_layout()
plt.show()

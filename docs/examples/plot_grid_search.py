"""
Tuning with GridSearchCV and TimeSeriesSplit
============================================

The whole forecaster is one scikit-learn pipeline, so its hyper-parameters,
the window length included, are tuned like any other estimator's: here a
grid over the RNN's hidden size and learning rate and the windower's window
length, scored with time-ordered cross-validation.
"""

# %%
# The data and the pipeline
# -------------------------
# To keep the documentation build short, the search runs on the most recent
# 1,460 days of the series (all of the Seattle data, four years of
# ``clean_weather.csv``).
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather, load_weather

if os.environ.get("SKRNN_WEATHER_CSV"):
    X, y = load_weather(return_X_y=True)
else:
    X, y = load_seattle_weather(return_X_y=True)
X, y = X.iloc[-1460:], y.iloc[-1460:]

pipe = make_pipeline(
    StandardScaler(),
    SequenceWindower(),
    RNNRegressor(max_iter=60, early_stopping=True, random_state=0),
)

# %%
# Time-ordered cross-validation
# -----------------------------
# ``TimeSeriesSplit`` always validates on days after the ones it trains on.
# ``gap`` leaves out the days between them: with ``gap = window_length - 1``
# (the longest window of the grid) no validation window reaches back into
# the training days. The first windows of each validation fold are padded
# instead (see :ref:`windowing`), which makes the scores slightly
# pessimistic, equally for every candidate.
windows = [3, 7, 14]
cv = TimeSeriesSplit(n_splits=3, gap=max(windows) - 1)
grid = {
    "rnnregressor__hidden_size": [4, 16],
    "rnnregressor__learning_rate_init": [3e-3, 1e-2],
    "sequencewindower__window_length": windows,
}
search = GridSearchCV(pipe, grid, cv=cv, scoring="neg_mean_squared_error")
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)
print(f"{len(search.cv_results_['params'])} candidates x {cv.get_n_splits()} folds "
      f"in {time.perf_counter() - start:.0f} s")
print("best:", search.best_params_)

# %%
# The results, best first: mean and standard deviation of the validation
# MSE over the three folds.
results = pd.DataFrame(search.cv_results_)
table = pd.DataFrame({
    "window": results["param_sequencewindower__window_length"],
    "hidden": results["param_rnnregressor__hidden_size"],
    "learning rate": results["param_rnnregressor__learning_rate_init"],
    "MSE": -results["mean_test_score"],
    "std": results["std_test_score"],
}).sort_values("MSE").round(3)
table.reset_index(drop=True)

# %%
# Every candidate starts from the ridge fit of its window (the linear path)
# and keeps it unless the network improves on it, so the differences between
# candidates are small next to the spread between folds (``std``): with a few
# years of daily weather, a longer window or a bigger network has little more
# to find. ``best_estimator_`` is the whole pipeline refitted on all the days
# with the best parameters.
assert table["MSE"].max() - table["MSE"].min() < table["std"].max()  # as said
fig, axes = plt.subplots(1, len(windows), figsize=(11, 3.6), sharey=True)
vmin, vmax = table["MSE"].min(), table["MSE"].max()
for ax, window in zip(axes, windows):
    cell = table[table["window"] == window].pivot_table(
        index="hidden", columns="learning rate", values="MSE")
    image = ax.imshow(cell.to_numpy(), cmap="viridis_r", vmin=vmin, vmax=vmax)
    for (i, j), value in np.ndenumerate(cell.to_numpy()):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center",
                color="white" if value > (vmin + vmax) / 2 else "black")
    ax.set_xticks(range(cell.shape[1]), [f"{lr:g}" for lr in cell.columns])
    ax.set_yticks(range(cell.shape[0]), cell.index)
    ax.set(xlabel="learning_rate_init", title=f"window_length={window}")
axes[0].set_ylabel("hidden_size")
fig.colorbar(image, ax=axes, label="mean validation MSE", shrink=0.9)
plt.show()

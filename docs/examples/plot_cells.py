"""
Elman, GRU or LSTM on the weather task
======================================

``RNNRegressor(cell=...)`` runs one of three recurrent cells: the Elman cell,
the GRU or the LSTM (the default; see :ref:`choosing-a-cell`). This example
fits each on the task of the
:ref:`weather-forecast example <sphx_glr_auto_examples_plot_weather_forecast.py>`,
tomorrow's maximum temperature from the last 7 days of ``tmax, tmin, rain``,
with the same chronological split, the same pipeline and the defaults
otherwise, and compares their validation error and training time. The test
days are not used: they are kept for the final comparison of that example.
"""

# %%
# The data
# --------
# As in the weather-forecast example: the tutorial's ``clean_weather.csv``
# (°F) when ``$SKRNN_WEATHER_CSV`` names it, else the Seattle weather (°C)
# bundled with ``vega_datasets``, split in time order 70 % train, 15 %
# validation, 15 % test. Only the first 85 % of the days are kept here.
import os
import time
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather, load_weather

if os.environ.get("SKRNN_WEATHER_CSV"):
    X, y = load_weather(return_X_y=True)
    unit = "°F"
else:
    X, y = load_seattle_weather(return_X_y=True)
    unit = "°C"
y = y.to_numpy()
train_end, valid_end = int(0.70 * len(X)), int(0.85 * len(X))
X, y = X.iloc[:valid_end], y[:valid_end]  # the test days are left out
print(f"{train_end} training days, {valid_end - train_end} validation days")

# %%
# One pipeline per cell
# ---------------------
# The scaler is fitted on the training days, inside the pipeline, and
# ``SequenceWindower(7)`` turns each day into the window of the 7 days that
# end on it. Every ``RNNRegressor`` keeps its defaults (``hidden_size=8``,
# early stopping on the last 10 % of the training windows) and
# ``random_state=0``. The validation days are predicted with the 6 days
# before them in front, so that every one of them has its full window.
WINDOW = 7
CELLS = ["elman", "gru", "lstm"]


def n_parameters(rnn):
    arrays = [*rnn.input_weights_, *rnn.recurrent_weights_, *rnn.hidden_biases_,
              *(rnn.recurrent_biases_ or []), rnn.output_weights_, rnn.output_bias_,
              rnn.skip_weights_]  # the linear path from the window
    return sum(a.size for a in arrays)


first = train_end - (WINDOW - 1)
rows = []
for cell in CELLS:
    model = make_pipeline(StandardScaler(), SequenceWindower(WINDOW),
                          RNNRegressor(cell=cell, random_state=0))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X.iloc[:train_end], y[:train_end])
    seconds = time.perf_counter() - start
    y_valid = model.predict(X.iloc[first:])[train_end - first:]
    rnn = model[-1]
    rows.append({"cell": cell,
                 "parameters": n_parameters(rnn),
                 "epochs": rnn.n_iter_,
                 "fit seconds": seconds,
                 "ms per epoch": 1000 * seconds / rnn.n_iter_,
                 f"valid MSE ({unit}²)": mean_squared_error(y[train_end:], y_valid)})

results = pd.DataFrame(rows).set_index("cell")
persistence = mean_squared_error(y[train_end:], X["tmax"].to_numpy()[train_end:])
print(results.round({"fit seconds": 2, "ms per epoch": 1, f"valid MSE ({unit}²)": 3})
      .to_string())
print(f"persistence (tomorrow as warm as today): valid MSE {persistence:.3f} {unit}²")

# %%
# The figure: validation error (persistence, dashed, for scale) and fit time.
fig, (ax_mse, ax_time) = plt.subplots(1, 2, figsize=(10, 3.6))
colors = ["tab:blue", "tab:orange", "tab:green"]
mse = results[f"valid MSE ({unit}²)"]
ax_mse.bar(CELLS, mse, color=colors)
ax_mse.axhline(persistence, color="grey", ls="--", lw=1, label="persistence")
ax_mse.set(ylabel=f"validation MSE ({unit}²)", title="Validation error (lower is better)")
ax_mse.set_ylim(0, max(persistence, mse.max()) * 1.15)
ax_mse.legend(loc="lower right")
ax_time.bar(CELLS, results["fit seconds"], color=colors)
ax_time.set(ylabel="seconds", title="Time to fit")
ax_time.set_ylim(0, results["fit seconds"].max() * 1.15)
for ax, column, fmt in [(ax_mse, mse, "{:.2f}"), (ax_time, results["fit seconds"], "{:.2f} s")]:
    for i, value in enumerate(column):
        ax.text(i, value, fmt.format(value), ha="center", va="bottom")
fig.tight_layout()
plt.show()

# %%
# What the numbers say
# --------------------
# The three cells end within about 10 % of each other, all below
# persistence: each starts as the ridge fit of the window (the linear path) and
# adds a correction to it. A 7-day window holds no long delay for the gates to
# bridge, so they buy little here, and each epoch of the GRU or the LSTM does
# more work than an Elman epoch: three or four gate blocks per step, and more
# element-wise work (the table's milliseconds per epoch). One seed does not
# separate differences of a few percent. To decide on your own data, put
# ``"rnnregressor__cell"`` in a grid search with a time-series split, as in the
# :ref:`grid-search example <sphx_glr_auto_examples_plot_grid_search.py>`.
assert (mse < persistence).all() and mse.max() <= 1.1 * mse.min()

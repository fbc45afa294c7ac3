"""The forecasting protocol shared by bench_forecast.py and select_forecast_defaults.py.

Series (one-step-ahead, the target is the next row's value of one column):

- ``clean_weather``: the tutorial's ``tmax_tomorrow`` from ``tmax, tmin, rain``, window 7;
- ``seattle``: Seattle daily weather (vega_datasets), next day's ``temp_max`` from
  ``temp_max, temp_min, precipitation, wind``, window 7;
- ``sunspots``: yearly sunspots (statsmodels), next year's value, window 12;
- ``us_gdp``: US real GDP (statsmodels macrodata), next quarter's ``realgdp`` from
  ``realgdp, realcons, realinv``, window 8 (a trend: later folds lie above the
  training range);
- ``airline``: monthly airline passengers 1949-60 (sktime ``load_airline``), 144
  rows, trend and a yearly season, window 12;
- ``lynx``: yearly Canadian lynx trappings 1821-1934 (sktime ``load_lynx``), 114
  rows, a cycle of about ten years, window 10;
- ``seatbelts``: monthly road casualties in Great Britain 1969-84 (column ``KSI``
  of sktime's bundled ``seatbelts/seatbelts.csv``), 192 rows, a yearly season,
  window 12.

The first four are the series of the forecasting defaults' round
(``FIRST_FOUR``); the last three were added by the window issue (short seasonal
series). The univariate ones forecast the series from its own past. Each
series' ``window`` is the benchmark's fixed window (about one season, or a week
of daily data), the one the fixed-window Ridge uses.

Protocol (rolling origin): a fold fits on the first ``o`` of the rows and
scores the next ``HORIZON`` (10 %) of them. Every model sees the same windows:
``StandardScaler`` fitted on the fold's training rows, then ``SequenceWindower``;
every scored row is predicted with its full window of earlier rows
(``predict_with_history``). Test folds start at 55/65/75 % of the rows;
the development folds, used to choose defaults, start at 35/40/45 % and end
by 55 %, before the first test row.
"""

import io
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.metrics import mean_squared_error
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import _torch_peer
from skrnn import RNNRegressor, SequenceWindower
from skrnn import predict_with_history
from skrnn.datasets import load_weather

FIRST_FOUR = ("clean_weather", "seattle", "sunspots", "us_gdp")
TEST_ORIGINS = (0.55, 0.65, 0.75)
DEV_ORIGINS = (0.35, 0.40, 0.45)
HORIZON = 0.10
SEEDS = (0, 1, 2)


class Series:
    """One forecasting problem: feature rows ``X``, next-step target ``y``.

    ``persistence_column`` is the column whose next value ``y`` is (the
    univariate series of the classical forecasters); ``period`` its seasonal
    period in rows, or None.
    """

    def __init__(self, name, X, y, window, persistence_column, description, period=None):
        self.name, self.X, self.y, self.window = name, X, np.asarray(y, dtype=float), window
        self.persistence_column = persistence_column
        self.description, self.period = description, period

    def folds(self, origins):
        n = len(self.X)
        return [(int(o * n), int((o + HORIZON) * n)) for o in origins]


def _next(frame, column):
    """``frame`` without its last row, and the next row's ``column`` as the target."""
    y = frame[column].shift(-1).to_numpy()[:-1]
    return frame.iloc[:-1], y


def _univariate(name, values, window, description, period):
    frame = pd.DataFrame({name: np.asarray(values, dtype=float)})
    return Series(name, *_next(frame, name), window, name, description, period=period)


def load_series(weather_csv=None, names=None):
    """The development series (those in ``names``, default all), in the order of the tables."""
    weather = load_weather(weather_csv)
    series = [Series("clean_weather", weather[["tmax", "tmin", "rain"]],
                     weather["tmax_tomorrow"], 7, "tmax",
                     "tutorial's weather, daily tmax (°F), 3 features", period=365)]

    from vega_datasets import local_data

    raw = pd.read_csv(io.BytesIO(local_data.seattle_weather.raw(use_local=True)))
    seattle = raw[["temp_max", "temp_min", "precipitation", "wind"]].astype(float)
    series.append(Series("seattle", *_next(seattle, "temp_max"), 7, "temp_max",
                         "Seattle daily temp_max (°C), 4 features", period=365))

    from statsmodels.datasets import macrodata, sunspots

    spots = sunspots.load_pandas().data[["SUNACTIVITY"]].astype(float)
    series.append(Series("sunspots", *_next(spots, "SUNACTIVITY"), 12, "SUNACTIVITY",
                         "yearly sunspot number, univariate"))
    macro = macrodata.load_pandas().data[["realgdp", "realcons", "realinv"]].astype(float)
    series.append(Series("us_gdp", *_next(macro, "realgdp"), 8, "realgdp",
                         "US real GDP, quarterly, 3 features (trend)"))

    from sktime.datasets import load_airline, load_lynx

    series.append(_univariate("airline", load_airline(), 12,
                              "monthly airline passengers, univariate (trend, season)", 12))
    series.append(_univariate("lynx", load_lynx(), 10,
                              "yearly lynx trappings, univariate (10-year cycle)", 10))
    series.append(_univariate("seatbelts", _seatbelts_ksi(), 12,
                              "monthly road casualties (KSI), univariate", 12))
    return [s for s in series if names is None or s.name in names]


def _seatbelts_ksi():
    """Column ``KSI`` of the seatbelts data bundled with sktime (which has no loader for it)."""
    from pathlib import Path

    import sktime

    path = Path(sktime.__file__).parent / "datasets" / "data" / "seatbelts" / "seatbelts.csv"
    return pd.read_csv(path)["KSI"]


# ------------------------------------------------------------------------ models

def windowed(estimator, window, flatten):
    return make_pipeline(StandardScaler(), SequenceWindower(window, flatten=flatten), estimator)


def rnn(window, seed, **params):
    return windowed(RNNRegressor(random_state=seed, **params), window, flatten=False)


def ridge(window, seed):
    return windowed(Ridge(), window, flatten=True)


def ridge_cv(window, seed):
    """RidgeCV (efficient leave-one-out over alphas 1e-4..1e3) on the same windows."""
    return windowed(RidgeCV(alphas=np.logspace(-4, 3, 15)), window, flatten=True)


def hgb(window, seed):
    return windowed(HistGradientBoostingRegressor(random_state=seed), window, flatten=True)


def mlp(window, seed):
    return windowed(TransformedTargetRegressor(
        MLPRegressor(hidden_layer_sizes=(32,), max_iter=500, random_state=seed),
        transformer=StandardScaler()), window, flatten=True)


class TorchRecurrent(RegressorMixin, BaseEstimator):
    """torch.nn.RNN/GRU/LSTM + Linear on the last step (``_torch_peer``): Adam,
    clipping at 5, batch 64, standardised target, early stopping on the
    chronological last 10 % of the training windows (patience 10 epochs), best
    weights restored. ``cell`` is the torch module's name."""

    def __init__(self, cell="RNN", hidden_size=16, learning_rate=3e-3, max_epochs=200,
                 patience=10, random_state=0):
        self.cell, self.hidden_size, self.learning_rate = cell, hidden_size, learning_rate
        self.max_epochs, self.patience, self.random_state = max_epochs, patience, random_state

    def fit(self, X, y):
        import torch

        torch.set_num_threads(1)  # as the NumPy models: one thread per job
        torch.manual_seed(self.random_state)
        X = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        self.mu_, self.sd_ = float(np.mean(y)), float(np.std(y)) or 1.0
        y = torch.from_numpy(((np.asarray(y) - self.mu_) / self.sd_).astype(np.float32))[:, None]
        n_val = max(1, int(np.ceil(0.1 * len(X))))
        cell = {torch_name: name for name, torch_name in _torch_peer.TORCH_MODULES.items()}
        self.model_ = _torch_peer.build(cell[self.cell], X.shape[2], self.hidden_size)
        _torch_peer.fit(self.model_, X[:-n_val], y[:-n_val], epochs=self.max_epochs,
                        batch_size=64, learning_rate=self.learning_rate, loss="mse", clip=5.0,
                        validation=(X[-n_val:], y[-n_val:]), patience=self.patience)
        return self

    def predict(self, X):
        import torch

        with torch.no_grad():
            out = self.model_(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)))
        return out.numpy().ravel() * self.sd_ + self.mu_


def torch_model(cell):
    def make(window, seed):
        return windowed(TorchRecurrent(cell=cell, random_state=seed), window, flatten=False)
    return make


# ---------------------------------------------------------------------- scoring

CLASSICAL = ("seasonal naive", "ETS", "ARIMA")


def classical(series, start, stop, name):
    """Forecasts of rows ``start:stop`` by a univariate classical model (or None if it
    does not apply to the series), and what was chosen (ARIMA's order)."""
    import _classical

    x = series.X[series.persistence_column].to_numpy()
    if name == "seasonal naive":
        if series.period is None:
            return None, None
        return _classical.seasonal_naive(x, start, stop, series.period), None
    if name == "ETS":
        return _classical.ets(x, start, stop, series.period), None
    return _classical.arima(x, start, stop)


def fold_score(series, start, stop, make_model, seed):
    """``(test MSE, fit seconds, detail)`` of one model on one fold; MSE None where
    the model does not apply."""
    if make_model == "persistence":
        last = series.X[series.persistence_column].to_numpy()
        return mean_squared_error(series.y[start:stop], last[start:stop]), 0.0, None
    if make_model in CLASSICAL:
        begin = time.perf_counter()
        pred, detail = classical(series, start, stop, make_model)
        seconds = time.perf_counter() - begin
        if pred is None:
            return None, None, None
        return mean_squared_error(series.y[start:stop], pred), seconds, detail
    model = make_model(series.window, seed)
    begin = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(series.X.iloc[:start], series.y[:start])
    seconds = time.perf_counter() - begin
    # the window the model reads: the series' fixed one, or its windower's choice
    pred = predict_with_history(model, series.X, start, stop)
    return mean_squared_error(series.y[start:stop], pred), seconds, None


def run_jobs(jobs, n_jobs):
    """Run ``fold_score`` jobs ``(series, start, stop, make_model, seed)`` in processes
    with one BLAS thread each."""
    from joblib import Parallel, delayed
    from threadpoolctl import threadpool_limits

    def one(*args):
        with threadpool_limits(1):
            return fold_score(*args)

    return Parallel(n_jobs=n_jobs)(delayed(one)(*job) for job in jobs)


def geometric_mean(values):
    return float(np.exp(np.mean(np.log(values))))

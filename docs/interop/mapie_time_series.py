"""MAPIE: EnbPI and ACI intervals around an RNNRegressor, on windows built first.

Both update the interval as the test days arrive, a week at a time: EnbPI
replaces its oldest residuals with the new ones, ACI moves its level towards the
target coverage. EnbPI's block bootstrap resamples blocks of rows; the rows here
are whole windows, so every resample still holds real windows. (A block bootstrap
of the raw daily rows, before a SequenceWindower, would glue blocks end to end:
the windows that cross a seam would join days that were never consecutive.)
"""

import warnings

import numpy as np
from mapie.regression import TimeSeriesRegressor
from mapie.subsample import BlockBootstrap
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather

X, y = load_seattle_weather(return_X_y=True)
windows = SequenceWindower(window_length=7, flatten=True).fit_transform(X)[6:]
y = y.to_numpy()[6:]
cal, test = int(0.6 * len(y)), int(0.8 * len(y))  # the last 20 % are the test days


def online_coverage(mapie, adapt):
    """Predict a week of test days, then show MAPIE their true values."""
    covered = []
    for start in range(test, len(y), 7):
        week = slice(start, min(start + 7, len(y)))
        _, bounds = mapie.predict(windows[week], confidence_level=0.8, ensemble=True,
                                  allow_infinite_bounds=True)
        covered += list((bounds[:, 0, 0] <= y[week]) & (y[week] <= bounds[:, 1, 0]))
        adapt(windows[week], y[week])
    return np.mean(covered)


# EnbPI: 20 networks, each on blocks of 30 windows drawn with replacement from the
# first 80 %; a window's residual comes from the networks that did not see it.
# early_stopping=False: a bootstrap resample has no chronological tail to hold out;
# 10 epochs each keep the 21 fits to seconds (each warns that it has not converged)
rnn = make_pipeline(StandardScaler(), RNNRegressor(n_features_per_step=3, max_iter=10,
                                                   early_stopping=False, random_state=0))
bootstrap = BlockBootstrap(n_resamplings=20, length=30, overlapping=True, random_state=0)
enbpi = TimeSeriesRegressor(rnn, method="enbpi", cv=bootstrap, agg_function="mean")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    enbpi.fit(windows[:test], y[:test])
with warnings.catch_warnings():  # MAPIE 1.6's update warns that two of its arguments are inert
    warnings.simplefilter("ignore", UserWarning)
    coverage_enbpi = online_coverage(enbpi, enbpi.update)

# ACI: one network fitted on the first 60 %, residuals from the next 20 %
model = make_pipeline(StandardScaler(), RNNRegressor(n_features_per_step=3, random_state=0))
model.fit(windows[:cal], y[:cal])
aci = TimeSeriesRegressor(model, method="aci", cv="prefit").fit(windows[cal:test], y[cal:test])
coverage_aci = online_coverage(aci, lambda X_week, y_week: aci.adapt_conformal_inference(
    X_week, y_week, gamma=0.05, confidence_level=0.8))
print(f"80 % intervals, coverage of the {len(y) - test} test days:"
      f" EnbPI {coverage_enbpi:.1%}, ACI {coverage_aci:.1%}")

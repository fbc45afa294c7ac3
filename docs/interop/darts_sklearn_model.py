"""darts: an RNNRegressor inside SKLearnModel, 7 days ahead at once, with covariates.

darts tabulates a series into one block of lags per series kind, target first,
then past covariates; inside a block the lags run oldest first and, for a
series of several components, time-major (all components of a lag, then the
next lag). A univariate target with one past covariate is therefore
``[y lags][covariate lags]``: ``flat_order="feature_major"``. The Seattle daily
weather: ``tmax`` of the next 7 days from the last 14 days of ``tmax`` (and
``tmin``, ``rain``), scored on 7-day forecasts over the last 10 weeks.
"""

import os
import tempfile

import numpy as np
from darts import TimeSeries
from darts.metrics import mae
from darts.models import SKLearnModel
from darts.utils.serialization import safe_globals
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from skrnn import RNNRegressor
from skrnn.datasets import load_seattle_weather

# a RangeIndex: darts 0.48.1 under pandas 3.1 could not step a daily DatetimeIndex
weather = TimeSeries.from_dataframe(load_seattle_weather().reset_index(drop=True))
tmax, tmin, rain = weather["tmax"], weather["tmin"], weather["rain"]
LAGS, HORIZON = 14, 7
test_start = len(weather) - 70


def time_major(n_lags, n_covariates):
    """Column order that makes [y lags][c1, c2, ... lag by lag] time-major."""
    return [i for t in range(n_lags)
            for i in [t] + [n_lags + t * n_covariates + c for c in range(n_covariates)]]


models = {
    "Ridge, tmax only": (SKLearnModel(model=Ridge(), lags=LAGS,
                                      output_chunk_length=HORIZON), None),
    "RNNRegressor, tmax only": (SKLearnModel(model=RNNRegressor(random_state=0), lags=LAGS,
                                             output_chunk_length=HORIZON), None),
    # one past covariate: [tmax lags][tmin lags], one block per variable
    "RNNRegressor, tmin as covariate": (SKLearnModel(
        model=RNNRegressor(flat_order="feature_major", n_features_per_step=2, random_state=0),
        lags=LAGS, lags_past_covariates=LAGS, output_chunk_length=HORIZON), tmin),
    # two past covariates: their block is time-major; reorder the columns to
    # time-major overall (a ColumnTransformer of plain indices pickles safely)
    "RNNRegressor, tmin and rain": (SKLearnModel(
        model=make_pipeline(ColumnTransformer([("steps", "passthrough", time_major(LAGS, 2))]),
                            RNNRegressor(n_features_per_step=3, random_state=0)),
        lags=LAGS, lags_past_covariates=LAGS, output_chunk_length=HORIZON),
        tmin.stack(rain)),
}
scores = {}
for name, (model, covariates) in models.items():
    model.fit(tmax[:test_start], past_covariates=covariates)
    scores[name] = model.backtest(tmax, past_covariates=covariates, start=test_start,
                                  forecast_horizon=HORIZON, stride=HORIZON, retrain=False,
                                  last_points_only=False, metric=mae)
    print(f"{name:32s} MAE over the 10 test weeks {np.mean(scores[name]):.2f} °C")

# Saving and loading: darts' safe loader needs to trust only RNNRegressor, whose
# pickle names no other skrnn class (it trusts scikit-learn's own classes)
model, covariates = models["RNNRegressor, tmin and rain"]
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "rnn.pkl")
    model.save(path)
    with safe_globals([RNNRegressor]):
        loaded = SKLearnModel.load(path)  # trusted=False, the default
forecasts = [m.predict(HORIZON, series=tmax, past_covariates=covariates).values()
             for m in (model, loaded)]
same = np.array_equal(*forecasts)
print("the loaded model predicts the same:", same)

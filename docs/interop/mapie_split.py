"""MAPIE: split conformal intervals around an RNNRegressor, on windows built first.

Each row of ``windows`` is the 7 days that end on day ``t`` (flattened, time-major:
3 features per step) and ``y`` is ``tmax`` of day ``t + 1``. Rows stay in time
order: fit on the first 60 %, conformalize on the next 20 %, test on the last 20 %.
"""

import numpy as np
from mapie.regression import SplitConformalRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather

X, y = load_seattle_weather(return_X_y=True)
windows = SequenceWindower(window_length=7, flatten=True).fit_transform(X)[6:]
y = y.to_numpy()[6:]  # the first 6 windows are padded: dropped
fit_end, cal_end = int(0.6 * len(y)), int(0.8 * len(y))

model = make_pipeline(StandardScaler(), RNNRegressor(n_features_per_step=3, random_state=0))
model.fit(windows[:fit_end], y[:fit_end])
mapie = SplitConformalRegressor(model, confidence_level=0.8, prefit=True)
mapie.conformalize(windows[fit_end:cal_end], y[fit_end:cal_end])
point, bounds = mapie.predict_interval(windows[cal_end:])
low, high = bounds[:, 0, 0], bounds[:, 1, 0]
coverage = np.mean((low <= y[cal_end:]) & (y[cal_end:] <= high))
print(f"80 % split conformal interval: covers {coverage:.1%} of the {len(point)} test days,"
      f" width {np.mean(high - low):.1f} °C")

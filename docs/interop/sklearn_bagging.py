"""scikit-learn: bagging networks over windows built first.

``BaggingRegressor`` draws rows with replacement. Around a pipeline that
windows inside (StandardScaler, SequenceWindower, RNNRegressor), it hands the
pipeline those rows in random order, and the windower joins days that were never
consecutive. Build the windows first, then bag the network itself: every row is
then a whole window, and since RNNRegressor's ``fit`` takes ``sample_weight``,
BaggingRegressor gives each network its bootstrap draw as weights (how often each
window was drawn) instead of reordering rows, so early stopping's validation
part is still the chronological tail. Keep ``max_features=1.0`` and
``bootstrap_features=False`` (the defaults): a subset of columns would cut steps
out of the windows.
"""

import numpy as np
from sklearn.ensemble import BaggingRegressor
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather

X, y = load_seattle_weather(return_X_y=True)
split = int(0.8 * len(y))  # fit on the first 80 % of the days, test on the rest
scaled = StandardScaler().fit(X[:split]).transform(X)
windows = SequenceWindower(window_length=7, flatten=True).fit_transform(scaled)
windows, y = windows[6:], y.to_numpy()[6:]  # the first 6 windows are padded: dropped
split -= 6

rnn = RNNRegressor(n_features_per_step=3, random_state=0)
bagging = BaggingRegressor(rnn, n_estimators=5, random_state=0)
mse = {}
for name, model in [("one network", rnn), ("5 bagged networks", bagging)]:
    model.fit(windows[:split], y[:split])
    mse[name] = np.mean((model.predict(windows[split:]) - y[split:]) ** 2)
    print(f"{name:18s} test MSE {mse[name]:.2f}")

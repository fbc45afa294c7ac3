"""sktime: exogenous variables, one block of lags per variable.

sktime's reduction lays out each window as ``[y lags][X column 1 lags]...``,
oldest first within a block: ``flat_order="feature_major"``, with
``n_features_per_step`` the number of variables (y and the columns of X).
The Seattle daily weather: tomorrow's ``tmax`` from the last 7 days of ``tmax``,
``tmin`` and ``rain``; the last 30 days are held out.
"""

import numpy as np
from sklearn.linear_model import Ridge
from sktime.forecasting.compose import make_reduction
from sktime.performance_metrics.forecasting import mean_absolute_error

from skrnn import RNNRegressor
from skrnn.datasets import load_seattle_weather

weather = load_seattle_weather().asfreq("D").iloc[-730:]  # the last two years
y, X = weather["tmax"], weather[["tmin", "rain"]]
y_train, y_test, X_train, X_test = y[:-30], y[-30:], X[:-30], X[-30:]
fh = np.arange(1, 31)

rnn = RNNRegressor(flat_order="feature_major", n_features_per_step=1 + X.shape[1],
                   random_state=0)
forecasters, mae = {}, {}
for name, regressor in [("RNNRegressor", rnn), ("Ridge", Ridge())]:
    forecaster = make_reduction(regressor, strategy="recursive", window_length=7)
    forecasters[name] = forecaster.fit(y_train, X=X_train, fh=fh)
    # the recursive strategy reads X at the forecast dates: here the observed values
    mae[name] = mean_absolute_error(y_test, forecaster.predict(fh, X=X_test))
    print(f"{name:13s} 30-day MAE of tmax {mae[name]:.2f} °C")

"""sktime: an RNNRegressor as the tabular regressor of make_reduction.

The airline series (144 months); the last 36 months are held out. Each strategy
turns the series into windows of 12 months, as Ridge would get them.
"""

import numpy as np
from sklearn.linear_model import Ridge
from sktime.datasets import load_airline
from sktime.forecasting.compose import make_reduction
from sktime.performance_metrics.forecasting import mean_absolute_percentage_error
from sktime.split import temporal_train_test_split

from skrnn import RNNRegressor

y = load_airline()
y_train, y_test = temporal_train_test_split(y, test_size=36)
fh = np.arange(1, 37)  # 1 to 36 months ahead

mape = {}
for strategy in ["recursive", "direct", "multioutput"]:
    for name, regressor in [
        # from 50 windows on, the default holds out the last 10 % and keeps the
        # network's ridge start unless an epoch beats it there
        ("RNNRegressor", RNNRegressor(random_state=0)),
        ("Ridge", Ridge()),
    ]:
        forecaster = make_reduction(regressor, strategy=strategy, window_length=12)
        forecaster.fit(y_train, fh=fh)
        mape[strategy, name] = mean_absolute_percentage_error(y_test, forecaster.predict(fh))
        print(f"{strategy:12s} {name:12s} 36-month MAPE {mape[strategy, name]:.3f}")

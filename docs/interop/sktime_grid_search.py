"""sktime: tune the window and the network with ForecastingGridSearchCV.

Parameters of the regressor inside the reduction are ``estimator__<name>``;
the window is the reducer's own ``window_length``. The folds are sktime's:
expanding windows, each scored on the 12 months after its end.
"""

import numpy as np
from sktime.datasets import load_airline
from sktime.forecasting.compose import make_reduction
from sktime.forecasting.model_selection import ForecastingGridSearchCV
from sktime.split import ExpandingWindowSplitter

from skrnn import RNNRegressor

y = load_airline()
forecaster = make_reduction(RNNRegressor(max_iter=50, random_state=0), window_length=12)
cv = ExpandingWindowSplitter(fh=np.arange(1, 13), initial_window=96, step_length=12)
search = ForecastingGridSearchCV(
    forecaster, cv=cv, backend=None,  # backend=None: one process; "loky" is the default
    param_grid={"window_length": [12, 24], "estimator__hidden_size": [4, 8]},
)
search.fit(y.iloc[:-12], fh=np.arange(1, 13))
print("best:", search.best_params_)
results = search.cv_results_
for params, score in zip(results["params"], results["mean_test_MeanAbsolutePercentageError"]):
    print(params, f"mean MAPE over the folds {score:.3f}")

"""scikit-learn: successive halving with epochs as the resource, not rows.

``HalvingGridSearchCV(resource="n_samples")`` trains each candidate on a random
subset of the training rows, in random order (even in its last round, on all the
rows): a SequenceWindower inside the pipeline would then window days that were
never consecutive. Spend epochs instead: ``resource="rnnregressor__max_iter"``
leaves the rows, and so the windows, as they are.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower
from skrnn.datasets import load_seattle_weather

X, y = load_seattle_weather(return_X_y=True)
pipe = make_pipeline(StandardScaler(), SequenceWindower(window_length=7),
                     RNNRegressor(random_state=0))
search = HalvingGridSearchCV(
    pipe, {"rnnregressor__hidden_size": [4, 8, 16], "rnnregressor__alpha": [1e-3, 1e-2]},
    resource="rnnregressor__max_iter", min_resources=5, max_resources=45, factor=3,
    cv=TimeSeriesSplit(n_splits=3, gap=6), scoring="neg_mean_squared_error",
)
with warnings.catch_warnings():  # a budget of a few epochs stops short of convergence
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)
print("epochs per round:", search.n_resources_, " candidates:", search.n_candidates_)
print("best:", search.best_params_)

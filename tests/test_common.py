"""scikit-learn's estimator conformance suite over several configurations."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skrnn import RNNRegressor

ESTIMATORS = [
    RNNRegressor(),
    RNNRegressor(n_layers=2, solver="sgd", learning_rate_init=0.05),
    RNNRegressor(activation="relu", hidden_size=16),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

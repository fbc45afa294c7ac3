"""scikit-learn's estimator conformance suite over several configurations."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skrnn import RNNRegressor, SequenceWindower

# A window of a row depends on the rows before it: these two checks assume
# every output row depends on its own input row only.
ORDER_DEPENDENT = {
    "check_methods_subset_invariance": "a window depends on the rows before it",
    "check_methods_sample_order_invariance": "a window depends on the rows before it",
}

ESTIMATORS = [
    RNNRegressor(),
    RNNRegressor(n_layers=2, solver="sgd", learning_rate_init=0.05),
    RNNRegressor(activation="relu", hidden_size=16),
    SequenceWindower(),
    SequenceWindower(window_length=3, padding="zeros", flatten=True),
]


def expected_failed_checks(estimator):
    return ORDER_DEPENDENT if isinstance(estimator, SequenceWindower) else {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

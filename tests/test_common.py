"""scikit-learn's estimator conformance suite over several configurations."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skrnn import RNNClassifier, RNNRegressor, SequenceWindower

# A window of a row depends on the rows before it: these two checks assume
# every output row depends on its own input row only.
ORDER_DEPENDENT = {
    "check_methods_subset_invariance": "a window depends on the rows before it",
    "check_methods_sample_order_invariance": "a window depends on the rows before it",
}

ESTIMATORS = [
    RNNRegressor(),
    # without the linear path: on sklearn's unscaled check data, SGD at 5e-2 diverges
    # along it (the curvature of raw inputs), as SGD on a linear model would
    # early stopping off: check_regressors_train asks for a training R^2 above 0.5 on 200
    # samples, which SGD stopped on a 20-sample validation tail does not reach
    RNNRegressor(cell="lstm", n_layers=2, solver="sgd", learning_rate_init=0.05,
                 skip_connection=False, early_stopping=False),
    # alpha 1e-4 (the default was 3e-2 when this was measured): at 3e-2 sklearn's weighted-vs-
    # repeated check fails here by rounding alone: one prediction of 0.012 differs by
    # 1.3e-8 after 158 Adam epochs through 30 relu steps (its tolerance is 1.2e-9;
    # other seeds give 1e-15 to 1e-9). test_regressor checks that equivalence at the
    # current default directly, over a span where rounding cannot grow.
    RNNRegressor(cell="elman", activation="relu", hidden_size=16, alpha=1e-4),
    RNNRegressor(cell="gru"),
    RNNRegressor(cell="lstm", n_layers=2),
    RNNRegressor(cell="elman"),  # the linear path with the Elman cell
    RNNClassifier(cell="elman"),
    # The default cell (GRU) at learning_rate_init=3e-3 instead of its 1e-2. Before
    # the input standardisation, at the defaults, sklearn's weighted-vs-repeated
    # check failed by rounding alone (8.2e-5 in predict_proba after 182 Adam epochs
    # against the check's 1e-7; at 3e-3: 4e-16); since, the defaults pass it (below)
    # and the regressor's fail it (DEFAULT_REGRESSOR). test_classifier checks that
    # equivalence at the defaults over 50 epochs, before rounding has grown.
    RNNClassifier(learning_rate_init=3e-3),
    RNNClassifier(),
    RNNClassifier(cell="lstm", n_layers=2),
    # patches of steps (scikit-learn's 2-D checks are read as sequences of one
    # feature: patches of 2 to 4 of their columns), every cell, both heads, and the
    # pooled read-outs; the GRU
    # classifier and the LSTM regressor with patches of 2 at 3e-3 for the reason
    # above (the regressor at 1e-2: 7e-5 relative, as at its defaults). (The GRU
    # regressor with patches of 3 failed the weighted-vs-repeated check by rounding
    # alone, 1.4e-8 on a prediction of 7e-4 against its 1e-9 + 1e-7 relative; with
    # 4, or at 3e-3, it passes.)
    RNNRegressor(patch_length=2, learning_rate_init=3e-3),
    RNNRegressor(cell="gru", patch_length=4),
    RNNRegressor(cell="elman", patch_length=2, readout="mean"),
    RNNClassifier(patch_length=2, learning_rate_init=3e-3),
    RNNClassifier(cell="lstm", patch_length=3, readout="mean"),
    RNNClassifier(cell="elman", patch_length=2, readout="max"),
    # the losses beyond squared error (issue 29)
    RNNRegressor(loss="absolute_error"),
    RNNRegressor(loss="quantile", quantile=0.7, cell="gru"),
    SequenceWindower(),
    SequenceWindower(window_length=3, padding="zeros", flatten=True),
]


# RNNRegressor() at its defaults: the one check it fails, by rounding alone. The
# weighted fit and the repeated one are the same full batch summed in another
# order; they start from ridge fits that already differ by rounding (30 columns on
# 12 distinct samples are ill-conditioned: test_regressor measures 1.1e-7 in
# predict), and training grows the difference: 7e-6 relative in predict after one
# epoch, 1e-4 at the tol stop (epoch 40) against the check's 1e-7. (Before the input standardisation the same fit ended at 5e-8, and
# RNNClassifier() at its defaults failed instead; which configuration crosses the
# line is chaos.) test_regressor checks the equivalence at the defaults directly,
# over a span where rounding cannot grow.
DEFAULT_REGRESSOR = {
    "check_sample_weight_equivalence_on_dense_data":
        "the weighted fit and the repeated one differ by rounding at their ridge start "
        "that training grows (1e-4 in predict at the tol stop against the check's 1e-7)",
}


def expected_failed_checks(estimator):
    if isinstance(estimator, SequenceWindower):
        return ORDER_DEPENDENT
    if isinstance(estimator, RNNRegressor) and estimator.get_params() == RNNRegressor().get_params():
        return DEFAULT_REGRESSOR
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

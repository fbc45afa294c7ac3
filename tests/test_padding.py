"""Sequences of different lengths in the estimators: NaN right-padding, the
helper that makes it, the per-step transformer, and the contract's errors."""

import io

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skrnn import (RNNClassifier, RNNRegressor, StepTransformer, load_model, pad_sequences,
                   save_model)
from skrnn.export import to_torch
from ._helpers import QUIET

CELLS = ["elman", "gru", "lstm"]


def sequences(n=120, seed=0, n_features=2, shortest=2, longest=9):
    """Sequences of different lengths; the target sums the first feature."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(shortest, longest + 1, size=n)
    seqs = [rng.normal(size=(k, n_features)) for k in lengths]
    y = np.array([s[:, 0].sum() + 0.5 * s[-1, 1] for s in seqs])
    return seqs, y, lengths


# ----------------------------------------------------------------- the helper


def test_pad_sequences_right_pads_with_nan():
    X = pad_sequences([np.arange(6.0).reshape(3, 2), np.ones((1, 2))], max_steps=4)
    assert X.shape == (2, 4, 2) and X.dtype == np.float64
    np.testing.assert_array_equal(X[0, :3], np.arange(6.0).reshape(3, 2))
    assert np.isnan(X[0, 3:]).all() and np.isnan(X[1, 1:]).all()
    one_feature = pad_sequences([[1.0, 2.0], [3.0]], dtype=np.float32)
    assert one_feature.shape == (2, 2, 1) and one_feature.dtype == np.float32


@pytest.mark.parametrize("args, message", [
    (([],), "non-empty list"),
    (([np.zeros((0, 2))],), r"sequences\[0\] has no step"),
    (([np.zeros((2, 2)), np.zeros((2, 3))],), r"sequences\[1\] has 3 features per step"),
    (([np.zeros((2, 2, 2))],), r"sequences\[0\] has shape \(2, 2, 2\)"),
    (([np.array([[1.0], [np.nan]])],), r"sequences\[0\] has NaN at step 1"),
    (([np.array([[np.inf]])],), "inf"),
    (([np.zeros((5, 1))], 3), r"sequences\[0\] has 5 steps, more than max_steps=3"),
    (([np.zeros((1, 1))], 0), "max_steps must be an integer >= 1"),
])
def test_pad_sequences_errors(args, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences(*args)


# ------------------------------------------------------------------ contract


def test_a_padded_fit_equals_the_unpadded_fit():
    """Every sequence padded by 3 NaN steps: the same network, the same predictions;
    the linear path's extra rows (the window positions before each sequence) stay 0."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 5, 2))
    y = X[:, :, 0].sum(axis=1)
    padded = np.concatenate([X, np.full((80, 3, 2), np.nan)], axis=1)
    # to 1e-7 (1e-8 near zero): the ridge start's SVD of the wider window agrees to
    # rounding (1e-15), which 8 epochs of Adam grow to ~1e-9
    for cell in CELLS:
        params = dict(cell=cell, max_iter=8, random_state=0, **QUIET)
        plain = RNNRegressor(**params).fit(X, y)
        pad = RNNRegressor(**params).fit(padded, y)
        assert pad.n_steps_ == 8
        for a, b in zip(pad.input_weights_ + pad.recurrent_weights_,
                        plain.input_weights_ + plain.recurrent_weights_, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(pad.skip_weights_[: 3 * 2], 0.0, atol=0)
        np.testing.assert_allclose(pad.skip_weights_[3 * 2 :], plain.skip_weights_,
                                   rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(pad.predict(padded), plain.predict(X), rtol=1e-7,
                                   atol=1e-8)


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_more_padding_never_changes_a_prediction(cell, skip):
    seqs, y, lengths = sequences()
    X = pad_sequences(seqs)
    model = RNNRegressor(cell=cell, skip_connection=skip, max_iter=80,
                                     random_state=0, **QUIET).fit(X, y)
    pred = model.predict(X)
    assert model.score(X, y) > 0.5  # it learned from the padded sequences
    np.testing.assert_array_equal(model.predict(pad_sequences(seqs, max_steps=15)), pred)
    for i in (0, 1, 7):  # each sequence alone, unpadded, of its own length
        np.testing.assert_allclose(model.predict(seqs[i][None]), pred[i : i + 1],
                                   rtol=1e-12, atol=1e-12)
    # the same padding, flattened to 2-D time-major rows
    flat = X.reshape(len(X), -1)
    model2 = clone(model).set_params(n_features_per_step=2).fit(flat, y)
    np.testing.assert_array_equal(model2.predict(flat), pred)


def test_a_padded_regressor_exports_to_torch_on_the_unpadded_sequences():
    torch = pytest.importorskip("torch")  # installed in CI: this test runs there
    seqs, y, _ = sequences(n=60)
    X = pad_sequences(seqs)
    model = RNNRegressor(cell="lstm", skip_connection=False, max_iter=5,
                                     random_state=0, **QUIET).fit(X, y)
    module = to_torch(model)
    pred = model.predict(X)
    with torch.no_grad():
        for i in range(5):
            theirs = module(torch.from_numpy(seqs[i][None])).numpy()
            np.testing.assert_allclose(pred[i], theirs[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["fit", "predict"])
@pytest.mark.parametrize("flat", [False, True], ids=["3d", "2d"])
def test_every_error_of_the_contract_names_the_sample_and_step(method, flat):
    seqs, y, _ = sequences(n=10)
    base = pad_sequences(seqs, max_steps=10)
    model = RNNRegressor(max_iter=1, random_state=0).fit(base, y)
    cases = []
    X = base.copy()
    X[3, 0, 1] = np.nan  # one feature of a valid step
    cases.append((X, r"X\[3, 0\] \(sample 3, step 0\) has NaN in feature 1 but not in every"))
    X = base.copy()
    X[4, 0, :] = np.nan  # padding before valid steps
    cases.append((X, r"X\[4, 0\] \(sample 4, step 0\) is padding \(all NaN\) but step \d+ "
                     "after it is not: padding must be trailing"))
    X = base.copy()
    X[5] = np.nan
    cases.append((X, r"X\[5\] \(sample 5\) has no valid step"))
    for X, message in cases:
        X_in = X.reshape(len(X), -1) if flat else X
        before = X_in.copy()
        target = clone(model).set_params(n_features_per_step=2) if flat else model
        with pytest.raises(ValueError, match=message):
            if method == "fit":
                target.fit(X_in, y)
            else:
                (target.fit(base.reshape(10, -1), y) if flat else target).predict(X_in)
        np.testing.assert_array_equal(X_in, before)  # the input is not modified


def test_predict_takes_sequences_of_any_length_with_the_same_features():
    seqs, y, _ = sequences(n=40)
    model = RNNRegressor(max_iter=2, random_state=0).fit(pad_sequences(seqs), y)
    assert model.predict(np.zeros((3, 30, 2))).shape == (3,)
    assert model.predict(np.zeros((3, 1, 2))).shape == (3,)
    with pytest.raises(ValueError, match="3-D input may have any number of steps, but the "
                                         "same features per step"):
        model.predict(np.zeros((3, 4, 3)))


def test_padded_fit_with_early_stopping_and_sample_weight():
    seqs, y, _ = sequences(n=1200, seed=1)  # early stopping "auto" is on from 1000
    X = pad_sequences(seqs)
    w = np.random.RandomState(2).uniform(0.5, 2.0, size=len(y))
    model = RNNRegressor(random_state=0, max_iter=30).fit(X, y, sample_weight=w)
    assert model.validation_scores_ and np.all(np.isfinite(model.validation_scores_))
    assert model.score(X, y) > 0.8


def test_save_and_load_a_model_fitted_on_padded_sequences():
    seqs, y, _ = sequences()
    X = pad_sequences(seqs)
    model = RNNRegressor(max_iter=5, random_state=0, **QUIET).fit(X, y)
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


# ------------------------------------------------------- the step transformer


def test_step_transformer_scales_the_valid_steps_only_and_keeps_the_padding():
    seqs, _, lengths = sequences(n=30)
    X = pad_sequences(seqs, max_steps=12)
    before = X.copy()
    step = StepTransformer(StandardScaler()).fit(X)
    Xt = step.transform(X)
    np.testing.assert_array_equal(X, before)
    valid = ~np.isnan(X).all(axis=2)
    assert np.array_equal(~np.isnan(Xt).all(axis=2), valid)  # the padding is kept
    rows = np.concatenate(seqs)  # the statistics of the valid steps alone
    np.testing.assert_allclose(step.transformer_.mean_, rows.mean(axis=0))
    np.testing.assert_allclose(Xt[valid].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Xt[valid].std(axis=0), 1.0)
    # any per-feature transformer, and sequences of another length
    minmax = StepTransformer(MinMaxScaler()).fit(X)
    assert minmax.transform(X[:, :3]).shape == (30, 3, 2)
    assert StepTransformer().fit(X).transformer_.__class__ is StandardScaler


def test_step_transformer_errors():
    with pytest.raises(ValueError, match="takes 3-D sequences"):
        StepTransformer().fit(np.zeros((4, 2)))
    fitted = StepTransformer().fit(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="3 features per step, but StepTransformer was "
                                         "fitted with 2"):
        fitted.transform(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="no valid step"):
        StepTransformer().fit(np.full((2, 3, 2), np.nan))


def test_a_pipeline_with_the_scaler_and_the_classifier_in_a_grid_search():
    seqs, y, lengths = sequences(n=160, seed=3)
    X = pad_sequences([s * 10 + 50 for s in seqs])  # far from scaled
    labels = np.where(y > 0, "up", "down")
    pipe = make_pipeline(StepTransformer(StandardScaler()),
                         RNNClassifier(max_iter=40, random_state=0, **QUIET))
    search = GridSearchCV(pipe, {"rnnclassifier__cell": ["gru", "lstm"]}, cv=2)
    search.fit(X, labels)
    assert search.best_score_ > 0.7
    proba = search.predict_proba(pad_sequences([s * 10 + 50 for s in seqs], max_steps=20))
    np.testing.assert_allclose(proba, search.predict_proba(X), rtol=1e-12, atol=1e-14)


def test_step_transformer_is_an_ordinary_estimator():
    """scikit-learn's check_estimator cannot run it (3-D input only): the basics here."""
    import pickle

    from sklearn.utils._param_validation import InvalidParameterError

    step = StepTransformer(MinMaxScaler())
    assert clone(step).get_params()["transformer"].__class__ is MinMaxScaler
    with pytest.raises(InvalidParameterError, match="transformer"):
        StepTransformer(transformer="scale").fit(np.zeros((2, 3, 1)))
    X = pad_sequences([[[1.0], [2.0]], [[3.0]]])
    fitted = step.fit(X)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.transform(X), fitted.transform(X))
    with pytest.raises(ValueError, match="not fitted"):
        StepTransformer().transform(X)

"""SequenceWindower(window_length="auto"): the window chosen from the data."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower, predict_with_history
from skrnn._linear_path import ridge_start
from skrnn._window_choice import (_gcv_ridge, _moments, candidate_windows, choose_window,
                                  window_cap)
from skrnn.incremental import window_chunks


def seasonal_ar(n, period=12, seed=0):
    """x_t = 0.3 x_{t-1} + 0.6 x_{t-period} + noise: the next value needs the row
    one season back, which only windows of ``period`` rows or more contain."""
    rng = np.random.default_rng(seed)
    x = np.zeros(n + 100)
    for t in range(period, len(x)):
        x[t] = 0.3 * x[t - 1] + 0.6 * x[t - period] + rng.normal()
    x = x[100:]
    return x[:-1, None], x[1:]


def test_a_seasonal_series_gets_a_window_covering_its_season():
    for seed in range(3):
        X, y = seasonal_ar(400, period=12, seed=seed)
        windower = SequenceWindower("auto").fit(X, y)
        assert windower.window_length_ >= 12


def test_white_noise_gets_a_short_window():
    rng = np.random.default_rng(0)
    for _ in range(3):
        X, y = rng.normal(size=(400, 2)), rng.normal(size=400)
        assert SequenceWindower("auto").fit(X, y).window_length_ <= 3


def test_a_given_window_is_recorded_as_it_is():
    X = np.random.default_rng(0).normal(size=(30, 2))
    windower = SequenceWindower(5).fit(X)
    assert windower.window_length_ == 5 and windower.window_scores_ is None
    assert isinstance(SequenceWindower(np.int64(4)).fit(X).window_length_, int)


def test_transform_and_names_use_the_chosen_window():
    X, y = seasonal_ar(300)
    windower = SequenceWindower("auto", flatten=True).fit(X, y)
    L = windower.window_length_
    Xt = windower.transform(X)
    assert Xt.shape == (len(X), L)
    np.testing.assert_array_equal(Xt, SequenceWindower(L, flatten=True).fit_transform(X))
    names = windower.get_feature_names_out(["x"])
    assert names[0] == f"x_lag{L - 1}" and names[-1] == "x_lag0"
    scores = windower.window_scores_
    assert scores["window_length"][np.argmin(scores["validation_mse"])] >= 12
    assert L in scores["window_length"] and len(scores["validation_mse"]) == len(
        scores["window_length"])
    frame = windower.set_output(transform="pandas").transform(X)
    assert isinstance(frame, pd.DataFrame) and frame.shape == (len(X), L)


def test_candidates_and_cap():
    assert candidate_windows(5).tolist() == [1, 2, 3, 4, 5]
    windows = candidate_windows(100)
    assert windows[:24].tolist() == list(range(1, 25)) and windows[-1] == 100
    assert np.all(np.diff(windows) >= 1) and np.all(windows[24:] / windows[23:-1] <= 1.3)
    # a third of the rows, and 4 sqrt(n) columns over the features
    assert window_cap(79, 1) == 26 and window_cap(39, 1) == 13
    assert window_cap(10_000, 4) == 100 and window_cap(10_000, 1000) == 1


def test_the_ridge_of_the_rule_is_the_linear_paths_ridge():
    rng = np.random.default_rng(1)
    Z, Y = rng.normal(size=(60, 8)), rng.normal(size=(60, 2))
    coef, intercept = _gcv_ridge(*_moments(Z, Y))
    expected_coef, expected_intercept, _ = ridge_start(Z, Y, np.ones(60))
    np.testing.assert_allclose(coef, expected_coef, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(intercept, expected_intercept, rtol=1e-7, atol=1e-10)


def lags_of(series, rows, steps):
    """The window of each row, most recent row first, as the rule orders the columns."""
    return np.stack([series[rows - lag] for lag in range(steps)], axis=1)


def brute_force_errors(Xs, ys, steps, blocks, training_rows):
    """Each validation row's squared error: for each block, the ridge of the linear
    path fitted on ``training_rows(a, b)``, predicting the block's rows."""
    errors = []
    for a, b in blocks:
        rows = training_rows(a, b)
        coef, intercept, _ = ridge_start(lags_of(Xs, rows, steps), ys[rows, None],
                                         np.ones(len(rows)))
        val = np.arange(a, b)
        errors.extend((ys[val] - lags_of(Xs, val, steps) @ coef[:, 0] - intercept[0]) ** 2)
    return np.asarray(errors)


@pytest.mark.parametrize("scheme", ["blocked", "forward"])
def test_scores_are_validation_errors_recomputed_by_brute_force(scheme):
    """Each candidate's score and the one-standard-error choice, recomputed row by row."""
    X, y = seasonal_ar(90, period=6, seed=3)
    chosen, windows, scores = choose_window(X, y, scheme=scheme)
    Xs, ys = (X[:, 0] - X.mean()) / X.std(), (y - y.mean()) / y.std()
    n, longest = len(ys), windows[-1]
    if scheme == "forward":  # the last third in three blocks, each fitted on the rows before it
        bounds = np.linspace(n - n // 3, n, 4).round().astype(int)
        training = lambda a, b, steps: np.arange(steps - 1, a)  # noqa: E731
    else:  # five blocks of the rows every window can use; the window - 1 rows after
        bounds = np.linspace(longest - 1, n, 6).round().astype(int)
        training = lambda a, b, steps: np.setdiff1d(  # noqa: E731
            np.arange(steps - 1, n), np.arange(a, min(b + steps - 1, n)))
    blocks = list(zip(bounds[:-1], bounds[1:]))
    errors = np.column_stack([
        brute_force_errors(Xs, ys, steps, blocks, lambda a, b, s=steps: training(a, b, s))
        for steps in windows])
    # where a block's training rows are fewer than the window's columns, GCV's
    # choice among nearly equal penalties may differ in the last bits between the
    # moment sums and the direct fit: compare exactly where the fit is determined
    determined = np.array([min(len(training(a, b, steps)) for a, b in blocks) > steps + 1
                           for steps in windows])
    assert determined.sum() >= 0.75 * len(windows)
    np.testing.assert_allclose(scores[determined], errors.mean(axis=0)[determined], rtol=1e-6)
    np.testing.assert_allclose(scores, errors.mean(axis=0), rtol=1e-2)
    best = np.argmin(scores)
    diff = errors - errors[:, [best]]
    margin = diff.std(axis=0, ddof=1) / np.sqrt(len(errors))
    assert chosen == windows[np.flatnonzero(scores - scores[best] <= margin)[0]]


def test_nan_tail_of_the_target_and_several_outputs():
    X, y = seasonal_ar(300)
    shifted = np.append(y[1:], np.nan)  # the tail of shift(-1)
    windower = SequenceWindower("auto").fit(X, shifted)
    assert windower.window_length_ >= 1 and np.isfinite(windower.window_scores_["validation_mse"]).all()
    Y = np.column_stack([y, y])
    assert SequenceWindower("auto").fit(X, Y).window_length_ == \
        SequenceWindower("auto").fit(X, y).window_length_


def test_errors_say_what_is_missing():
    X, y = seasonal_ar(100)
    with pytest.raises(ValueError, match="chooses the window from the target.*fit\\(X, y\\)"):
        SequenceWindower("auto").fit(X)
    with pytest.raises(ValueError, match="one target row per row of X"):
        SequenceWindower("auto").fit(X, y[:-1])
    with pytest.raises(ValueError, match="at least 12 rows"):
        SequenceWindower("auto").fit(X[:10], y[:10])
    with pytest.raises(ValueError, match="window_length"):
        SequenceWindower("automatic").fit(X, y)
    with pytest.raises(ValueError, match="window_length_"):
        next(window_chunks([X], "auto"))


def test_nothing_the_user_passed_is_modified():
    X, y = seasonal_ar(120)
    X0, y0 = X.copy(), y.copy()
    SequenceWindower("auto").fit(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_clone_pickle_and_grid_search_with_auto():
    X, y = seasonal_ar(300)
    windower = SequenceWindower("auto").fit(X, y)
    assert clone(windower).get_params()["window_length"] == "auto"
    restored = pickle.loads(pickle.dumps(windower))
    np.testing.assert_array_equal(restored.transform(X), windower.transform(X))
    pipe = make_pipeline(StandardScaler(), SequenceWindower(flatten=True), Ridge())
    search = GridSearchCV(pipe, {"sequencewindower__window_length": [2, "auto"]},
                          cv=TimeSeriesSplit(3)).fit(X, y)
    assert search.best_params_["sequencewindower__window_length"] == "auto"
    assert search.best_estimator_[1].window_length_ >= 12


def test_a_windower_pickled_before_auto_still_transforms():
    X = np.random.default_rng(0).normal(size=(20, 2))
    windower = SequenceWindower(3).fit(X)
    state = dict(windower.__getstate__())
    del state["window_length_"], state["window_scores_"]  # what an older version pickled
    old = SequenceWindower.__new__(SequenceWindower)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.transform(X), windower.transform(X))


def test_chunked_windows_with_the_chosen_window():
    X, y = seasonal_ar(200)
    windower = SequenceWindower("auto").fit(X, y)
    chunks = [(X[:70], None), (X[70:150], None), (X[150:], None)]
    windows = np.concatenate([w for w, _ in window_chunks(chunks, windower.window_length_)])
    np.testing.assert_array_equal(windows, windower.transform(X))


def test_a_pipeline_forecasts_with_the_history_its_window_needs():
    X, y = seasonal_ar(300)
    pipe = make_pipeline(StandardScaler(), SequenceWindower("auto"),
                         RNNRegressor(max_iter=3, random_state=0)).fit(X[:250], y[:250])
    L = pipe[1].window_length_
    tail = predict_with_history(pipe, X, 260, 299)
    np.testing.assert_allclose(tail, predict_with_history(pipe, X, 260, 299, window_length=L))
    # the rows before 260 matter: without them the first windows are padded
    assert not np.allclose(tail[: L - 1], pipe.predict(X[260:299])[: L - 1])
    with pytest.raises(ValueError, match="found 0 SequenceWindower"):
        predict_with_history(Ridge().fit(X, y), X, 5, 10)

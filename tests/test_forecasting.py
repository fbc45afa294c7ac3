"""multi_step_target: the k-step target matrix, aligned with SequenceWindower."""


import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNRegressor, SequenceWindower, multi_step_target


def test_row_t_holds_the_next_horizon_values_and_the_tail_is_nan():
    series = np.arange(10.0) ** 2
    Y = multi_step_target(series, 3)
    assert Y.shape == (10, 3) and Y.dtype == np.float64
    for t in range(10):
        for k in range(1, 4):
            expected = series[t + k] if t + k < 10 else np.nan
            np.testing.assert_equal(Y[t, k - 1], expected)
    assert np.isnan(Y[-3:]).any(axis=1).all() and not np.isnan(Y[:-3]).any()


def test_one_step_is_the_weather_tasks_target():
    """horizon=1 is the ``tmax_tomorrow`` column of the tutorial's data."""
    rng = np.random.RandomState(0)
    tmax = pd.Series(rng.normal(60, 10, size=50), name="tmax",
                     index=pd.date_range("2000-01-01", periods=50, name="date"))
    Y = multi_step_target(tmax, 1)
    assert list(Y.columns) == ["tmax_t+1"] and Y.index.equals(tmax.index)
    np.testing.assert_array_equal(Y["tmax_t+1"].to_numpy()[:-1], tmax.shift(-1).to_numpy()[:-1])


def test_dataframe_output_names_and_unnamed_series():
    Y = multi_step_target(pd.Series([1.0, 2.0, 3.0]), 2)
    assert list(Y.columns) == ["y_t+1", "y_t+2"]
    Y = multi_step_target(pd.DataFrame({"rain": [0.0, 1.0, 0.5]}), 2)
    assert list(Y.columns) == ["rain_t+1", "rain_t+2"]
    np.testing.assert_array_equal(Y.to_numpy(), [[1.0, 0.5], [0.5, np.nan], [np.nan, np.nan]])


def test_input_is_not_modified_and_integers_become_floats():
    series = np.array([3, 1, 4, 1, 5])
    before = series.copy()
    Y = multi_step_target(series, 2)
    np.testing.assert_array_equal(series, before)
    assert Y.dtype == np.float64
    assert np.isnan(multi_step_target(series, 7)).any(axis=1).all()  # longer than the series
    assert np.isnan(multi_step_target(series, 7)[:, 5:]).all()
    np.testing.assert_array_equal(multi_step_target(series.reshape(-1, 1), 1)[:-1, 0],
                                  [1, 4, 1, 5])


@pytest.mark.parametrize("horizon", [0, -1, 1.5, True, "3"])
def test_bad_horizon_is_a_value_error(horizon):
    with pytest.raises(ValueError, match="horizon must be an integer >= 1"):
        multi_step_target(np.arange(5.0), horizon)


def test_bad_series_is_named():
    with pytest.raises(ValueError, match="takes a 1-D series; got an array of shape"):
        multi_step_target(np.zeros((4, 2)), 1)
    with pytest.raises(ValueError, match="DataFrame with 2 columns"):
        multi_step_target(pd.DataFrame({"a": [1.0], "b": [2.0]}), 1)
    with pytest.raises(TypeError, match="real numbers"):
        multi_step_target(np.array(["a", "b"]), 1)


def test_a_pipeline_forecasts_every_step_of_a_known_recursion():
    """Fitted on the windows and the matrix (tail dropped), one model forecasts
    k steps of a noiseless linear recursion; the horizon-k column is the k-th
    value after the window's last row."""
    t = np.arange(600)
    series = np.sin(0.3 * t) + 0.5 * np.sin(0.11 * t)
    X = pd.DataFrame({"x": series})
    Y = multi_step_target(X["x"], 3)
    model = make_pipeline(StandardScaler(), SequenceWindower(12),
                          RNNRegressor(skip_connection=True, random_state=0, max_iter=50))
    model.fit(X.iloc[:-3], Y.iloc[:-3])
    pred = model.predict(X)
    assert pred.shape == (600, 3)
    err = pred[20:-3] - Y.to_numpy()[20:-3]
    rmse = np.sqrt(np.mean(err ** 2, axis=0))
    persistence = np.sqrt(np.mean((series[20:-3, None] - Y.to_numpy()[20:-3]) ** 2, axis=0))
    assert np.all(rmse < 0.25 * np.std(series)) and np.all(rmse < 0.5 * persistence)


# ------------------------------------------------------- predict_with_history


def _ridge_pipeline(window=3):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    from skrnn import SequenceWindower

    return make_pipeline(SequenceWindower(window, flatten=True), Ridge(alpha=1e-3))


@pytest.mark.parametrize("frame", [False, True])
def test_predict_with_history_gives_every_row_its_full_window(frame):
    import pandas as pd

    from skrnn import predict_with_history

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] + np.concatenate([[0.0, 0.0], X[:-2, 1]])
    if frame:
        X = pd.DataFrame(X, columns=["a", "b"])
    pipe = _ridge_pipeline().fit(X, y)
    rows = np.asarray(X)
    # the windows of rows 40..49 built by hand from the whole series
    windows = np.stack([rows[t - 2 : t + 1].reshape(-1) for t in range(40, 50)])
    expected = pipe[-1].predict(windows)
    np.testing.assert_allclose(predict_with_history(pipe, X, 40, 50, 3), expected)
    # alone, the first two rows would be padded: not the same
    assert not np.allclose(pipe.predict(X[40:50] if not frame else X.iloc[40:50]), expected)
    # from the first row, as much history as exists
    np.testing.assert_allclose(predict_with_history(pipe, X, 0, 5, 3), pipe.predict(
        X[:5] if not frame else X.iloc[:5]))


@pytest.mark.parametrize("args, error, message", [
    ((5, 5, 3), ValueError, r"start=5, stop=5: need 0 <= start < stop <= len\(X\) = 60"),
    ((-1, 5, 3), ValueError, "start=-1"),
    ((0, 61, 3), ValueError, "stop=61"),
    ((0, 5, 0), ValueError, "window_length must be >= 1"),
    ((0.5, 5, 3), TypeError, "start must be an integer"),
    ((0, 5, True), TypeError, "window_length must be an integer"),
])
def test_predict_with_history_errors(args, error, message):
    from skrnn import predict_with_history

    X = np.random.RandomState(0).normal(size=(60, 2))
    pipe = _ridge_pipeline().fit(X, X[:, 0])
    with pytest.raises(error, match=message):
        predict_with_history(pipe, X, *args)


def test_chronological_split():
    from skrnn.datasets import chronological_split

    assert chronological_split(100) == (70, 85)
    assert chronological_split(10, train=0.5, valid=0.2) == (5, 7)
    with pytest.raises(ValueError, match="train"):
        chronological_split(100, train=0.9, valid=0.2)

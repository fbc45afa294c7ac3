"""SequenceWindower: windows, padding, layouts, names and pandas output."""


import numpy as np
import pandas as pd
import pytest

from skrnn import RNNRegressor, SequenceWindower


def reference_windows(X, length, padding):
    """Window by hand, one row at a time."""
    out = []
    for i in range(len(X)):
        rows = []
        for j in range(i - length + 1, i + 1):
            if j >= 0:
                rows.append(X[j])
            else:
                rows.append(X[0] if padding == "edge" else np.zeros(X.shape[1]))
        out.append(rows)
    return np.array(out)


@pytest.mark.parametrize("padding", ["edge", "zeros"])
@pytest.mark.parametrize("length", [1, 2, 7, 12])
def test_windows_match_the_definition(padding, length):
    X = np.random.RandomState(0).normal(size=(10, 3))
    windower = SequenceWindower(window_length=length, padding=padding)
    # fit needs at least window_length rows; transform may get fewer (a short fold)
    Xt = windower.fit(np.vstack([X, X])).transform(X)
    assert Xt.shape == (10, length, 3)
    np.testing.assert_array_equal(Xt, reference_windows(X, length, padding))
    np.testing.assert_array_equal(Xt[:, -1], X)  # row i is the last step of window i


def test_flat_layout_is_time_major_and_what_the_regressor_reads():
    X = np.random.RandomState(0).normal(size=(30, 3))
    windows = SequenceWindower(window_length=4).fit_transform(X)
    flat = SequenceWindower(window_length=4, flatten=True).fit_transform(X)
    assert flat.shape == (30, 12)
    np.testing.assert_array_equal(flat, windows.reshape(30, 12))
    np.testing.assert_array_equal(flat[5, 3:6], X[3])  # step 1 of row 5 is row 3
    y = X[:, 0]
    m3 = RNNRegressor(max_iter=2, random_state=0).fit(windows, y)
    m2 = RNNRegressor(max_iter=2, random_state=0, n_features_per_step=3).fit(flat, y)
    np.testing.assert_array_equal(m3.predict(windows), m2.predict(flat))


def test_dtype_preserved_and_input_untouched():
    X = np.random.RandomState(0).normal(size=(9, 2)).astype(np.float32)
    X0 = X.copy()
    Xt = SequenceWindower(3).fit_transform(X)
    assert Xt.dtype == np.float32
    np.testing.assert_array_equal(X, X0)
    Xt[:] = 0
    np.testing.assert_array_equal(X, X0)  # the output is not a view of the input


def test_window_longer_than_the_rows_transformed_is_all_padding():
    X = np.arange(6.0).reshape(3, 2)
    Xt = SequenceWindower(window_length=5).fit(np.vstack([X, X])).transform(X)
    np.testing.assert_array_equal(Xt, reference_windows(X, 5, "edge"))
    np.testing.assert_array_equal(Xt[0], np.tile(X[0], (5, 1)))


def test_feature_names_from_a_dataframe_and_pandas_output():
    df = pd.DataFrame(
        np.arange(15.0).reshape(5, 3), columns=["tmax", "tmin", "rain"],
        index=pd.date_range("2000-01-01", periods=5),
    )
    w = SequenceWindower(window_length=3, flatten=True).fit(df)
    names = w.get_feature_names_out()
    assert names[:3].tolist() == ["tmax_lag2", "tmin_lag2", "rain_lag2"]
    assert names[-3:].tolist() == ["tmax_lag0", "tmin_lag0", "rain_lag0"]
    out = w.set_output(transform="pandas").transform(df)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == names.tolist()
    assert out.index.equals(df.index)
    np.testing.assert_array_equal(out["tmax_lag0"], df["tmax"])
    np.testing.assert_array_equal(out["tmax_lag1"].to_numpy()[1:], df["tmax"].to_numpy()[:-1])


def test_three_d_mode_refuses_names_and_pandas_output_clearly():
    X = np.zeros((4, 2))
    w = SequenceWindower(window_length=2).fit(X)
    with pytest.raises(ValueError, match="flatten=True"):
        w.get_feature_names_out()
    with pytest.raises(ValueError, match="3-D windows"):
        w.set_output(transform="pandas").transform(X)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(window_length=0), "window_length"),
        (dict(padding="reflect"), "padding"),
        (dict(flatten="yes"), "flatten"),
    ],
)
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        SequenceWindower(**params).fit(np.zeros((3, 2)))


def test_bad_input_is_named():
    w = SequenceWindower(3).fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="X has 3 features, but SequenceWindower is expecting 2"):
        w.transform(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="NaN"):
        w.transform(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="dim 3"):
        w.transform(np.zeros((5, 2, 1)))

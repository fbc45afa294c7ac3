"""What a new user hit in a first hour (items 6-8 of the report; the demo's
items are in test_demo.py): each test reproduces one report."""


import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import RNNClassifier, RNNRegressor, SequenceWindower


def daily(n_rows=300, seed=0):
    rng = np.random.RandomState(seed)
    days = np.arange(n_rows)
    X = pd.DataFrame({
        "tmax": 60 + 15 * np.sin(2 * np.pi * days / 365) + rng.normal(0, 4, n_rows),
        "tmin": 45 + 12 * np.sin(2 * np.pi * days / 365) + rng.normal(0, 4, n_rows),
        "rain": rng.exponential(0.1, n_rows),
    })
    return X, X["tmax"].shift(-1).ffill().to_numpy()


# 6. a window longer than the rows it is fitted on


def test_windower_fit_refuses_a_window_longer_than_its_rows():
    X = np.random.RandomState(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match=r"window_length=50\) is fitted on 10 samples"):
        SequenceWindower(window_length=50).fit(X)
    with pytest.raises(ValueError, match="window_length=11"):
        SequenceWindower(window_length=11).fit_transform(X)
    with pytest.raises(ValueError, match="1 sample "):
        SequenceWindower(window_length=2).fit(X[:1])
    fitted = SequenceWindower(window_length=10).fit(X)  # as long as the rows: fine
    # transform of fewer rows (a short test fold) stays allowed, with padding
    windows = fitted.transform(X[:3])
    assert windows.shape == (3, 10, 3)
    np.testing.assert_array_equal(windows[0, :-1], np.repeat(X[:1], 9, axis=0))


# 7. set_output(transform="pandas") and 3-D windows


def test_pandas_output_of_3d_windows_says_what_is_true():
    X, y = daily()
    pipe = make_pipeline(StandardScaler(), SequenceWindower(7), RNNRegressor(max_iter=2))
    pipe.set_output(transform="pandas")
    with pytest.raises(ValueError, match="3-D windows, which have no column names") as error:
        pipe.fit(X, y)
    message = str(error.value)
    assert "flatten=True gives 2-D windows with names" in message
    assert "use" not in message.split("so it has")[0]  # no advice to call set_output again
    with pytest.raises(ValueError, match="no get_feature_names_out"):
        SequenceWindower(7).fit(X).get_feature_names_out()
    # with flatten=True both work
    flat = SequenceWindower(7, flatten=True).set_output(transform="pandas").fit_transform(X)
    assert isinstance(flat, pd.DataFrame) and flat.columns[0] == "tmax_lag6"


# 8. flattened multi-feature windows are never read as one feature per step


def test_flattened_windows_with_the_windower_names_are_read_per_step():
    X, y = daily()
    pipe = make_pipeline(StandardScaler(), SequenceWindower(7, flatten=True),
                         RNNRegressor(max_iter=3, random_state=0))
    pipe.set_output(transform="pandas")  # the names travel with the windows
    pipe.fit(X, y)
    rnn = pipe[-1]
    assert (rnn.n_steps_, rnn.n_features_per_step_) == (7, 3)
    assert rnn.n_features_per_step is None  # inferred and recorded, the parameter untouched
    # the same model as 3-D windows of the same rows
    three_d = make_pipeline(StandardScaler(), SequenceWindower(7),
                            RNNRegressor(max_iter=3, random_state=0))
    three_d.fit(X, y)
    np.testing.assert_allclose(pipe.predict(X), three_d.predict(X), rtol=1e-12)
    # a contradicting n_features_per_step is an error that names both
    windows = SequenceWindower(7, flatten=True).set_output(transform="pandas").fit_transform(X)
    with pytest.raises(ValueError, match=r"n_features_per_step=1, but the columns .* 3 features"):
        RNNRegressor(n_features_per_step=1).fit(windows, y)


@pytest.mark.parametrize(
    "names, expected",
    [
        (["tmax_lag1", "rain_lag1", "tmax_lag0", "rain_lag0"], 2),
        (["x0_lag2", "x0_lag1", "x0_lag0"], 1),
        (["a_b_lag1", "c_lag1", "a_b_lag0", "c_lag0"], 2),
        (["tmax", "rain"], None),  # not windows
        (["a_lag1", "b_lag1", "b_lag0", "a_lag0"], None),  # features in another order
        (["a_lag2", "a_lag0"], None),  # a step missing
        (["a_lag1", "b_lag1", "a_lag0"], None),  # the last step incomplete
        (["a_lag01", "a_lag00"], None),
    ],
)
def test_the_layout_is_read_from_names_only_when_they_are_exactly_the_windowers(names, expected):
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, len(names))), columns=names)
    model = RNNRegressor(max_iter=1, random_state=0).fit(X, X.iloc[:, -1])
    assert model.n_features_per_step_ == (expected or 1)


# ------------------------------------------------------------- round two


def test_3d_input_of_another_width_is_said_in_steps_and_features():
    """../shared/repro/r5_3d_features.py: the error named 10 and 15 flat columns."""
    rng = np.random.RandomState(0)
    model = RNNRegressor(max_iter=2, random_state=0).fit(rng.normal(size=(50, 5, 3)),
                                                         rng.normal(size=50))
    with pytest.raises(ValueError, match=(
            r"X holds sequences of 5 steps x 2 features, but RNNRegressor was fitted on "
            r"5 steps x 3 features \(3-D input may have any number of steps")):
        model.predict(rng.normal(size=(4, 5, 2)))
    with pytest.raises(ValueError, match="4 steps x 2 features"):  # partial_fit too
        model.partial_fit(rng.normal(size=(8, 4, 2)), rng.normal(size=8))


def test_python_m_skrnn_version():
    import subprocess
    import sys

    import skrnn

    out = subprocess.run([sys.executable, "-m", "skrnn", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == f"skrnn {skrnn.__version__}"


def test_a_dataframe_of_rows_straight_into_the_estimator_says_how_it_is_read():
    """../shared/repro/r2_silent_2d.py: daily rows (tmax, tmin, rain) given to
    RNNRegressor without a windower were read as 3 steps of 1 feature in silence."""
    import warnings

    X, y = daily(n_rows=120)
    with pytest.warns(UserWarning, match=r"reads the 3 columns of X \(tmax, tmin, rain\) "
                                         r"as one sequence of 3 steps"):
        RNNRegressor(max_iter=1, random_state=0).fit(X, y)
    quiet = [
        (X.to_numpy(), {}),  # no names: nothing to tell (scikit-learn's checks feed these)
        (X, {"n_features_per_step": 1}),  # said by the user
        (X.set_axis(["t0", "t1", "t2"], axis=1), {}),  # numbered steps of one sequence
        (X.set_axis(["col_1", "col_2", "col_3"], axis=1), {}),
    ]
    for data, params in quiet:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*reads the .* columns of X")
            RNNRegressor(max_iter=1, random_state=0, **params).fit(data, y)


def test_flat_numpy_windows_in_a_pipeline_say_how_they_are_read():
    """../shared/repro/r2_silent_2d.py, second half: SequenceWindower(flatten=True)
    in a pipeline hands the network a plain array, read as 21 steps of one feature
    in silence. Consecutive flat windows are shifts of each other by one step's
    features: the estimator names the stride and the parameter that reads them."""
    import warnings

    from sklearn.utils.estimator_checks import _enforce_estimator_tags_X

    from skrnn._validation import window_stride

    X, y = daily()
    pipe = make_pipeline(StandardScaler(), SequenceWindower(7, flatten=True),
                         RNNRegressor(max_iter=1, random_state=0))
    with pytest.warns(UserWarning, match=r"shifted by 3 columns.*n_features_per_step=3") as caught:
        pipe.fit(X, y)
    assert caught[0].filename == __file__  # at the user's line
    windows = SequenceWindower(7, flatten=True).fit_transform(X.to_numpy())
    assert window_stride(windows) == 3
    rng = np.random.RandomState(0)
    quiet = [
        (windows, {"n_features_per_step": 3}),  # said by the user
        (SequenceWindower(7, flatten=True).fit_transform(X[["tmax"]]), {}),  # 1 per step
        (rng.normal(size=(60, 12)), {}),  # what scikit-learn's checks feed
        (np.zeros((60, 12)), {}),  # constant: a shift by one column too
        (windows[rng.permutation(len(windows))], {}),  # shuffled windows: no evidence
    ]
    for data, params in quiet:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*shifted by")
            RNNRegressor(max_iter=1, random_state=0, **params).fit(data, y[: len(data)])
    assert _enforce_estimator_tags_X is not None  # the checks' 2-D data stay quiet (test_common)


def test_a_single_series_goes_into_the_windower_and_1d_arrays_get_one_line():
    """Item 5: a pandas Series is one series of one feature (its name names the
    lags); a 1-D array is refused in one line (scikit-learn's checks require a
    ValueError for 1-D X; its message printed the whole array)."""
    series = pd.Series(np.arange(30.0), name="temp")
    w = SequenceWindower(3, flatten=True).fit(series)
    np.testing.assert_array_equal(w.transform(series), SequenceWindower(3, flatten=True)
                                  .fit_transform(series.to_numpy()[:, None]))
    assert w.get_feature_names_out().tolist() == ["temp_lag2", "temp_lag1", "temp_lag0"]
    for fit in (lambda: SequenceWindower(3).fit(np.arange(30.0)),
                lambda: RNNRegressor().fit(np.arange(30.0), np.arange(30.0))):
        with pytest.raises(ValueError, match=r"1-D") as error:
            fit()
        assert "\n" not in str(error.value) and "29." not in str(error.value)


def test_a_nan_tail_of_y_says_which_rows_and_how_to_drop_them():
    """Item 6: multi_step_target and shift(-1) leave NaN in the last rows of y;
    scikit-learn said only 'Input y contains NaN.'"""
    from skrnn import multi_step_target

    X, _ = daily(n_rows=80)
    Y = multi_step_target(X["tmax"], 3)
    pipe = make_pipeline(StandardScaler(), SequenceWindower(4), RNNRegressor(max_iter=1))
    with pytest.raises(ValueError, match=r"y has NaN in its last 3 rows only.*X\[:-3\], "
                                         r"y\[:-3\]"):
        pipe.fit(X, Y)
    with pytest.raises(ValueError, match=r"last 1 row only"):
        pipe.fit(X, X["tmax"].shift(-1))
    y = X["tmax"].shift(-1).to_numpy(copy=True)
    y[10] = np.nan  # NaN elsewhere too: scikit-learn's message stands
    with pytest.raises(ValueError, match="Input y contains NaN"):
        pipe.fit(X, y)
    pipe.fit(X[:-3], Y[:-3])  # as the message says


def test_a_global_pandas_output_config_leaves_3d_windows_as_arrays():
    """Item 7: sklearn.set_config(transform_output="pandas") made the README
    pipeline fail at fit; now the 3-D windows stay arrays under it, flat windows
    become DataFrames with lag names, and an explicit set_output on 3-D windows
    still says why it cannot be."""
    import sklearn

    X, y = daily(n_rows=80)
    with sklearn.config_context(transform_output="pandas"):
        pipe = make_pipeline(StandardScaler(), SequenceWindower(7),
                             RNNRegressor(max_iter=2, random_state=0)).fit(X, y)
        assert pipe[-1].n_steps_ == 7 and pipe[-1].n_features_per_step_ == 3
        assert isinstance(pipe[:-1].transform(X), np.ndarray)
        flat = SequenceWindower(7, flatten=True).fit_transform(X)
        assert isinstance(flat, pd.DataFrame) and flat.columns[0] == "tmax_lag6"
    with pytest.raises(ValueError, match="3-D windows, which have no column names"):
        SequenceWindower(7).set_output(transform="pandas").fit_transform(X)


@pytest.mark.parametrize("make", [lambda: SequenceWindower(3), lambda: RNNRegressor(max_iter=1)])
def test_a_date_column_is_named_in_one_line(make):
    """Item 7: a datetime column gave numpy's DTypePromotionError."""
    X, y = daily(n_rows=40)
    X = X.assign(day=pd.date_range("2020-01-01", periods=40))
    with pytest.raises(TypeError, match=r"X has date or time columns \(day\); "):
        make().fit(X, y)
    assert "day" in X  # the user's frame is left as it was


# ------------------------------------------------------- round two, item 6 and leftovers


def test_nan_in_the_windower_says_where_and_how_to_fill_or_drop_it():
    """Item 6, first half (../shared/repro/r7_bad_inputs.py, 2a-2c): NaN in the rows
    got scikit-learn's advice to use HistGradientBoosting."""
    X, y = daily(n_rows=80)
    gappy = X.copy()
    gappy.iloc[30:33, 0] = np.nan
    fits = {
        "alone": SequenceWindower(7).fit,
        "auto": SequenceWindower("auto").fit,  # refused before the window is chosen
        "fit_transform": SequenceWindower(7).fit_transform,
    }
    for name, fit in fits.items():
        with pytest.raises(ValueError, match=r"^X has NaN in 3 rows, at positions 30, 31, 32, "
                                             r"in column tmax\. A window") as error:
            fit(gappy, y)
        message = str(error.value)
        assert "\n" not in message and "HistGradientBoosting" not in message, name
        for advice in ("padding at the end of a shorter sequence", "X.ffill()",
                       "sklearn.impute.SimpleImputer", "keep = X.notna().all(axis=1)"):
            assert advice in message, (name, advice)
    # transform says the same, on the rows it is given (a test fold)
    windower = SequenceWindower(7).fit(X)
    test_fold = gappy.iloc[28:40].reset_index(drop=True)
    with pytest.raises(ValueError, match=r"^X has NaN in 3 rows, at positions 2, 3, 4, in column "
                                         r"tmax\. A window"):
        windower.transform(test_fold)
    # in a pipeline the scaler drops the names; the positions stay, the whole rows too
    pipe = make_pipeline(StandardScaler(), SequenceWindower(7), RNNRegressor(max_iter=1))
    gappy.iloc[31] = np.nan
    with pytest.raises(ValueError, match=r"3 rows, at positions 30, 31, 32, in columns "
                                         r"0, 1, 2\. A window"):
        pipe.fit(gappy, y)
    with pytest.raises(ValueError, match=r"at positions 30, 31, 32, in columns 0, 1, 2\."):
        pipe.fit(X, y).predict(gappy)
    # the labels of an index that is not the positions; the first five rows only
    dated = gappy.set_axis(pd.date_range("2020-01-01", periods=80)).iloc[20:]
    dated.iloc[50:58, 2] = np.nan
    with pytest.raises(ValueError, match=(
            r"X has NaN in 11 rows, at positions 10, 11, 12, 50, 51, \.\.\. \(index "
            r"2020-01-31 00:00:00, 2020-02-01 00:00:00, 2020-02-02 00:00:00, "
            r"2020-03-11 00:00:00, 2020-03-12 00:00:00, \.\.\.\), in columns tmax, tmin, rain\.")):
        SequenceWindower(3).fit(dated)
    # infinity keeps scikit-learn's message; the advice works
    with pytest.raises(ValueError, match="Input X contains infinity"):
        SequenceWindower(3).fit(X.replace(X.iloc[0, 0], np.inf))
    from sklearn.impute import SimpleImputer

    make_pipeline(SimpleImputer(), StandardScaler(), SequenceWindower(7),
                  RNNRegressor(max_iter=1)).fit(gappy, y)
    SequenceWindower(7).fit(gappy.ffill())


@pytest.mark.parametrize("make", [
    lambda: SequenceWindower(3),
    lambda: RNNRegressor(max_iter=1, n_features_per_step=1),
    lambda: RNNClassifier(max_iter=1, n_features_per_step=1),
])
def test_a_date_column_at_predict_is_named_in_one_line_too(make):
    """Leftover of item 7: fit named a date column, the estimators' predict gave
    numpy's DTypePromotionError (the windower's transform already named it)."""
    X, y = daily(n_rows=40)
    model = make().fit(X, y > 60)
    dated = X.assign(day=pd.date_range("2020-01-01", periods=40))
    methods = ["transform"] if isinstance(model, SequenceWindower) else ["predict", "score"]
    if isinstance(model, RNNClassifier):
        methods.append("predict_proba")
    for method in methods:
        args = (dated,) if method != "score" else (dated, y > 60)
        with pytest.raises(TypeError, match=r"^X has date or time columns \(day\); "
                                            rf"{type(model).__name__} takes numbers\."):
            getattr(model, method)(*args)


def test_skrnn_warnings_point_at_the_users_line(monkeypatch):
    """Leftover: skrnn's warnings named skrnn's own line (no stacklevel); they name
    the line of the user's call, through scikit-learn's wrappers and pipelines too."""
    import io
    import pickle
    import warnings

    from sklearn.model_selection import cross_val_score

    import skrnn._version
    from skrnn import load_model, save_model
    from skrnn.exceptions import InconsistentVersionWarning

    X, y = daily(n_rows=60)
    windows = SequenceWindower(3).fit_transform(X)
    regressor = RNNRegressor(max_iter=1, random_state=0)
    pipe = make_pipeline(SequenceWindower(3), regressor)
    calls = {  # each with the start of the warnings it gives
        "fit": (lambda: regressor.fit(windows, y), ["RNNRegressor: maximum iterations"]),
        "pipeline": (lambda: pipe.fit(X, y), ["RNNRegressor: maximum iterations"]),
        "cross_val_score": (lambda: cross_val_score(pipe, X, y, cv=2),
                            ["RNNRegressor: maximum iterations"] * 2),
        "the columns' reading": (lambda: RNNRegressor(max_iter=1).fit(X, y),
                                 ["RNNRegressor reads the 3 columns",
                                  "RNNRegressor: maximum iterations"]),
        "classifier's holdout": (lambda: RNNClassifier(max_iter=1, early_stopping=True)
                                 .fit(windows[:30], y[:30] > 60),
                                 ["RNNClassifier: early stopping holds out",
                                  "RNNClassifier: maximum iterations"]),
    }
    for name, (call, expected) in calls.items():
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            call()
        messages = [str(w.message) for w in record]
        assert len(messages) == len(expected), (name, messages)
        assert all(m.startswith(start) for m, start in zip(messages, expected)), (name, messages)
        assert {w.filename for w in record} == {__file__}, name

    # a model written by another version: unpickled, or loaded from a file
    fitted = RNNRegressor(max_iter=1).fit(windows, y)
    monkeypatch.setattr(skrnn._version, "__version__", "0.0.1")
    pickled, saved = pickle.dumps(fitted), io.BytesIO()
    save_model(fitted, saved)
    monkeypatch.undo()
    for load in (lambda: pickle.loads(pickled), lambda: load_model(io.BytesIO(saved.getvalue()))):
        with pytest.warns(InconsistentVersionWarning) as record:
            load()
        assert [w.filename for w in record] == [__file__]


def test_feature_major_flat_windows_are_read_as_they_are_laid_out():
    """Issue 29 item 2: sktime's exogenous X and darts' past covariates arrive as one
    block of lags per variable ([y lags][a lags][b lags]); flat_order="feature_major"
    reads them as the same sequences as the 3-D windows (and predicts the same), the
    time-major default on such a table reads another sequence."""
    import io
    import warnings

    from skrnn import RNNClassifier
    from skrnn.persistence import load_model, save_model

    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(120, 6, 3))
    y = X3[:, -1, 0] + 0.5 * X3[:, 2, 2]
    feature_major = X3.transpose(0, 2, 1).reshape(120, -1)  # [f0 lags][f1 lags][f2 lags]
    params = dict(max_iter=3, random_state=0)
    reference = RNNRegressor(**params).fit(X3, y)
    model = RNNRegressor(n_features_per_step=3, flat_order="feature_major", **params)
    model.fit(feature_major, y)
    np.testing.assert_array_equal(model.predict(feature_major), reference.predict(X3))
    # (the linear path is blind to the order of the window's columns: without it, the
    # network read in the wrong order predicts otherwise)
    plain = RNNRegressor(skip_connection=False, **params).fit(X3, y)
    misread = RNNRegressor(n_features_per_step=3, skip_connection=False, **params)
    assert not np.allclose(misread.fit(feature_major, y).predict(feature_major),
                           plain.predict(X3), rtol=1e-3)
    clf = RNNClassifier(n_features_per_step=3, flat_order="feature_major", **params)
    np.testing.assert_array_equal(
        clf.fit(feature_major, y > 0).predict_proba(feature_major),
        RNNClassifier(**params).fit(X3, y > 0).predict_proba(X3))
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(load_model(buffer).predict(feature_major),
                                  model.predict(feature_major))
    # the windower's names say time-major: a feature-major reading of them is refused
    windows = SequenceWindower(4, flatten=True).set_output(transform="pandas").fit_transform(
        pd.DataFrame(rng.normal(size=(50, 2)), columns=["a", "b"]))
    with pytest.raises(ValueError, match="leave flat_order='time_major'"):
        RNNRegressor(flat_order="feature_major").fit(windows, np.zeros(50))
    with pytest.raises(ValueError, match="flat_order"):
        RNNRegressor(flat_order="variable_major").fit(feature_major, y)
    with pytest.raises(ValueError, match="give n_features_per_step"):
        RNNRegressor(flat_order="feature_major").fit(feature_major, y)
    with warnings.catch_warnings():  # no windows warning for feature-major tables
        warnings.filterwarnings("error", message=".*(shifted by|reads the)")
        RNNRegressor(n_features_per_step=3, flat_order="feature_major", **params).fit(
            feature_major, y)

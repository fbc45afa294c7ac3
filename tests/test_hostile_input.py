"""Hostile inputs: every one fails loudly with a message naming the problem, or works.

Each case feeds one awkward input to ``fit``, ``partial_fit`` or ``predict`` of
``RNNRegressor``, or to ``transform`` / ``fit_transform`` of
``SequenceWindower``, and expects either a ``ValueError`` / ``TypeError``
whose message matches a pattern that names the problem, or success with a
finite, correctly shaped result. Whatever happens, the inputs must come out
exactly as they went in: same values, dtype, shape and writeable flag.
"""

import copy

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from skrnn import RNNRegressor, SequenceWindower

pytestmark = [
    # np.asmatrix, built on purpose by the np.matrix case
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
]

N, STEPS, PER_STEP = 24, 4, 2
FAST = dict(max_iter=2, hidden_size=4, random_state=0, early_stopping=False)
F64_MAX = np.finfo(np.float64).max


def _X3():
    return np.random.RandomState(0).normal(size=(N, STEPS, PER_STEP))


def _y():
    X = _X3()
    return X[:, -1, 0] - 0.5 * X[:, -2, 1]


def _set(X, value, index=(0, 0, 0)):
    X = X.copy()
    X[index] = value
    return X


def _read_only(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def _strided(a):
    """A non-contiguous view holding the same values as ``a``."""
    big = np.repeat(a, 2, axis=-1)
    view = big[..., ::2]
    assert not view.flags.c_contiguous and np.array_equal(view, a)
    return view


def _masked(a, any_masked=True):
    mask = np.zeros(np.shape(a), dtype=bool)
    if any_masked:
        mask.flat[1] = True
    return np.ma.masked_array(a, mask=mask)


def _df(X2, columns=None):
    return pd.DataFrame(X2, columns=columns or [f"c{i}" for i in range(X2.shape[1])])


# ----------------------------------------------------------------------- cases
#
# A case is (id, method, inputs, expected): inputs is a function returning the
# keyword arguments of the call, expected is None (must work) or a pair
# (exception type(s), regex the message must match).

WORKS = None
NAN = (ValueError, "NaN")
INF = (ValueError, "infinity")


def _x_cases():
    """X inputs that fit, partial_fit and predict must all handle the same way."""
    X = _X3()
    return [
        ("X_nan", lambda: _set(X, np.nan), NAN),
        ("X_pos_inf", lambda: _set(X, np.inf), INF),
        ("X_neg_inf", lambda: _set(X, -np.inf), INF),
        ("X_float64_max", lambda: _set(X, F64_MAX),
         (ValueError, r"as large as 1\.8e\+308.*StandardScaler")),
        ("X_neg_float64_max", lambda: _set(X, -F64_MAX), (ValueError, "as large as 1.8e")),
        ("X_1e200", lambda: _set(X, 1e200), (ValueError, r"as large as 1e\+200.*overflow")),
        ("X_1e150_works", lambda: _set(X, 1e150), WORKS),
        ("X_subnormal_works", lambda: X * 5e-324, WORKS),
        ("X_float32_1e30", lambda: _set(X, 1e30).astype(np.float32), (ValueError, "in float32")),
        ("X_empty", lambda: X[:0], (ValueError, r"0 sample")),
        ("X_zero_steps", lambda: X[:, :0], (ValueError, r"0 feature")),
        ("X_zero_features", lambda: X[:, :, :0], (ValueError, r"0 feature")),
        ("X_0d", lambda: np.float64(1.0), (ValueError, "scalar")),
        ("X_1d", lambda: X[0, :, 0], (ValueError, r"X is 1-D \(shape \(4,\)\); RNNRegressor takes sequences")),
        ("X_4d", lambda: X[..., None], (ValueError, r"X has 4 dimensions; expected a 3-D")),
        ("X_5d", lambda: X[..., None, None], (ValueError, r"X has 5 dimensions")),
        ("X_object_numbers", lambda: X.astype(object), WORKS),
        ("X_object_with_None", lambda: _set(X.astype(object), None), NAN),
        ("X_str_numbers", lambda: X.astype(str), WORKS),
        ("X_str_words", lambda: np.full(X.shape, "warm"),
         (ValueError, "could not convert string")),
        ("X_complex", lambda: X.astype(complex), (ValueError, "Complex data not supported")),
        ("X_bool", lambda: X > 0, WORKS),
        ("X_int64", lambda: np.round(X * 10).astype(np.int64), WORKS),
        ("X_float16", lambda: X.astype(np.float16), WORKS),
        ("X_list_3d", lambda: X.tolist(), WORKS),
        ("X_list_2d_flat", lambda: X.reshape(N, -1).tolist(), WORKS),
        ("X_ragged_list", lambda: [row.tolist() for row in X[:-1]] + [X[-1, :2].tolist()],
         (ValueError, "inhomogeneous")),
        ("X_read_only", lambda: _read_only(X), WORKS),
        ("X_non_contiguous", lambda: _strided(X), WORKS),
        ("X_fortran_order", lambda: np.asfortranarray(X), WORKS),
        ("X_masked_entries", lambda: _masked(X), (ValueError, r"masked array with 1 masked")),
        ("X_masked_no_entries_works", lambda: _masked(X, any_masked=False), WORKS),
        ("X_sparse_csr", lambda: sp.csr_matrix(X.reshape(N, -1)), (TypeError, "Sparse data")),
        ("X_sparse_csr_array", lambda: sp.csr_array(X.reshape(N, -1)), (TypeError, "Sparse data")),
        ("X_np_matrix", lambda: np.asmatrix(X.reshape(N, -1)), (TypeError, "np.matrix")),
        ("X_dataframe_pd_NA", lambda: _df(X.reshape(N, -1)).astype("Float64").mask(
            lambda d: d > 1.5), NAN),
        ("X_dataframe_str_column", lambda: _df(X.reshape(N, -1)).assign(c0="x"),
         (ValueError, "could not convert string")),
    ]


def _fit_only_cases():
    """y, sample_weight and shape contracts, for fit and a first partial_fit."""
    X, y = _X3(), _y()
    X2 = X.reshape(N, -1)
    return [
        ("y_nan", dict(y=_set(y, np.nan, 0)), NAN),
        ("y_inf", dict(y=_set(y, np.inf, 0)), INF),
        ("y_too_short", dict(y=y[:-1]),
         (ValueError, r"inconsistent numbers of samples: \[24, 23\]")),
        ("y_2d_too_long", dict(y=np.zeros((N + 2, 2))),
         (ValueError, r"inconsistent numbers of samples: \[24, 26\]")),
        ("y_3d", dict(y=y[:, None, None]), (ValueError, r"y has shape \(24, 1, 1\); expected")),
        ("y_no_outputs", dict(y=np.zeros((N, 0))),
         (ValueError, r"y has shape \(24, 0\).*at least one output")),
        ("y_scalar", dict(y=1.0), (ValueError, r"y has shape \(\); expected")),
        ("y_None", dict(y=None), (ValueError, "requires y to be passed")),
        ("y_str_words", dict(y=np.full(N, "hot")), (ValueError, "could not convert string")),
        ("y_complex", dict(y=y.astype(complex)), (ValueError, "Complex data not supported")),
        ("y_masked", dict(y=_masked(y)), (ValueError, "y is a masked array")),
        ("y_1e200", dict(y=y * 1e200),
         (ValueError, r"y has values as large as .*overflow float64")),
        ("y_constant_float64_max", dict(y=np.full(N, F64_MAX)),
         (ValueError, "standard deviation overflow")),
        ("y_1e30_with_float32_X", dict(X=X.astype(np.float32), y=y * 1e30),
         (ValueError, "overflow float32")),
        ("y_1e40_overflows_float32", dict(X=X.astype(np.float32), y=y * 1e40),
         (ValueError, "overflow float32")),
        ("y_tiny_works", dict(y=y * 1e-300), WORKS),
        ("y_constant_works", dict(y=np.full(N, 3.0)), WORKS),
        ("y_bool_works", dict(y=y > 0), WORKS),
        ("y_object_numbers_works", dict(y=y.astype(object)), WORKS),
        ("y_list_works", dict(y=y.tolist()), WORKS),
        ("y_dataframe_two_outputs_works", dict(y=pd.DataFrame({"a": y, "b": -y})), WORKS),
        ("y_read_only_works", dict(y=_read_only(y)), WORKS),
        ("w_negative", dict(sample_weight=_set(np.ones(N), -1.0, 3)), (ValueError, "negative")),
        ("w_all_zero", dict(sample_weight=np.zeros(N)), (ValueError, "zero for every sample")),
        ("w_too_short", dict(sample_weight=np.ones(N - 1)),
         (ValueError, r"sample_weight has shape \(23,\)")),
        ("w_2d", dict(sample_weight=np.ones((N, 1))),
         (ValueError, r"sample_weight has shape \(24, 1\)")),
        ("w_nan", dict(sample_weight=_set(np.ones(N), np.nan, 0)),
         (ValueError, "sample_weight contains NaN")),
        ("w_inf", dict(sample_weight=_set(np.ones(N), np.inf, 0)),
         (ValueError, "sample_weight contains infinity")),
        ("w_1e300", dict(sample_weight=np.full(N, 1e300)),
         (ValueError, r"sample_weight sums to 2\.4e\+301")),
        ("w_float64_max", dict(sample_weight=np.full(N, F64_MAX)),
         (ValueError, "sample_weight sums to inf")),
        ("w_1e-300", dict(sample_weight=np.full(N, 1e-300)), (ValueError, "as small as 1e-300")),
        ("w_subnormal", dict(sample_weight=np.full(N, 5e-324)),
         (ValueError, "as small as 4.94e-324")),
        ("w_float32_1e38", dict(X=X.astype(np.float32), sample_weight=np.full(N, 1e38)),
         (ValueError, r"sample_weight sums to .* in float32")),
        ("w_str_words", dict(sample_weight=np.full(N, "heavy")),
         (ValueError, "could not convert string")),
        ("w_masked", dict(sample_weight=_masked(np.ones(N))),
         (ValueError, "sample_weight is a masked")),
        ("w_scalar_works", dict(sample_weight=2.0), WORKS),
        ("w_list_works", dict(sample_weight=[1.0] * N), WORKS),
        ("w_some_zero_works", dict(sample_weight=np.r_[np.zeros(N // 2), np.ones(N // 2)]), WORKS),
        ("w_read_only_works", dict(sample_weight=_read_only(np.linspace(0.5, 2, N))), WORKS),
        ("nfps_not_dividing", dict(X=X2, params=dict(n_features_per_step=3)),
         (ValueError, "8 columns, which is not a multiple of n_features_per_step=3")),
        ("nfps_contradicts_3d", dict(params=dict(n_features_per_step=4)),
         (ValueError, r"2 features per step \(X.shape\[2\]\) but n_features_per_step=4")),
        ("one_sample_works", dict(X=X[:1], y=y[:1]), WORKS),
        ("one_step_works", dict(X=X[:, :1]), WORKS),
        ("one_sample_one_step_one_feature_works", dict(X=X[:1, :1, :1], y=y[:1]), WORKS),
        ("one_sample_early_stopping", dict(X=X[:1], y=y[:1], params=dict(early_stopping=True)),
         (ValueError, "leaves no training or no validation samples out of 1")),
        ("dataframe_duplicate_columns", dict(X=_df(X2, list("aabbccdd"))),
         (ValueError, "unique column names")),
        ("dataframe_int_column_names_works",
         dict(X=pd.DataFrame(X2), params=dict(n_features_per_step=2)),
         WORKS),
    ]


def _predict_only_cases():
    """Inputs that only make sense against a fitted model (fitted on 4 steps x 2)."""
    X = _X3()
    X2 = X.reshape(N, -1)
    return [
        ("flat_wrong_columns", "model", X2[:, :7],
         (ValueError, "X has 7 features, but RNNRegressor is expecting 8")),
        # 3-D sequences of any length predict (sequences of different lengths)
        ("fewer_steps_works", "model", X[:, :3], WORKS),
        ("more_steps_works", "model", np.concatenate([X, X], axis=1), WORKS),
        ("wrong_n_features_per_step", "model", X.reshape(N, 2, 4),
         (ValueError, "2 steps x 4 features, but RNNRegressor was fitted on 4 steps x 2")),
        ("dataframe_renamed_column", "df_model", _df(X2).rename(columns={"c0": "tmax"}),
         (ValueError, "Feature names unseen at fit time:\n- tmax")),
        ("dataframe_reordered_columns", "df_model", _df(X2)[[f"c{i}" for i in range(7, -1, -1)]],
         (ValueError, "same order")),
        ("dataframe_extra_column", "df_model", _df(X2).assign(extra=1.0), (ValueError, "extra")),
        ("float64_X_1e30_on_float32_model", "f32_model", _set(X, 1e30),
         (ValueError, "in float32")),
        ("float32_X_on_float64_model_works", "model", X.astype(np.float32), WORKS),
        ("flat_layout_on_3d_model_works", "model", X2, WORKS),
        ("unfitted_model", "unfitted", X, (NotFittedError, "not fitted yet")),
    ]


def _partial_fit_fitted_cases():
    X, y = _X3(), _y()
    return [
        ("wrong_n_steps", dict(X=X[:, :3]),
         (ValueError, "X has 6 features, but RNNRegressor is expecting 8")),
        ("more_outputs", dict(y=np.c_[y, y]),
         (ValueError, "y has 2 outputs but the model was fitted with 1")),
        ("float32_X_on_float64_model_works", dict(X=X.astype(np.float32)), WORKS),
        ("one_sample_works", dict(X=X[:1], y=y[:1]), WORKS),
        ("float64_X_1e30_on_float32_model", dict(X=_set(X, 1e30), model="f32_model"),
         (ValueError, "in float32")),
        ("y_nan", dict(y=_set(y, np.nan, 0)), NAN),
        ("w_all_zero", dict(sample_weight=np.zeros(N)), (ValueError, "zero for every sample")),
    ]


def _windower_cases():
    rows = _X3()[:, 0, :]  # 24 rows of 2 features
    return [
        ("nan", _set(rows, np.nan, (0, 0)), NAN),
        ("pos_inf", _set(rows, np.inf, (0, 0)), INF),
        ("neg_inf", _set(rows, -np.inf, (0, 0)), INF),
        ("float64_max_works", _set(rows, F64_MAX, (0, 0)), WORKS),  # only copied, never multiplied
        ("subnormal_works", rows * 5e-324, WORKS),
        ("empty", rows[:0], (ValueError, "0 sample")),
        ("zero_columns", rows[:, :0], (ValueError, "0 feature")),
        ("one_row_works", rows[:1], WORKS),
        ("1d", rows[:, 0], (ValueError, r"X is a 1-D array of shape \(24,\); SequenceWindower")),
        ("3d", rows[:, :, None], (ValueError, "dim 3")),
        ("4d", rows[:, :, None, None], (ValueError, "dim 4")),
        ("object_numbers_works", rows.astype(object), WORKS),
        ("str_words", np.full(rows.shape, "rain"), (ValueError, "could not convert string")),
        ("complex", rows.astype(complex), (ValueError, "Complex data not supported")),
        ("bool_works", rows > 0, WORKS),
        ("sparse_csr", sp.csr_matrix(rows), (TypeError, "Sparse data")),
        ("list_of_lists_works", rows.tolist(), WORKS),
        ("ragged_list", [[1.0, 2.0], [3.0]], (ValueError, "inhomogeneous")),
        ("read_only_works", _read_only(rows), WORKS),
        ("non_contiguous_works", _strided(rows), WORKS),
        ("fortran_order_works", np.asfortranarray(rows), WORKS),
        ("masked_entries", _masked(rows), (ValueError, "masked array with 1 masked")),
        ("wrong_n_features", np.c_[rows, rows],
         (ValueError, "X has 4 features, but SequenceWindower is expecting 2")),
        ("dataframe_renamed_column", pd.DataFrame(rows, columns=["tmax", "rain"]),
         (ValueError, "Feature names unseen at fit time:\n- rain")),
    ]


# --------------------------------------------------------------- the machinery


def _snapshot(value):
    if isinstance(value, np.ndarray):  # includes masked arrays
        return (copy.deepcopy(value), value.flags.writeable)
    if sp.issparse(value):
        return (value.copy(), None)
    return (copy.deepcopy(value), None)


def _assert_unchanged(before, after, name):
    expected, writeable = before
    if isinstance(after, np.ma.MaskedArray):
        np.testing.assert_array_equal(np.ma.getmaskarray(after), np.ma.getmaskarray(expected))
        after, expected = after.data, expected.data
    if isinstance(after, np.ndarray):
        assert after.dtype == expected.dtype and after.shape == expected.shape, name
        numeric = after.dtype.kind in "biufc"
        assert np.array_equal(after, expected, equal_nan=numeric and after.dtype.kind != "b"), (
            f"{name} was modified"
        )
        assert after.flags.writeable == writeable, f"{name}'s writeable flag changed"
    elif sp.issparse(after):
        assert type(after) is type(expected), f"{name} changed type"
        assert (after != expected).nnz == 0, f"{name} was modified"
    elif isinstance(after, (pd.DataFrame, pd.Series)):
        pd.testing.assert_frame_equal(pd.DataFrame(after), pd.DataFrame(expected))
    else:
        assert after == expected or (after is None and expected is None), f"{name} was modified"


def _call(func, kwargs, expected):
    """Call ``func(**kwargs)``; check the outcome and that no input was modified."""
    before = {key: _snapshot(value) for key, value in kwargs.items()}
    if expected is WORKS:
        result = func(**kwargs)
    else:
        error, pattern = expected
        with pytest.raises(error, match=pattern):
            func(**kwargs)
        result = None
    for key, value in kwargs.items():
        _assert_unchanged(before[key], value, key)
    return result


@pytest.fixture(scope="module")
def models():
    X, y = _X3(), _y()
    return {
        "model": RNNRegressor(**FAST).fit(X, y),
        "f32_model": RNNRegressor(**FAST).fit(X.astype(np.float32), y),
        "df_model": RNNRegressor(n_features_per_step=2, **FAST).fit(_df(X.reshape(N, -1)), y),
        "unfitted": RNNRegressor(**FAST),
    }


def _n_rows(X):
    if sp.issparse(X) or (isinstance(X, np.ndarray) and X.ndim):
        return X.shape[0]
    return len(X) if isinstance(X, (list, pd.DataFrame)) else N


def _assert_fitted_and_finite(model, X):
    """The model trained, and predicts finite values for the input it was fitted on."""
    assert model.n_iter_ >= 1
    assert np.all(np.isfinite(model._theta))
    before = _snapshot(X)
    prediction = model.predict(X)
    assert prediction.shape[0] == _n_rows(X) and np.all(np.isfinite(prediction))
    _assert_unchanged(before, X, "X")


# ------------------------------------------------------------------------ tests


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("case, make_X, expected", _x_cases(), ids=[c[0] for c in _x_cases()])
def test_fit_hostile_X(method, case, make_X, expected):
    # 1e150 "works" for the network alone, whose tanh units saturate; the linear
    # path is unbounded in X (see test_a_linear_path_on_unscaled_huge_inputs_says_so)
    model = RNNRegressor(**FAST, skip_connection=case != "X_1e150_works")
    X = make_X()
    y = _y()[: _n_rows(X)]
    _call(getattr(model, method), dict(X=X, y=y, sample_weight=np.ones(len(y))), expected)
    if expected is WORKS:
        _assert_fitted_and_finite(model, X)


@pytest.mark.parametrize("case, make_X, expected", _x_cases(), ids=[c[0] for c in _x_cases()])
def test_predict_hostile_X(models, case, make_X, expected):
    model = models["model"]
    if case.startswith("X_dataframe"):
        model = models["df_model"]
    X = make_X()
    if case == "X_float32_1e30":  # a float64 model computes 1e30 without overflow
        expected = WORKS
    result = _call(model.predict, dict(X=X), expected)
    if expected is WORKS:
        assert result.shape == (N,) and result.dtype == np.float64
        assert np.all(np.isfinite(result))


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize(
    "case, inputs, expected", _fit_only_cases(), ids=[c[0] for c in _fit_only_cases()]
)
def test_fit_hostile_y_weights_and_shapes(method, case, inputs, expected):
    inputs = dict(inputs)
    model = RNNRegressor(**{**FAST, **inputs.pop("params", {})})
    kwargs = dict(X=inputs.pop("X", _X3()), y=inputs.pop("y", _y()))
    kwargs["sample_weight"] = inputs.pop("sample_weight", None)
    assert not inputs
    if method == "partial_fit" and case == "one_sample_early_stopping":
        expected = WORKS  # partial_fit never holds data out
    _call(getattr(model, method), kwargs, expected)
    if expected is WORKS:
        _assert_fitted_and_finite(model, kwargs["X"])


@pytest.mark.parametrize(
    "case, model_name, X, expected", _predict_only_cases(),
    ids=[c[0] for c in _predict_only_cases()],
)
def test_predict_hostile_shapes_and_names(models, case, model_name, X, expected):
    result = _call(models[model_name].predict, dict(X=X), expected)
    if expected is WORKS:
        assert result.shape == (N,) and np.all(np.isfinite(result))


@pytest.mark.parametrize(
    "case, inputs, expected", _partial_fit_fitted_cases(),
    ids=[c[0] for c in _partial_fit_fitted_cases()],
)
def test_partial_fit_of_a_fitted_model(models, case, inputs, expected):
    inputs = dict(inputs)
    model = copy.deepcopy(models[inputs.pop("model", "model")])
    theta = model._theta.copy()
    n_iter = model.n_iter_
    kwargs = dict(X=inputs.pop("X", _X3()), y=inputs.pop("y", _y()))
    kwargs["sample_weight"] = inputs.pop("sample_weight", None)
    _call(model.partial_fit, kwargs, expected)
    if expected is WORKS:
        assert model.n_iter_ == n_iter + 1
        assert np.all(np.isfinite(model._theta))
    else:  # a rejected call leaves the model as it was
        assert model.n_iter_ == n_iter
        np.testing.assert_array_equal(model._theta, theta)


@pytest.mark.parametrize("method", ["transform", "fit_transform"])
@pytest.mark.parametrize(
    "case, X, expected", _windower_cases(), ids=[c[0] for c in _windower_cases()]
)
def test_windower_hostile_input(method, case, X, expected):
    rows = _X3()[:, 0, :]
    windower = SequenceWindower(window_length=3)
    if method == "transform":
        fit_on = pd.DataFrame(rows, columns=["tmax", "tmin"]) if "dataframe" in case else rows
        windower.fit(fit_on)
        func = windower.transform
    else:
        if case in ("wrong_n_features", "dataframe_renamed_column"):
            expected = WORKS  # nothing to be inconsistent with
        if case == "one_row_works":  # fit refuses a window longer than its rows
            expected = (ValueError, "fitted on 1 sample ")
        func = windower.fit_transform
    before = _snapshot(X)
    result = _call(func, dict(X=X), expected)
    if expected is WORKS:
        values = np.asarray(pd.DataFrame(X).to_numpy() if isinstance(X, pd.DataFrame) else X,
                            dtype=np.float64)
        assert result.shape == (values.shape[0], 3, values.shape[1])
        np.testing.assert_array_equal(result[:, -1], values)  # row i ends window i
        result[...] = 0.0  # the output is never a view of the input
        _assert_unchanged(before, X, "X")


def test_window_longer_than_the_rows_transformed_is_padding_only():
    rows = np.arange(10.0).reshape(5, 2)
    before = rows.copy()
    with pytest.raises(ValueError, match=r"window_length=50\) is fitted on 5 samples"):
        SequenceWindower(window_length=50).fit(rows)
    history = np.tile(rows, (10, 1))  # fitted on enough rows, it may transform fewer
    out = SequenceWindower(window_length=50).fit(history).transform(rows)
    assert out.shape == (5, 50, 2)
    np.testing.assert_array_equal(out[0], np.tile(rows[0], (50, 1)))
    np.testing.assert_array_equal(out[4, -5:], rows)
    np.testing.assert_array_equal(out[4, :-5], np.tile(rows[0], (45, 1)))
    np.testing.assert_array_equal(rows, before)
    zeros = SequenceWindower(window_length=50, padding="zeros").fit(history).transform(rows)
    assert np.count_nonzero(zeros[0, :-1]) == 0


def test_a_rejected_refit_keeps_the_fitted_model(models):
    model = copy.deepcopy(models["model"])
    theta, prediction = model._theta.copy(), model.predict(_X3())
    with pytest.raises(ValueError, match="NaN"):
        model.fit(_set(_X3(), np.nan), _y())
    np.testing.assert_array_equal(model._theta, theta)
    np.testing.assert_array_equal(model.predict(_X3()), prediction)



@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_predict_that_overflows_says_so(dtype):
    """Inputs below the magnitude limit can still overflow through large weights
    (relu does not saturate): predict raises instead of returning inf or NaN."""
    X = _X3().astype(dtype)
    model = RNNRegressor(cell="elman", activation="relu", max_iter=2, random_state=0).fit(X, _y())
    big = np.finfo(dtype).max ** 0.25  # 1.3e77 in float64, 4.3e9 in float32
    model.recurrent_weights_[0][...] = big * np.eye(model.hidden_size)  # a huge recurrent gain
    model.input_weights_[0][...] = np.abs(model.input_weights_[0])  # every unit on for X >= 0
    np.testing.assert_array_equal(np.isfinite(model.predict(X)), True)  # ordinary inputs still fine
    X_far = X.copy()
    X_far[:3] = big  # below the input magnitude limit (max ** 0.5)
    X_before = X_far.copy()
    with pytest.raises(ValueError, match=rf"overflowed to inf or NaN for 3 of {N} samples"):
        model.predict(X_far)
    np.testing.assert_array_equal(X_far, X_before)


def test_a_huge_unscaled_input_stays_finite_and_the_ridge_grid_follows_the_median_column():
    """An input of 1e150 in one entry dominates its feature's standardisation
    (``x_scale_`` about 1e149), as it would StandardScaler's: that feature's other
    values are lost to rounding, the fit stays finite and keeps the other feature
    (measured: training R^2 0.22; that feature's share of y is 0.2; before the
    estimators standardised their inputs: 0.83). The ridge start's penalty grid
    follows the median column, so on the raw window that column does not shrink the
    others' fit (a grid from the mean would shrink every coefficient to zero)."""
    from skrnn._linear_path import ridge_start

    X = _set(_X3(), 1e150)
    before = X.copy()
    model = RNNRegressor(**FAST).fit(X, _y())
    np.testing.assert_array_equal(X, before)
    assert np.all(np.isfinite(model.predict(X)))
    assert model.x_scale_[0] > 1e148 and model.score(X, _y()) > 0.1
    window = X.reshape(N, -1)
    coef, intercept, alpha = ridge_start(window, _y()[:, None], np.ones(N))
    fitted = window @ coef + intercept
    r2 = 1 - np.sum((_y() - fitted[:, 0]) ** 2) / np.sum((_y() - _y().mean()) ** 2)
    assert alpha[0] < 1.0 and r2 > 0.9, (alpha, r2)

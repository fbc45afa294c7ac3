"""Persistence: pickle and joblib round trips, version records, and the npz + JSON form."""

import copy
import io
import json
import os
import pickle
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skrnn
from pathlib import Path

from skrnn import RNNClassifier, RNNRegressor, SequenceWindower
from skrnn._scaling import fold
from skrnn.exceptions import InconsistentVersionWarning
from skrnn.persistence import load_model, save_model
from ._helpers import QUIET, Callback




def data(n_samples=60, n_steps=5, n_features=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_steps, n_features))
    return X, X[:, -1, 0] - 0.5 * X[:, -2, -1]


def fitted(X=None, y=None, **params):
    if X is None:
        X, y = data()
    # the Elman network these tests were written for; the configurations below
    # name the other cells and the linear path
    settings = dict(cell="elman", skip_connection=False, max_iter=4, hidden_size=5,
                    random_state=0, **QUIET)
    settings.update(params)
    return RNNRegressor(**settings).fit(X, y)


def public_fitted_state(model):
    """Every public fitted attribute (trailing underscore), as comparable values."""
    state = {}
    for key, value in vars(model).items():
        if key.endswith("_") and not key.startswith("_"):
            if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
                value = [v.copy() for v in value]
            state[key] = value
    return state


def assert_same_fitted_state(a, b):
    sa, sb = public_fitted_state(a), public_fitted_state(b)
    assert sorted(sa) == sorted(sb)
    for key in sa:
        va, vb = sa[key], sb[key]
        if isinstance(va, list) and va and isinstance(va[0], np.ndarray):
            assert len(va) == len(vb)
            for x, z in zip(va, vb):
                assert x.dtype == z.dtype, key
                np.testing.assert_array_equal(x, z, err_msg=key)
        elif isinstance(va, np.ndarray):
            assert va.dtype == vb.dtype, key
            np.testing.assert_array_equal(va, vb, err_msg=key)
        elif isinstance(va, float):
            assert isinstance(vb, float) and va == vb, key
        else:
            assert va == vb, key
            assert type(va) is type(vb), key


# ---------------------------------------------------------------- pickle/joblib


def _pickle_round_trip(obj, tmp_path):
    return pickle.loads(pickle.dumps(obj))


def _joblib_round_trip(obj, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(obj, path)
    return joblib.load(path)


@pytest.mark.parametrize("round_trip", [_pickle_round_trip, _joblib_round_trip],
                         ids=["pickle", "joblib"])
def test_round_trip_of_a_fitted_estimator_predicts_identically(round_trip, tmp_path):
    X, y = data()
    model = fitted(X, y, n_layers=2, activation="relu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: no InconsistentVersionWarning
        restored = round_trip(model, tmp_path)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert_same_fitted_state(restored, model)
    assert "_skrnn_version" not in vars(restored)
    # the public weights are views of the parameters again, so editing them works
    assert np.shares_memory(restored.recurrent_weights_[1], restored._theta)


@pytest.mark.parametrize("round_trip", [_pickle_round_trip, _joblib_round_trip],
                         ids=["pickle", "joblib"])
def test_round_trip_of_a_fitted_pipeline_predicts_identically(round_trip, tmp_path):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(120, 3)) * [5, 1, 0.1] + [60, 40, 0],
                         columns=["tmax", "tmin", "rain"])
    target = frame["tmax"].shift(-1).ffill()
    pipe = make_pipeline(
        StandardScaler(), SequenceWindower(window_length=4, flatten=True),
        RNNRegressor(n_features_per_step=3, max_iter=3, random_state=0, **QUIET),
    ).fit(frame[:100], target[:100])
    restored = round_trip(pipe, tmp_path)
    np.testing.assert_array_equal(restored.predict(frame[100:]), pipe.predict(frame[100:]))
    assert list(restored[0].feature_names_in_) == ["tmax", "tmin", "rain"]


def test_pickle_records_the_skrnn_version():
    model = fitted()
    state = model.__getstate__()
    assert state["_skrnn_version"] == skrnn.__version__
    assert "_skrnn_version" not in vars(model)  # recorded in the pickle only
    unfitted = RNNRegressor().__getstate__()
    assert unfitted["_skrnn_version"] == skrnn.__version__


def test_unpickling_under_another_version_warns(monkeypatch):
    X, y = data()
    model = fitted(X, y)
    monkeypatch.setattr(skrnn._version, "__version__", "0.0.1")  # its one home
    payload = pickle.dumps(model)  # written by "0.0.1"
    monkeypatch.undo()
    match = "version 0.0.1 under skrnn version"
    with pytest.warns(InconsistentVersionWarning, match=match) as record:
        restored = pickle.loads(payload)
    warning = record[0].message
    assert isinstance(warning, UserWarning)
    assert (warning.estimator_name, warning.original_version, warning.current_version) == (
        "RNNRegressor", "0.0.1", skrnn.__version__
    )
    # the warning survives pickling itself (e.g. across joblib workers)
    assert str(pickle.loads(pickle.dumps(warning))) == str(warning)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_a_pickle_without_a_version_warns_unknown():
    model = fitted()
    state = model.__getstate__()
    del state["_skrnn_version"]
    blank = RNNRegressor.__new__(RNNRegressor)
    with pytest.warns(InconsistentVersionWarning, match="version unknown"):
        blank.__setstate__(state)
    assert "_skrnn_version" not in vars(blank)


# ------------------------------------------------------------------ npz + JSON


CONFIGS = {
    "adam_tanh": dict(),
    "sgd_relu_two_layers": dict(solver="sgd", activation="relu", n_layers=2,
                                learning_rate_init=0.01),
    "float32": dict(dtype=np.float32),
    "multi_output": dict(outputs=2),
    "early_stopping": dict(early_stopping=True, n_iter_no_change=2, max_iter=6),
    "dataframe_flat": dict(frame=True, n_features_per_step=2),
    "random_state_instance": dict(random_state=np.random.RandomState(3)),
    "truncated_bptt": dict(bptt_steps=2, shuffle=False, batch_size=16, alpha=0.0),
    "gru_two_layers": dict(cell="gru", n_layers=2),
    "gru_float32_early_stopping": dict(cell="gru", dtype=np.float32, early_stopping=True,
                                       n_iter_no_change=2, max_iter=6),
    "lstm_sgd": dict(cell="lstm", solver="sgd", learning_rate_init=0.01, bptt_steps=3),
    "lstm_two_layers_multi_output": dict(cell="lstm", n_layers=2, outputs=2),
    "skip_connection": dict(skip_connection=True),
    "lstm_skip_float32_multi_output": dict(cell="lstm", skip_connection=True,
                                           dtype=np.float32, outputs=2),
}


def make_config(name):
    params = dict(CONFIGS[name])
    X, y = data()
    X = X.astype(params.pop("dtype", np.float64))
    if params.pop("outputs", 1) == 2:
        y = np.column_stack([y, 3 * y + 10])
    if params.pop("frame", False):
        X = pd.DataFrame(X.reshape(len(X), -1), columns=[f"f{i}" for i in range(10)])
    return X, y, params


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_save_load_predicts_identically_and_keeps_every_attribute(config, tmp_path):
    X, y, params = make_config(config)
    model = fitted(X, y, **params)
    path = tmp_path / "model.npz"
    save_model(model, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_model(path)
    assert type(loaded) is RNNRegressor
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert_same_fitted_state(loaded, model)
    assert loaded._theta.dtype == model._theta.dtype
    np.testing.assert_array_equal(loaded._theta, model._theta)
    params_a, params_b = model.get_params(), loaded.get_params()
    if config == "random_state_instance":
        assert loaded.random_state is loaded._rng  # fit shuffles with the given generator
        params_a.pop("random_state"), params_b.pop("random_state")
    assert params_a == params_b


@pytest.mark.parametrize("config", ["adam_tanh", "sgd_relu_two_layers", "early_stopping",
                                    "random_state_instance", "float32", "gru_two_layers",
                                    "lstm_sgd", "skip_connection"])
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_training_continues_bit_for_bit_after_loading(config, how):
    X, y, params = make_config(config)
    params["warm_start"] = True
    model = fitted(X, y, **params)
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    for m in (model, loaded):
        if how == "warm_start":
            m.set_params(max_iter=3).fit(X, y)
        else:
            m.partial_fit(X, y)
            m.partial_fit(X, y)
    np.testing.assert_array_equal(loaded._theta, model._theta)
    assert loaded.loss_curve_ == model.loss_curve_
    assert loaded.n_iter_ == model.n_iter_ and loaded.t_ == model.t_
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_file_written_before_the_linear_path_loads_without_one(good_file):
    """Files of format 2 written before ``skip_steps`` was recorded have no linear path."""
    def drop(metadata):
        assert metadata["fitted"]["network"].pop("skip_steps") == 0
        assert metadata["params"].pop("skip_connection") is False
    loaded = load_model(io.BytesIO(edit_metadata(drop)(members_of(good_file))))
    reference = load_model(io.BytesIO(good_file))
    X, _ = data()
    np.testing.assert_array_equal(loaded.predict(X), reference.predict(X))
    assert loaded._layout.skip_steps == 0 and loaded.skip_weights_ is None


def test_the_fitted_linear_path_is_saved_even_if_the_parameter_changed_since(tmp_path):
    X, y = data()
    model = fitted(X, y, skip_connection=True).set_params(skip_connection=False)
    path = tmp_path / "model.npz"
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.skip_connection is False and loaded._layout.skip_steps == 5
    np.testing.assert_array_equal(loaded.skip_weights_, model.skip_weights_)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_without_the_optimizer_state_training_restarts_the_optimizer():
    X, y = data()
    model = fitted(X, y, warm_start=True)
    buffer = io.BytesIO()
    save_model(model, buffer, include_optimizer=False)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert not [n for n in archive.namelist() if n.startswith("adam_")]
    buffer.seek(0)
    loaded = load_model(buffer)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded._optimizer is None
    n_iter = model.n_iter_
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == n_iter + 1 and np.all(np.isfinite(loaded._theta))
    assert loaded._optimizer.t == 1  # a fresh Adam: one mini-batch of 60 samples
    assert model._optimizer.t == 5
    assert not np.array_equal(loaded._theta, model._theta)  # the Adam state mattered


def test_a_model_interrupted_in_its_first_epoch_saves_and_loads(monkeypatch, wrap_network):
    X, y = data()

    def interrupted(real_backward, *args, **kwargs):
        raise KeyboardInterrupt

    wrap_network(backward=interrupted)
    with pytest.warns(UserWarning, match="interrupted"):
        model = RNNRegressor(random_state=0, **QUIET).fit(X, y)
    monkeypatch.undo()
    assert model.n_iter_ == 0 and not hasattr(model, "loss_")
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    assert not hasattr(loaded, "loss_") and loaded.best_loss_ == np.inf
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_the_file_is_an_npz_with_json_metadata(tmp_path):
    X, y = data()
    model = fitted(X, y)
    path = tmp_path / "model.npz"
    save_model(model, path)
    with np.load(path, allow_pickle=False) as npz:
        metadata = json.loads(npz["metadata.json"])
        np.testing.assert_array_equal(npz["W_hh_0"], model.recurrent_weights_[0])
        np.testing.assert_array_equal(npz["W_hy"] * npz["y_scale"], model.output_weights_)
        np.testing.assert_array_equal(npz["loss_curve"], model.loss_curve_)
        assert {"adam_m/W_xh_0", "adam_v/b_y", "rng_keys"} <= set(npz.files)
    assert metadata["format"] == "skrnn.RNNRegressor" and metadata["format_version"] == 5
    assert metadata["skrnn_version"] == skrnn.__version__
    assert metadata["params"] == model.get_params()
    assert metadata["fitted"]["n_iter_"] == model.n_iter_ == 4
    no_suffix = tmp_path / "model"
    save_model(model, no_suffix)  # nothing appended to the name, unlike numpy.savez
    assert no_suffix.exists() and not (tmp_path / "model.npz.npz").exists()


def test_save_refuses_what_it_cannot_save_and_leaves_the_file_alone(tmp_path):
    X, y = data()
    path = tmp_path / "model.npz"
    save_model(fitted(X, y), path)
    content = path.read_bytes()
    with pytest.raises(NotFittedError):
        save_model(RNNRegressor(), path)
    pipe = make_pipeline(StandardScaler(), RNNRegressor())
    with pytest.raises(TypeError, match="save a Pipeline with pickle or joblib"):
        save_model(pipe, path)
    odd = fitted(X, y)
    odd.verbose = [1]  # not JSON-able (and not a valid value either)
    with pytest.raises(TypeError, match="cannot save the hyper-parameter verbose"):
        save_model(odd, path)
    assert path.read_bytes() == content


# ---------------------------------------------------------- untrusted files


@pytest.fixture(scope="module")
def good_file():
    X, y = data()
    model = fitted(X, y, n_layers=2, early_stopping=True, n_iter_no_change=2)
    buffer = io.BytesIO()
    save_model(model, buffer)
    return buffer.getvalue()


def members_of(content):
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def build(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return buffer.getvalue()


def npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=allow_pickle)
    return buffer.getvalue()


def edit_metadata(edit):
    def mutate(members):
        metadata = json.loads(members["metadata.json"])
        edit(metadata)
        members["metadata.json"] = json.dumps(metadata).encode()
        return build(members)
    return mutate


def edit_members(edit, **build_kwargs):
    def mutate(members):
        edit(members)
        return build(members, **build_kwargs)
    return mutate


def _pwn():
    os.environ["SKRNN_PWNED"] = "1"


class _Explode:
    """Unpickling this would run code: load_model must never get that far."""

    def __reduce__(self):
        return (_pwn, ())


def _set(path, value):
    def edit(metadata):
        target = metadata
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def _add_key(path, key, value):
    def edit(metadata):
        target = metadata
        for k in path:
            target = target[k]
        target[key] = value
    return edit


def _duplicate(members):
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, payload in members.items():
                archive.writestr(name, payload)
            archive.writestr("W_hy.npy", members["W_hy.npy"])
    return buffer.getvalue()


TAMPERING = {
    "not_a_zip": (lambda members: b"definitely not a zip file", "not a valid .npz"),
    "empty_file": (lambda members: b"", "not a valid .npz"),
    "truncated_zip": (lambda members: build(members)[:200], "not a valid .npz|corrupt"),
    "no_metadata": (edit_members(lambda m: m.pop("metadata.json")), "no metadata.json"),
    "metadata_not_json": (edit_members(lambda m: m.update({"metadata.json": b"{oops"})),
                          "metadata.json"),
    "metadata_not_utf8": (edit_members(lambda m: m.update({"metadata.json": b"\xff\xfe"})),
                          "metadata.json"),
    "metadata_a_list": (edit_members(lambda m: m.update({"metadata.json": b"[]"})),
                        "not an object"),
    "metadata_duplicate_key": (
        edit_members(lambda m: m.update({"metadata.json": m["metadata.json"].replace(
            b'"format":', b'"format": 1, "format":', 1)})),
        "duplicate key 'format'"),
    "unknown_top_level_key": (edit_metadata(_add_key([], "exec", "rm -rf /")),
                              r"unknown keys \['exec'\]"),
    "unknown_fitted_key": (edit_metadata(_add_key(["fitted"], "coef_", 1)),
                           r"unknown keys \['coef_'\]"),
    "missing_fitted_key": (edit_metadata(lambda m: m["fitted"].pop("n_iter_")),
                           r"missing keys \['n_iter_'\]"),
    "unknown_param": (edit_metadata(_add_key(["params"], "kernel", "rbf")),
                      r"unknown keys \['kernel'\] in params"),
    "invalid_param": (edit_metadata(_set(["params", "activation"], "sigmoid")),
                      "params: The 'activation' parameter"),
    "param_wrong_type": (edit_metadata(_set(["params", "hidden_size"], "5")), "hidden_size"),
    "other_format": (edit_metadata(_set(["format"], "sklearn.MLPRegressor")), "format"),
    "future_format_version": (edit_metadata(_set(["format_version"], 6)),
                              "unsupported skrnn model format_version 6"),
    "format_version_0": (edit_metadata(_set(["format_version"], 0)), "format_version 0"),
    "unknown_cell": (edit_metadata(_set(["params", "cell"], "transformer")),
                     "params: The 'cell' parameter"),
    # a version-1 file is Elman, and has no cell key: a version-2 file must have it
    "missing_cell": (edit_metadata(lambda m: m["params"].pop("cell")),
                     r"missing keys \['cell'\] in params"),
    # the arrays are Elman's: a file that claims GRU lacks b_hn and has other shapes
    "skip_steps_not_n_steps": (edit_metadata(_set(["fitted", "network", "skip_steps"], 3)),
                               "skip_steps must be 0 or n_steps_, got 3"),
    "skip_steps_without_its_array": (edit_metadata(_set(["fitted", "network", "skip_steps"], 5)),
                                     r"missing members \['W_xy.npy'"),
    "skip_steps_negative": (edit_metadata(_set(["fitted", "network", "skip_steps"], -5)),
                            "skip_steps must be >= 0"),
    "cell_mismatch": (edit_metadata(_set(["fitted", "network", "cell"], "gru")),
                      r"missing members \['adam_m/b_hn_0.npy'|has shape"),
    "format_version_true": (edit_metadata(_set(["format_version"], True)), "format_version"),
    "bad_dtype_name": (edit_metadata(_set(["fitted", "dtype"], "object")), "dtype 'object'"),
    "negative_n_iter": (edit_metadata(_set(["fitted", "n_iter_"], -1)), "n_iter_ must be >= 0"),
    "n_iter_not_int": (edit_metadata(_set(["fitted", "n_iter_"], 4.0)), "n_iter_ must be of type"),
    "n_iter_mismatch": (edit_metadata(_set(["fitted", "n_iter_"], 1)),
                        r"expected \(1,\)|at most n_iter_"),
    "inconsistent_n_features_in": (edit_metadata(_set(["fitted", "n_features_in_"], 11)),
                                   "n_features_in_ is not"),
    "feature_names_wrong_length": (edit_metadata(_set(["fitted", "feature_names_in_"], ["a"])),
                                   "feature_names_in_"),
    "loss_a_string": (edit_metadata(_set(["fitted", "loss_"], "0.1")), "loss_ must be a number"),
    "absurd_n_layers": (edit_metadata(_set(["fitted", "network", "n_layers"], 10**9)),
                        "arrays of some layers"),
    "absurd_hidden_size": (edit_metadata(_set(["fitted", "network", "hidden_size"], 10**6)),
                           r"shape \(2, 5\), expected \(2, 1000000\)"),
    "zero_hidden_size": (edit_metadata(_set(["fitted", "network", "hidden_size"], 0)),
                         "hidden_size must be >= 1"),
    # numpy's RandomState.set_state takes this, then crashes the process on the next draw
    "bad_rng_position": (edit_metadata(_set(["rng", "pos"], 10**6)), "bad generator state"),
    "bad_rng_has_gauss": (edit_metadata(_set(["rng", "has_gauss"], 7)), "bad generator state"),
    "bad_optimizer": (edit_metadata(_set(["optimizer", "solver"], "lbfgs")), "solver 'lbfgs'"),
    "wrong_skrnn_y_ndim": (edit_metadata(_set(["fitted", "y_ndim"], 3)), "y_ndim"),
    "unknown_member": (edit_members(lambda m: m.update({"payload.pkl": b"\x80\x04."})),
                       r"unexpected members \['payload.pkl'\]"),
    "extra_array": (edit_members(lambda m: m.update({"W_xh_2.npy": npy(np.zeros((5, 5)))})),
                    r"unexpected members \['W_xh_2.npy'\]"),
    "missing_array": (edit_members(lambda m: m.pop("W_hy.npy")),
                      r"missing members \['W_hy.npy'\]"),
    "duplicate_member": (_duplicate, "duplicate members"),
    "wrong_shape": (edit_members(lambda m: m.update({"W_hh_0.npy": npy(np.zeros((4, 4)))})),
                    r"'W_hh_0' has shape \(4, 4\), expected \(5, 5\)"),
    "wrong_dtype": (edit_members(lambda m: m.update(
        {"W_hh_0.npy": npy(np.zeros((5, 5), np.float32))})),
                    "'W_hh_0' has dtype float32, expected float64"),
    "integer_array": (edit_members(lambda m: m.update({"y_mean.npy": npy(np.zeros(1, int))})),
                      "'y_mean' has dtype int64"),
    "zero_x_scale": (edit_members(lambda m: m.update({"x_scale.npy": npy(np.zeros(2))})),
                     "x_scale positive"),
    "nan_x_mean": (edit_members(lambda m: m.update({"x_mean.npy": npy(np.full(2, np.nan))})),
                   "x_mean must be finite"),
    "x_scale_wrong_shape": (edit_members(lambda m: m.update({"x_scale.npy": npy(np.ones(3))})),
                            r"'x_scale' has shape \(3,\), expected \(2,\)"),
    "pickled_object_array": (
        edit_members(lambda m: m.update(
            {"W_hh_0.npy": npy(np.array([_Explode()] * 25, dtype=object).reshape(5, 5),
                               allow_pickle=True)})),
        "'W_hh_0' has dtype object"),
    "truncated_array": (edit_members(lambda m: m.update({"W_hh_0.npy": m["W_hh_0.npy"][:-8]})),
                        "'W_hh_0' is truncated|does not hold exactly"),
    "trailing_bytes": (edit_members(lambda m: m.update(
        {"W_hh_0.npy": m["W_hh_0.npy"] + b"\0" * 8})),
                       "does not hold exactly"),
    "not_npy": (edit_members(lambda m: m.update({"b_y.npy": b"PK not an array"})), "'b_y'"),
    "compressed_members": (edit_members(lambda m: None, compression=zipfile.ZIP_DEFLATED),
                           "is compressed"),
    "validation_curve_too_long": (
        edit_members(lambda m: m.update({"validation_scores.npy": npy(np.zeros(99)),
                                         "validation_loss_curve.npy": npy(np.zeros(99))})),
        "at most n_iter_"),
    "validation_flag_mismatch": (edit_metadata(_set(["fitted", "best_validation_score_"], None)),
                                 "best_validation_score_ must be set"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_load_rejects_tampered_files(good_file, case, monkeypatch):
    monkeypatch.delenv("SKRNN_PWNED", raising=False)
    mutate, pattern = TAMPERING[case]
    content = mutate(members_of(good_file))
    with pytest.raises(ValueError, match=pattern):
        load_model(io.BytesIO(content))
    assert "SKRNN_PWNED" not in os.environ  # nothing was unpickled


def test_the_untampered_file_loads(good_file):
    loaded = load_model(io.BytesIO(build(members_of(good_file))))  # rebuilt the same way
    assert loaded.n_layers == 2 and loaded.validation_scores_ is not None


def test_load_warns_on_another_skrnn_version(good_file):
    content = edit_metadata(_set(["skrnn_version"], "99.0"))(members_of(good_file))
    with pytest.warns(InconsistentVersionWarning, match="saved with skrnn version 99.0"):
        loaded = load_model(io.BytesIO(content))
    assert loaded.n_iter_ >= 1


def test_load_of_a_missing_file_is_a_file_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.npz")


# ------------------------------------------------------------ older formats

DATA = Path(__file__).parent / "data"


def test_a_file_of_format_version_1_still_loads_and_trains_on():
    """``elman_format_v1.npz`` was written by skrnn before the cell parameter (format
    version 1: a 2-layer Elman network, hidden 4, Adam state, 4 epochs); the
    expected predictions, before and after one more partial_fit, were computed
    by that version too."""
    expected = np.load(DATA / "elman_format_v1_expected.npz")
    with zipfile.ZipFile(DATA / "elman_format_v1.npz") as archive:
        metadata = json.loads(archive.read("metadata.json"))
    assert metadata["format_version"] == 1 and "cell" not in metadata["params"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)  # written by 0.1.0
        model = load_model(DATA / "elman_format_v1.npz")
    assert model.cell == "elman" and model.n_layers == 2 and model.recurrent_biases_ is None
    X, y = expected["X"], expected["y"]
    np.testing.assert_array_equal(model.predict(X), expected["prediction"])
    model.partial_fit(X, y)  # the Adam state came along: the same step as then
    np.testing.assert_allclose(model.predict(X), expected["after_partial_fit"], rtol=1e-12)
    buffer = io.BytesIO()  # and it is saved again in the current format
    save_model(model, buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert json.loads(archive.read("metadata.json"))["format_version"] == 5


def test_a_file_of_format_version_3_loads_with_one_step_per_patch():
    """``lstm_format_v3.npz`` was written by skrnn 0.3.0 before patches (format
    version 3: the default LSTM with its linear path, 4 epochs); the expected
    predictions, before and after one more partial_fit, were computed by it. It
    loads with ``patch_length=1`` (whatever the default) and the identity for an
    input standardisation, predicts and trains on as then, and is saved again in
    the current version."""
    expected = np.load(DATA / "lstm_format_v3_expected.npz")
    with zipfile.ZipFile(DATA / "lstm_format_v3.npz") as archive:
        metadata = json.loads(archive.read("metadata.json"))
    assert metadata["format_version"] == 3 and "patch_length" not in metadata["params"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        model = load_model(DATA / "lstm_format_v3.npz")
    assert model.patch_length == 1 and model._layout.patch_length == 1
    assert model.readout == "last" and model._layout.readout == "last"
    assert np.all(model.x_mean_ == 0) and np.all(model.x_scale_ == 1)
    X, y = expected["X"], expected["y"]
    np.testing.assert_array_equal(model.predict(X), expected["prediction"])
    model.partial_fit(X, y)
    np.testing.assert_allclose(model.predict(X), expected["after_partial_fit"], rtol=1e-12)
    buffer = io.BytesIO()
    save_model(model, buffer)
    with zipfile.ZipFile(buffer) as archive:
        saved = json.loads(archive.read("metadata.json"))
    assert saved["format_version"] == 5 and saved["fitted"]["network"]["patch_length"] == 1


def test_patch_length_and_readout_are_saved_and_loaded():
    X, y = data()
    model = RNNRegressor(patch_length=3, readout="max", hidden_size=4, max_iter=3,
                         random_state=0).fit(X, y)
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    assert loaded.patch_length == 3 and loaded._layout.patch_length == 3
    assert loaded.readout == "max" and loaded._layout.readout == "max"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="format_version 3 has no patch_length"):
        content = edit_metadata(_set(["format_version"], 3))(members_of(buffer.getvalue()))
        load_model(io.BytesIO(content))


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
def test_file_members_are_the_layout_blocks(cell):
    """The file's arrays are named after the network's layout: GRU adds b_hn_<l>."""
    X, y = data()
    model = fitted(X, y, cell=cell, n_layers=2)
    buffer = io.BytesIO()
    save_model(model, buffer)
    with zipfile.ZipFile(buffer) as archive:
        names = {n[: -len(".npy")] for n in archive.namelist() if n.endswith(".npy")}
    blocks = {f"{b}_{layer}" for layer in range(2) for b in ("W_xh", "b_h", "W_hh")}
    if cell == "gru":
        blocks |= {"b_hn_0", "b_hn_1"}
    blocks |= {"W_hy", "b_y"}
    assert blocks <= names
    assert {n for n in names if not n.startswith(("adam_", "sgd_"))} - blocks == {
        "x_mean", "x_scale", "y_mean", "y_scale", "loss_curve", "grad_norm_curve", "rng_keys"}
    assert {f"adam_m/{b}" for b in blocks} <= names


@pytest.mark.parametrize("change", [dict(cell="gru"), dict(hidden_size=3), dict(n_layers=1),
                                    dict(activation="relu")])
def test_a_model_whose_hyper_parameters_changed_after_fit_saves_what_was_fitted(change):
    X, y = data()
    model = fitted(X, y, n_layers=2, warm_start=True)
    prediction = model.predict(X)
    model.set_params(**change)
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    np.testing.assert_array_equal(loaded.predict(X), prediction)
    assert loaded.get_params() == model.get_params()  # the changed value is kept...
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"{name}=.*fitted with"):
        loaded.fit(X, y)  # ... and, as in memory, a warm start refuses the new shape


def test_the_loader_refuses_what_fit_would_refuse(good_file):
    def edited(*changes):
        members = members_of(good_file)
        for change in changes:
            members = members_of(edit_metadata(change)(members))
        return io.BytesIO(build(members))

    gru_relu = edited(_set(["params", "activation"], "relu"), _set(["params", "cell"], "gru"))
    with pytest.raises(ValueError, match="activation='relu' applies to cell='elman' only"):
        load_model(gru_relu)
    with pytest.raises(ValueError, match="format_version 1 has no cell"):
        load_model(edited(_set(["format_version"], 1)))
    with pytest.raises(ValueError, match="network cell 'transformer'"):
        load_model(edited(_set(["fitted", "network", "cell"], "transformer")))
    with pytest.raises(ValueError, match="network cell 'lstm' with activation 'relu'"):
        load_model(edited(_set(["fitted", "network", "cell"], "lstm"),
                          _set(["fitted", "network", "activation"], "relu")))


@pytest.fixture(scope="module")
def linear_path_file():
    X, y = data(n_samples=150)
    model = fitted(X, y, skip_connection=True, max_iter=3, early_stopping=True)
    buffer = io.BytesIO()
    save_model(model, buffer)
    return model, buffer.getvalue()


def test_the_ridge_penalty_and_best_epoch_are_saved(linear_path_file):
    model, content = linear_path_file
    assert model.skip_alpha_ is not None and model.best_epoch_ is not None
    loaded = load_model(io.BytesIO(content))
    np.testing.assert_array_equal(loaded.skip_alpha_, model.skip_alpha_)
    assert loaded.best_epoch_ == model.best_epoch_


def _downgrade_to_version_2(members, model):
    """The same model as a version-2 file wrote it: no skip_alpha, no best_epoch_, and
    no input standardisation: the network reads raw inputs (``model``'s folded in)."""
    members.pop("skip_alpha.npy")
    for name in ("x_mean", "x_scale"):  # added in version 5
        members.pop(f"{name}.npy")
    raw = dict(fold(model._params, model.x_mean_, model.x_scale_, np.float64).named())
    for name in ("W_xh_0", "b_h_0", "W_xy", "b_y"):
        members[f"{name}.npy"] = npy(raw[name])
    metadata = json.loads(members["metadata.json"])
    metadata["format_version"] = 2
    metadata["fitted"].pop("best_epoch_")
    metadata["fitted"].pop("has_skip_alpha")
    for key in ("patch_length", "readout"):  # added in version 4
        metadata["fitted"]["network"].pop(key)
        metadata["params"].pop(key)
    for key in ("flat_order", "loss", "quantile"):  # parameters added in version 4
        metadata["params"].pop(key)
    members["metadata.json"] = json.dumps(metadata).encode()
    return build(members)


def test_a_version_2_file_loads_with_its_path_penalised_by_alpha(linear_path_file):
    model, content = linear_path_file
    X, y = data(n_samples=150)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = load_model(io.BytesIO(_downgrade_to_version_2(members_of(content), model)))
    np.testing.assert_allclose(old.predict(X), model.predict(X), rtol=1e-12)
    assert old.skip_alpha_ is None and old.best_epoch_ is None
    # as it was trained then: alpha on every weight matrix, the linear path included,
    # and the path trains on (the current file's path stays at its ridge fit)
    penalty = old._penalty(len(X))
    np.testing.assert_array_equal(penalty, old._layout.weight_mask() * old.alpha)
    current = load_model(io.BytesIO(content))
    for m in (old, current):
        m.set_params(warm_start=True, max_iter=2, early_stopping=False).fit(X, y)
    assert not np.array_equal(old.skip_weights_, model.skip_weights_)
    np.testing.assert_array_equal(current.skip_weights_, model.skip_weights_)
    # saved again, in the current format, and loaded: the path still has no ridge penalty
    buffer = io.BytesIO()
    save_model(old, buffer)
    again = load_model(io.BytesIO(buffer.getvalue()))
    assert again.skip_alpha_ is None
    np.testing.assert_array_equal(again.predict(X), old.predict(X))


@pytest.mark.parametrize("case, message", [
    ("negative_skip_alpha", "skip_alpha must be positive and finite"),
    ("missing_skip_alpha", r"missing members \['skip_alpha.npy'\]"),
    ("best_epoch_beyond_n_iter", "best_epoch_ is beyond n_iter_"),
    ("best_epoch_not_an_int", "best_epoch_"),
])
def test_load_rejects_a_tampered_ridge_penalty_or_best_epoch(linear_path_file, case, message):
    members = members_of(linear_path_file[1])
    metadata = json.loads(members["metadata.json"])
    if case == "negative_skip_alpha":
        members["skip_alpha.npy"] = npy(-np.ones(1))
    elif case == "missing_skip_alpha":
        members.pop("skip_alpha.npy")
    else:
        metadata["fitted"]["best_epoch_"] = (metadata["fitted"]["n_iter_"] + 1
                                            if case == "best_epoch_beyond_n_iter" else "0")
    members["metadata.json"] = json.dumps(metadata).encode()
    with pytest.raises(ValueError, match=message):
        load_model(io.BytesIO(build(members)))


def test_a_model_that_diverged_or_a_callbacks_copy_saves_and_loads():
    """best_epoch_ exists from the first epoch on, so every model fit leaves saves."""
    X, y = data(n_samples=60)
    model = RNNRegressor(cell="elman", skip_connection=False, solver="sgd",
                         learning_rate_init=50.0, clip_grad_norm=None, max_iter=50,
                         random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model.fit(X, y)
    buffer = io.BytesIO()
    save_model(model, buffer)
    np.testing.assert_array_equal(load_model(io.BytesIO(buffer.getvalue())).predict(X),
                                  model.predict(X))

    class SaveEachEpoch(Callback):
        def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                            fitted_estimator=None):
            if context.task_name == "epoch":
                out = io.BytesIO()
                save_model(fitted_estimator, out)
                load_model(io.BytesIO(out.getvalue()))
                self.saved = getattr(self, "saved", 0) + 1
            return False

    saver = SaveEachEpoch()
    RNNRegressor(max_iter=2, random_state=0).set_callbacks(saver).fit(X, y)
    assert saver.saved == 2


def test_a_model_pickled_before_the_ridge_floor_trains_and_saves():
    """A 0.2.0 pickle has no skip_alpha_ and no best_epoch_: it warns about the
    version, then trains on (its path as it was trained) and saves."""
    X, y = data(n_samples=60)
    model = fitted(X, y, skip_connection=True)
    state = model.__getstate__()
    state.pop("skip_alpha_"), state.pop("best_epoch_")
    state["_skrnn_version"] = "0.2.0"
    old = RNNRegressor.__new__(RNNRegressor)
    with pytest.warns(InconsistentVersionWarning):
        old.__setstate__(state)
    assert old.skip_alpha_ is None and old.best_epoch_ is None
    old.set_params(warm_start=True).fit(X, y)
    old.partial_fit(X, y)
    save_model(old, io.BytesIO())


# ----------------------------------------------- pickles that need little trust


class RecordingUnpickler(pickle.Unpickler):
    """Records every global a pickle asks for (what an allow-list must trust)."""

    def __init__(self, data):
        super().__init__(io.BytesIO(data))
        self.globals = set()

    def find_class(self, module, name):
        self.globals.add((module, name))
        return super().find_class(module, name)


@pytest.mark.parametrize("kind", ["regressor-adam", "classifier-sgd", "multilabel-padded",
                                  "patched-pooled", "unfitted"])
def test_a_pickle_references_no_skrnn_class_but_the_estimators_own(kind):
    """darts' SKLearnModel.load asks for an allow-list of a pickle's globals: a fitted
    estimator's pickle names its own class and NumPy's, nothing else of skrnn's (no
    Layout, no optimizer) and nothing of scikit-learn's (no LabelBinarizer); the
    round trip is exact, partial_fit included."""
    X, y = data(n_samples=80)
    if kind == "regressor-adam":
        model, target = RNNRegressor(max_iter=3, random_state=0), y
    elif kind == "classifier-sgd":
        model, target = RNNClassifier(solver="sgd", max_iter=3, random_state=0), y > 0
    elif kind == "multilabel-padded":
        X[:20, -2:] = np.nan
        model, target = RNNClassifier(max_iter=3, random_state=0), np.c_[y > 0, y > 1]
    elif kind == "patched-pooled":
        model = RNNRegressor(patch_length=2, readout="mean", max_iter=3, random_state=0)
        target = y
    else:
        model, target = RNNRegressor(), None
    if target is not None:
        model.fit(X, target)
    content = pickle.dumps(model)
    unpickler = RecordingUnpickler(content)
    loaded = unpickler.load()
    skrnn_or_sklearn = {g for g in unpickler.globals if g[0].split(".")[0] in ("skrnn", "sklearn")}
    assert skrnn_or_sklearn == {(type(model).__module__, type(model).__name__)}
    assert {g[0].split(".")[0] for g in unpickler.globals} <= {"skrnn", "numpy", "builtins"}
    if target is None:
        return
    predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    model.partial_fit(X, target)
    loaded.partial_fit(X, target)
    np.testing.assert_array_equal(
        (loaded.predict_proba if hasattr(loaded, "predict_proba") else loaded.predict)(X),
        predict(X))


def test_a_pickle_holding_the_objects_themselves_still_loads():
    """Pickles written before the state was made plain hold the Layout and the
    optimizer as objects: they load and train on as before."""
    X, y = data(n_samples=80)
    model = RNNRegressor(max_iter=3, random_state=0).fit(X, y)
    state = dict(model.__dict__)  # the objects, as the former __getstate__ left them
    state.pop("_params")
    state["_skrnn_version"] = skrnn.__version__
    old = RNNRegressor.__new__(RNNRegressor)
    old.__setstate__(copy.deepcopy(state))
    np.testing.assert_array_equal(old.predict(X), model.predict(X))
    old.partial_fit(X, y)
    model.partial_fit(X, y)
    np.testing.assert_array_equal(old.predict(X), model.predict(X))

"""patch_length: each step of the recurrence reads patches of input steps."""

import numpy as np
import pytest
from sklearn.base import clone

from skrnn import RNNClassifier, RNNRegressor, _network
from skrnn._losses import squared_error
from skrnn._patches import n_patches, to_patches

from ._helpers import CELL_IDS, CELLS, RTOL, numerical_gradient, relative_error


def reference_patches(X, lengths, k):
    """Patch by hand, one sequence at a time: the last patch ends at the last valid
    step, zeros before the first step and after the last patch."""
    n, T, F = X.shape
    P = n_patches(T, k)
    out = np.zeros((n, P, k * F))
    for i in range(n):
        L = T if lengths is None else int(lengths[i])
        Pi = n_patches(L, k)
        for j in range(Pi):
            for m in range(k):
                step = L - (Pi - j) * k + m
                if step >= 0:
                    out[i, j, m * F:(m + 1) * F] = X[i, step]
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("padded", [False, True])
def test_patches_match_the_definition(k, padded):
    rng = np.random.RandomState(k)
    X = rng.normal(size=(6, 7, 2))
    lengths = np.array([7, 1, 2, 3, 5, 6]) if padded else None
    patches, patch_lengths = to_patches(X, lengths, k)
    assert patches.shape == (6, n_patches(7, k), 2 * k)
    expected = reference_patches(X, lengths, k)
    if k == 1 and padded:  # returned as given: steps after a sequence's end are ignored
        valid = np.arange(7)[None, :] < lengths[:, None]
        np.testing.assert_array_equal(patches[valid], expected[valid])
    else:
        np.testing.assert_array_equal(patches, expected)
    if padded:
        np.testing.assert_array_equal(patch_lengths, -(-lengths // k))
    # the most recent steps always form a whole patch
    ends = np.full(6, 7) if lengths is None else lengths
    last = patches[np.arange(6), (-(-ends // k)) - 1]
    for i in range(6):
        if ends[i] >= k:
            np.testing.assert_array_equal(last[i], X[i, ends[i] - k:ends[i]].ravel())


def patched_problem(seed, layout, X, lengths, weighted, bptt_steps=None):
    """A random network of ``layout`` on ``X`` patched by it: the loss of its flat
    parameters (for central differences), the analytical gradient, the workspace of
    the forward pass, the patches and the gradient into the output."""
    rng = np.random.RandomState(seed)
    theta = rng.normal(scale=0.6, size=layout.size)
    patches, patch_lengths = to_patches(X, lengths, layout.patch_length)
    X_tm = np.ascontiguousarray(patches.transpose(1, 0, 2))
    n = len(X)
    y = rng.normal(size=(n, layout.n_outputs))
    w = rng.uniform(0.5, 2.0, size=n) if weighted else np.ones(n)

    def loss(flat):
        y_hat, _ = _network.forward(layout.params(flat), X_tm, lengths=patch_lengths)
        return squared_error(y_hat, y, w, float(w.sum()))[0]

    params = layout.params(theta.copy())
    y_hat, ws = _network.forward(params, X_tm, lengths=patch_lengths)
    _, d_y_hat = squared_error(y_hat, y, w, float(w.sum()))
    analytical = _network.backward(params, ws, d_y_hat, bptt_steps).copy()
    numerical = numerical_gradient(loss, theta.copy()) if bptt_steps is None else None
    return numerical, analytical, ws, patch_lengths, d_y_hat


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("bptt_steps", [None, 1])
def test_gradient_of_a_patched_network_with_its_linear_path(cell, activation, padded,
                                                             bptt_steps):
    """Central differences through the patches and the linear path that reads the
    raw window from them (5 raw steps in patches of 2: the window is the tail of 3
    patches)."""
    n, T, F, k = 4, 5, 2, 2
    layout = _network.Layout(cell, F * k, 3, 1, 2, activation, skip_steps=T, patch_length=k)
    X = np.random.RandomState(10).normal(size=(n, T, F))
    lengths = np.array([5, 3, 4, 2]) if padded else None
    numerical, analytical, ws, _, d_y_hat = patched_problem(0, layout, X, lengths, False,
                                                            bptt_steps)
    if bptt_steps is None:
        assert relative_error(numerical, analytical) < RTOL
    # the linear path's gradient is the raw window's, whatever the truncation
    window = np.zeros((n, T * F))
    for i in range(n):
        L = T if lengths is None else lengths[i]
        window[i, (T - L) * F:] = X[i, :L].ravel()
    np.testing.assert_allclose(ws.window, window, rtol=0, atol=0)
    np.testing.assert_allclose(analytical[-T * F * 2:].reshape(T * F, 2), window.T @ d_y_hat,
                               rtol=1e-12)


def data(n=160, T=10, F=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, F))
    return X, X[:, -1, 0] + 0.5 * X[:, 3, 1] + 0.1 * rng.normal(size=n)


def balanced_data(n=160, T=12, F=2, seed=0):
    """Values +-1, each sample beside its negative: every feature of a step (and
    every column of a patch) has mean 0 and standard deviation 1 exactly, so the
    estimators' input standardisation is the identity, to the last bit."""
    rng = np.random.RandomState(seed)
    half = rng.choice([-1.0, 1.0], size=(n // 2, T, F))
    X = np.concatenate([half, -half])
    return X, X[:, -1, 0] + 0.5 * X[:, 3, 1] + 0.1 * rng.normal(size=n)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_the_estimator_is_the_network_on_patches(k):
    """Without the linear path, patch_length=k on X is the plain model on X patched
    by hand (the same draws, the same training, truncated BPTT counting patches)."""
    X, y = balanced_data()
    patches, _ = to_patches(X, None, k)
    params = dict(skip_connection=False, random_state=0, max_iter=5, bptt_steps=2)
    a = RNNRegressor(patch_length=k, **params).fit(X, y)
    b = RNNRegressor(**params).fit(patches, y)
    for model in (a, b):  # the standardisation is the identity on this data
        assert np.all(model.x_mean_ == 0) and np.all(model.x_scale_ == 1)
    np.testing.assert_array_equal(a.predict(X), b.predict(patches))
    assert a.input_weights_[0].shape == (2 * k, a.input_weights_[0].shape[1])


def test_the_linear_path_reads_the_raw_window():
    X, y = data()
    plain = RNNRegressor(random_state=0, max_iter=3).fit(X, y)
    patched = RNNRegressor(patch_length=3, random_state=0, max_iter=3).fit(X, y)
    assert patched.skip_weights_.shape == (10 * 2, 1)
    np.testing.assert_array_equal(patched.skip_weights_, plain.skip_weights_)
    np.testing.assert_array_equal(patched.skip_alpha_, plain.skip_alpha_)


@pytest.mark.parametrize("readout", ["last", "mean", "max"])
@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_padding_stays_invisible(Estimator, readout):
    """A padded sequence's patches end at its own last step, and the pooled read-outs
    pool its valid patches only: its prediction is the one of the same sequence given
    alone, without padding."""
    X, y = data(seed=1)
    X[:40, 6:] = np.nan  # 40 sequences of 6 steps
    target = y if Estimator is RNNRegressor else (y > 0)
    model = Estimator(patch_length=4, readout=readout, random_state=0, max_iter=3).fit(
        X, target)
    method = model.predict if Estimator is RNNRegressor else model.predict_proba
    np.testing.assert_allclose(method(X[:40]), method(X[:40, :6]), rtol=1e-12, atol=1e-14)
    # and the full-length sequences are not changed by padded ones in their batch
    np.testing.assert_allclose(method(X)[40:], method(X[40:]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
@pytest.mark.parametrize("readout", ["last", "mean", "max"])
@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_torch_export_patches_the_same_way(cell, readout, Estimator):
    torch = pytest.importorskip("torch")
    from skrnn.export import to_torch, torch_state_dict

    X, y = data(T=11)  # 11 steps in patches of 3: one zero step in front
    target = y if Estimator is RNNRegressor else (y > 0)
    model = Estimator(cell=cell, patch_length=3, readout=readout, random_state=0,
                      max_iter=3).fit(X, target)
    state = torch_state_dict(model)
    assert state["rnn.weight_ih_l0"].shape[1] == 3 * 2
    module = to_torch(model).double()
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    expected = model.predict(X) if Estimator is RNNRegressor else model.decision_function(X)
    np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", None])
def test_bad_patch_lengths_are_named(value):
    X, y = data(n=20)
    with pytest.raises((ValueError, TypeError), match="patch_length"):
        RNNRegressor(patch_length=value).fit(X, y)


@pytest.mark.parametrize("value", ["average", "Mean", None, 1])
def test_bad_readouts_are_named(value):
    X, y = data(n=20)
    with pytest.raises((ValueError, TypeError), match="readout"):
        RNNClassifier(readout=value).fit(X, y > 0)


def test_a_warm_start_cannot_change_the_patches_or_the_read_out():
    X, y = data(n=40)
    model = RNNRegressor(patch_length=2, max_iter=2, random_state=0).fit(X, y)
    model.set_params(patch_length=3, warm_start=True)
    with pytest.raises(ValueError, match="patch_length=3 \\(fitted with 2\\)"):
        model.fit(X, y)
    model.set_params(patch_length=2, readout="mean")
    with pytest.raises(ValueError, match="readout='mean' \\(fitted with 'last'\\)"):
        model.fit(X, y)
    clone(model).fit(X, y)  # a new network may have other patches


def test_a_warm_start_to_auto_patches_names_what_was_set():
    """Sequences of 40 steps fitted one step at a time, then patch_length="auto" (4
    steps for them) on a warm start: the error names "auto" and its 4 steps, not a
    4 the user never wrote."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 40, 1))
    model = RNNClassifier(patch_length=1, max_iter=2, random_state=0).fit(X, X[:, -1, 0] > 0)
    model.set_params(patch_length="auto", warm_start=True)
    with pytest.raises(ValueError, match=r"patch_length='auto' \(4 steps\) \(fitted with 1\)"):
        model.fit(X, X[:, -1, 0] > 0)


def test_predict_takes_sequences_of_other_lengths():
    X, y = data()
    model = RNNRegressor(patch_length=3, random_state=0, max_iter=2).fit(X, y)
    for T in (1, 2, 7, 13):
        assert model.predict(np.random.RandomState(T).normal(size=(5, T, 2))).shape == (5,)


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("readout", ["mean", "max"])
@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("n_layers", [1, 2])
def test_gradient_of_a_pooled_read_out(cell, activation, readout, padded, n_layers):
    """Central differences of the loss when W_hy reads the mean or the maximum of the
    top layer's states over each sequence's valid steps (patches of 2 steps)."""
    n, T, F, k = 4, 7, 2, 2
    layout = _network.Layout(cell, F * k, 3, n_layers, 2, activation, skip_steps=T,
                             patch_length=k, readout=readout)
    X = np.random.RandomState(11).normal(size=(n, T, F))
    lengths = np.array([7, 3, 4, 1]) if padded else None
    numerical, analytical, ws, patch_lengths, _ = patched_problem(1, layout, X, lengths, True)
    assert relative_error(numerical, analytical) < RTOL
    # what the read-out sees: the pooled states over the valid patches only
    top = ws.layers[-1].H[1:]
    states = layout.order.to_batch_first(top)
    for i in range(n):
        valid = states[i, : (states.shape[1] if patch_lengths is None else patch_lengths[i])]
        pooled = valid.mean(axis=0) if readout == "mean" else valid.max(axis=0)
        np.testing.assert_allclose(ws.last[i], pooled, rtol=1e-12)


def test_export_in_float32():
    torch = pytest.importorskip("torch")
    from skrnn.export import to_torch

    X, y = data(T=11)
    model = RNNRegressor(patch_length=3, readout="mean", random_state=0, max_iter=3).fit(
        X.astype(np.float32), y)
    with torch.no_grad():
        out = to_torch(model)(torch.from_numpy(X.astype(np.float32))).numpy()
    np.testing.assert_allclose(out, model.predict(X.astype(np.float32)), rtol=1e-5, atol=1e-5)


def test_a_patch_longer_than_the_sequences_is_cut_to_them():
    """Input weights beyond the training sequences would never see data: the patch is
    cut to the whole sequence, and a warning says so (scikit-learn's checks fit
    one-column data, so this cannot be an error)."""
    X, y = data(n=30, T=6)
    with pytest.warns(UserWarning, match="patch_length=7 is longer than the 6 steps"):
        model = RNNRegressor(patch_length=7, max_iter=1, random_state=0).fit(X, y)
    assert model._layout.patch_length == 6 and model.input_weights_[0].shape[0] == 6 * 2
    same = RNNRegressor(patch_length=6, max_iter=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), same.predict(X))
    model.set_params(warm_start=True).fit(X, y)  # the same network: no shape change


def test_numpy_integers_from_a_grid():
    from sklearn.model_selection import GridSearchCV

    X, y = data(n=60)
    search = GridSearchCV(RNNRegressor(max_iter=2, random_state=0),
                          {"patch_length": np.arange(2, 4)}, cv=2).fit(X, y)
    assert search.best_estimator_.predict(X).shape == (60,)


@pytest.mark.parametrize("Estimator", [RNNRegressor, RNNClassifier])
def test_a_model_pickled_before_this_round_gets_the_values_it_had(Estimator):
    """A pickle of 0.3.0 has none of this round's parameters (patch_length, readout,
    flat_order; the regressor's loss and quantile), simulated by deleting them: it
    loads with the values its model had then, gets its parameters, clones and trains
    on. The classifier gains no loss."""
    import copy
    import pickle

    X, y = data(n=60)
    target = y if Estimator is RNNRegressor else y > 0
    model = Estimator(max_iter=2, random_state=0).fit(X, target)
    state = copy.deepcopy(model.__getstate__())  # its own arrays, as a pickle has
    added = ["patch_length", "readout", "flat_order"]
    if Estimator is RNNRegressor:
        added += ["loss", "quantile"]
    for name in added:
        del state[name]
    old = Estimator.__new__(Estimator)
    old.__setstate__(state)
    params = old.get_params()
    assert (params["patch_length"], params["readout"], params["flat_order"]) == (
        1, "last", "time_major")
    assert "loss" not in vars(old) if Estimator is RNNClassifier else (
        params["loss"], params["quantile"]) == ("squared_error", None)
    clone(old)
    np.testing.assert_array_equal(old.predict(X), model.predict(X))
    old.partial_fit(X, target)
    model.partial_fit(X, target)  # trains on as the model it was pickled from
    np.testing.assert_array_equal(old.predict(X), model.predict(X))
    assert pickle.loads(pickle.dumps(old)).n_iter_ == model.n_iter_


def test_the_defaults_are_what_their_selection_chose():
    """benchmarks/select_patch_rule.py (round 2) chose among patch rules and read-outs
    by a rule written before its run: the classifier's defaults are its choice, the
    auto rule has its S and its short-sequence bound, the regressor keeps one step per
    step, and the user guide quotes the record."""
    import inspect
    import json
    from pathlib import Path

    from skrnn import _patches

    root = Path(__file__).resolve().parents[1]
    record = json.loads((root / "benchmarks" / "results" / "patch_rule.json").read_text())
    assert record["round"] == 2
    target, readout = record["chosen"]["target_steps"], record["chosen"]["readout"]
    assert target == _patches.AUTO_STEPS == 10
    assert "SHORT = 32" in (root / "benchmarks" / "select_patch_rule.py").read_text()
    assert _patches.AUTO_SHORT == 32
    classifier = inspect.signature(RNNClassifier).parameters
    regressor = inspect.signature(RNNRegressor).parameters
    assert classifier["patch_length"].default == "auto" and regressor["patch_length"].default == 1
    assert classifier["readout"].default == readout == regressor["readout"].default
    rows = {(r["target_steps"], r["readout"]): r for r in record["candidates"]}
    chosen, old = rows[target, readout], rows["inf", "last"]
    assert chosen["admissible"] and old["admissible"]
    guide = (root / "docs" / "user_guide" / "long_sequences.rst").read_text()
    quoted = (f"scored {chosen['score']:.3f} against {old['score']:.3f}, with a median fit of\n"
              f"{chosen['median_seconds']:.2f} s against {old['median_seconds']:.2f} s")
    assert quoted in guide
    for name, problem in chosen["problems"].items():  # the rule's patch lengths
        assert problem["patch_length"] == _patches.auto_patch_length(record["steps"][name])


@pytest.mark.parametrize("n_steps, expected", [(7, 1), (32, 1), (33, 4), (100, 10), (150, 15)])
def test_auto_patches_long_sequences_only(n_steps, expected):
    """patch_length="auto" (the classifier's default): one step per step up to 32
    steps, else ceil(T / 10); the regressor takes it too; saved and loaded as "auto"."""
    import io

    from skrnn.persistence import load_model, save_model

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, n_steps, 2))
    y = X[:, -1, 0] > 0
    clf = RNNClassifier(max_iter=2, random_state=0).fit(X, y)
    assert clf.patch_length == "auto" and clf.patch_length_ == expected
    assert clf.input_weights_[0].shape[0] == 2 * expected
    reg = RNNRegressor(patch_length="auto", max_iter=2, random_state=0).fit(X, X[:, -1, 0])
    assert reg.patch_length_ == expected
    buffer = io.BytesIO()
    save_model(clf, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    assert loaded.patch_length == "auto" and loaded.patch_length_ == expected
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    clf.set_params(warm_start=True).fit(X, y)  # the same network: no complaint
    assert clf.patch_length_ == expected


@pytest.mark.parametrize("value", ["longest", 0, 2.5])
def test_a_bad_patch_length_is_refused(value):
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.random.RandomState(0).normal(size=(20, 8, 1))
    with pytest.raises(InvalidParameterError, match="patch_length"):
        RNNClassifier(patch_length=value).fit(X, X[:, -1, 0] > 0)


def test_the_user_guide_quotes_the_long_window_benchmark():
    """long_sequences.rst's figures are bench_long_windows.py's (clean_weather)."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    guide = " ".join((root / "docs" / "user_guide" / "long_sequences.rst").read_text().split())
    record = json.loads((root / "benchmarks" / "results" / "long_windows.json").read_text())
    ratios = record["fit_time_ratios"]["clean_weather"]
    results = record["results"]
    assert (f"fits in {ratios['defaults_96_over_24_fit_time']:.2f} times the time of one of 24"
            in guide)
    assert f"in {ratios['patch_4_96_over_defaults_24_fit_time']:.2f} times with" in guide
    plain = results["RNNRegressor(), window 96"]["clean_weather"]["median_ratio"]
    patched = results["patch_length=4, window 96"]["clean_weather"]["median_ratio"]
    assert f"{plain:.3f} without patches, {patched:.3f} with" in guide


def test_the_user_guide_says_why_the_read_out_stays_last():
    """long_sequences.rst: at the chosen rule, the pooled read-outs "scored higher on
    the two long problems but lost 0.05 on ItalyPowerDemand" (results/patch_rule.json)."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    record = json.loads((root / "benchmarks" / "results" / "patch_rule.json").read_text())
    guide = " ".join((root / "docs" / "user_guide" / "long_sequences.rst").read_text().split())
    assert "scored higher on the two long problems but lost 0.05 on ItalyPowerDemand" in guide
    target = record["chosen"]["target_steps"]
    rows = {(r["target_steps"], r["readout"]): r["problems"] for r in record["candidates"]}
    last = rows[target, "last"]
    for readout in ("mean", "max"):
        pooled = rows[target, readout]
        for name in ("GunPoint", "BasicMotions"):  # the two long ones (150 and 100 steps)
            assert record["steps"][name] > 32
            assert pooled[name]["accuracy"] > last[name]["accuracy"], (readout, name)
        lost = last["ItalyPowerDemand"]["accuracy"] - pooled["ItalyPowerDemand"]["accuracy"]
        assert round(lost, 2) == 0.05, (readout, lost)

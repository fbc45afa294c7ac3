"""RNNClassifier: the heads' losses and gradients, labels, partial_fit, probabilities."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import shuffle

import io
import json
import zipfile

from skrnn import RNNClassifier, _network, export, load_model, save_model
from skrnn._losses import logistic_log_loss, softmax_log_loss

from ._helpers import QUIET, RTOL, numerical_gradient, relative_error

CELLS = ["elman", "gru", "lstm"]


def sign_task(n_samples=400, n_steps=8, lag=4, seed=0, n_classes=2):
    """The label is the sign (or, for 3 classes, the tercile) of the input ``lag``
    steps before the end, among noise steps."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_steps, 2))
    value = X[:, -1 - lag, 0]
    if n_classes == 2:
        return X, np.where(value > 0, "pos", "neg")
    return X, np.digitize(value, np.quantile(value, [1 / 3, 2 / 3]))


# ---------------------------------------------------- heads: loss and gradients


def one_hot(labels, n):
    return np.eye(n)[labels]


HEADS = {
    "binary": (logistic_log_loss, lambda rng, n: (rng.rand(n, 1) > 0.5).astype(float), 1),
    "multiclass": (softmax_log_loss, lambda rng, n: one_hot(rng.randint(0, 3, n), 3), 3),
    "multilabel": (logistic_log_loss, lambda rng, n: (rng.rand(n, 2) > 0.5).astype(float), 2),
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("head", sorted(HEADS))
@pytest.mark.parametrize("cell", CELLS)
def test_cross_entropy_gradients_match_central_differences(cell, head, weighted):
    loss_function, draw_y, n_outputs = HEADS[head]
    rng = np.random.RandomState(CELLS.index(cell) + 3 * weighted)
    layout = _network.Layout(cell, 2, 3, 2, n_outputs)
    theta = rng.normal(scale=0.6, size=layout.size)
    X = rng.normal(size=(4, 5, 2))  # time-major: 4 steps, 5 samples
    y = draw_y(rng, 5)
    w = rng.uniform(0.2, 3.0, 5) if weighted else None
    w_sum = 5.0 if w is None else float(w.sum())

    def loss(flat):
        y_hat, _ = _network.forward(layout.params(flat), X)
        return loss_function(y_hat, y, w, w_sum)[0]

    params = layout.params(theta)
    y_hat, ws = _network.forward(params, X)
    _, d_y_hat = loss_function(y_hat, y, w, w_sum)
    analytical = _network.backward(params, ws, d_y_hat).copy()
    numerical = numerical_gradient(loss, theta.copy())
    assert relative_error(numerical, analytical) < RTOL
    assert np.all(analytical != 0)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("head", sorted(HEADS))
@pytest.mark.parametrize("cell", CELLS)
def test_logits_loss_and_gradients_match_torch(cell, head, weighted):
    torch = pytest.importorskip("torch")
    loss_function, draw_y, n_outputs = HEADS[head]
    rng = np.random.RandomState(10 + CELLS.index(cell) + 3 * weighted)
    layout = _network.Layout(cell, 3, 4, 2, n_outputs)
    params = layout.params(rng.normal(scale=0.5, size=layout.size))
    X_bf = rng.normal(size=(7, 6, 3))
    y = draw_y(rng, 7)
    w = rng.uniform(0.2, 3.0, 7) if weighted else np.ones(7)
    y_hat, ws = _network.forward(params, np.ascontiguousarray(X_bf.transpose(1, 0, 2)))
    loss, d_y_hat = loss_function(y_hat, y, w, float(w.sum()))
    grads = layout.params(_network.backward(params, ws, d_y_hat).copy())

    module = export.torch_module(layout, torch.float64)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in
                            export.state_dict_of(params).items()})
    logits = module(torch.from_numpy(X_bf))
    w_t = torch.from_numpy(w)
    if head == "multiclass":
        per_sample = torch.nn.functional.cross_entropy(
            logits, torch.from_numpy(y.argmax(1)), reduction="none")
    else:
        per_sample = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, torch.from_numpy(y), reduction="none").sum(dim=1)
    t_loss = (w_t * per_sample).sum() / w_t.sum()
    t_loss.backward()
    np.testing.assert_allclose(y_hat, logits.detach().numpy(), rtol=0, atol=1e-12)
    assert abs(loss - t_loss.item()) < 1e-12
    # the read-out and the first layer's input weights, against autograd
    np.testing.assert_allclose(grads.W_hy, module.linear.weight.grad.numpy().T,
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads.b_y, module.linear.bias.grad.numpy(),
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads.W_xh[0], module.rnn.weight_ih_l0.grad.numpy().T,
                               rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads.W_hh[1], module.rnn.weight_hh_l1.grad.numpy().T,
                               rtol=1e-10, atol=1e-14)


def test_losses_are_finite_for_huge_logits():
    z = np.array([[800.0], [-800.0]])
    loss, d = logistic_log_loss(z, np.array([[0.0], [1.0]]), None, 2.0)
    assert loss == pytest.approx(800.0) and np.all(np.isfinite(d))
    z3 = np.array([[800.0, 0.0, -800.0]])
    loss, d = softmax_log_loss(z3, np.array([[0.0, 0.0, 1.0]]), None, 1.0)
    assert loss == pytest.approx(1600.0) and np.all(np.isfinite(d))


# ------------------------------------------------------------------ learning


@pytest.mark.parametrize("cell", CELLS)
def test_learns_the_sign_of_a_value_several_steps_back(cell):
    """Hidden 16 and 100 epochs: with 8 and 60 the LSTM's test accuracy was 0.70 to
    0.96 over seeds 0-3 (two of four above 0.9, before and after the input
    standardisation); with 16 and 100, 0.80 to 0.98 (three of four)."""
    X, y = sign_task()
    X_test, y_test = sign_task(seed=1)
    clf = RNNClassifier(cell=cell, hidden_size=16, max_iter=100, random_state=0,
                        **QUIET).fit(X, y)
    assert clf.loss_curve_[-1] < 0.3 * clf.loss_curve_[0]
    assert clf.score(X_test, y_test) > 0.9
    assert clf.classes_.tolist() == ["neg", "pos"] and clf.n_outputs_ == 1


def test_multiclass_and_multilabel_heads():
    X, y3 = sign_task(n_classes=3)
    multi = RNNClassifier(max_iter=150, random_state=0, **QUIET).fit(X, y3)
    assert multi.out_activation_ == "softmax" and multi.n_outputs_ == 3
    proba = multi.predict_proba(X)
    assert proba.shape == (400, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(multi.predict(X), multi.classes_[proba.argmax(axis=1)])
    assert multi.score(X, y3) > 0.8
    Y = np.column_stack([X[:, -3, 0] > 0, X[:, -2, 1] > 0]).astype(int)
    labels = RNNClassifier(max_iter=60, random_state=0, **QUIET).fit(X, Y)
    assert labels.out_activation_ == "logistic" and labels.n_outputs_ == 2
    assert labels.predict(X).shape == (400, 2)
    assert set(np.unique(labels.predict(X))) <= {0, 1}
    assert labels.score(X, Y) > 0.8  # subset accuracy, as scikit-learn's


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_proba_rows_sum_to_one_and_match_decision_function(dtype):
    X, y3 = sign_task(n_classes=3)
    clf = RNNClassifier(max_iter=5, random_state=0).fit(X.astype(dtype), y3)
    proba = clf.predict_proba(X.astype(dtype))
    assert proba.dtype == dtype
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=10 * np.finfo(dtype).eps)
    logits = clf.decision_function(X.astype(dtype))
    expected = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(proba, expected / expected.sum(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X.astype(dtype))), proba,
                               rtol=1e-5)
    X2, y2 = sign_task()
    binary = RNNClassifier(max_iter=5, random_state=0).fit(X2.astype(dtype), y2)
    z = binary.decision_function(X2.astype(dtype))
    assert z.shape == (400,)
    np.testing.assert_allclose(binary.predict_proba(X2.astype(dtype))[:, 1],
                               1 / (1 + np.exp(-z.astype(np.float64))), rtol=1e-5)
    np.testing.assert_array_equal(binary.predict(X2.astype(dtype)),
                                  np.where(z > 0, "pos", "neg"))


# --------------------------------------------------------------- labels, weights


@pytest.mark.parametrize("labels", [["cat", "dog", "eel"], [3, -1, 7], [True, False, True]])
def test_labels_of_any_type(labels):
    X, y3 = sign_task(n_samples=120, n_classes=3)
    y = np.asarray(labels, dtype=object if isinstance(labels[0], str) else None)
    y = y[y3 % len(set(labels))]
    clf = RNNClassifier(max_iter=3, random_state=0).fit(X, y)
    assert sorted(clf.classes_.tolist()) == sorted(set(labels))
    assert set(clf.predict(X).tolist()) <= set(labels)


def test_partial_fit_needs_classes_first_and_refuses_unknown_labels():
    X, y = sign_task(n_samples=60)
    clf = RNNClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:30], np.full(30, "pos"), classes=["neg", "pos", "zero"])
    assert clf.classes_.tolist() == ["neg", "pos", "zero"] and clf.n_outputs_ == 3
    clf.partial_fit(X, y)  # y need not hold every class
    with pytest.raises(ValueError, match=r"labels that are not in classes_ .*\['up'\]"):
        clf.partial_fit(X[:5], ["up", "neg", "neg", "pos", "pos"])
    assert clf.n_iter_ == 2


def test_partial_fit_equals_fit():
    X, y = sign_task(n_samples=150)
    params = dict(random_state=3, batch_size=32, **QUIET)
    full = RNNClassifier(max_iter=5, **params).fit(X, y)
    inc = RNNClassifier(**params)
    for _ in range(5):
        inc.partial_fit(X, y, classes=["neg", "pos"])
    np.testing.assert_array_equal(inc._theta, full._theta)
    np.testing.assert_array_equal(inc.predict_proba(X), full.predict_proba(X))


@pytest.mark.parametrize("cell", CELLS)
def test_integer_weights_equal_repeated_samples(cell):
    """scikit-learn's check data, 50 epochs at the defaults otherwise. Run to
    convergence (up to 200 epochs) the logits of this separable data keep
    growing and Adam amplifies rounding: for the 1-layer LSTM the weighted fit
    and the same weighted fit with its samples reordered (the same fit
    mathematically) end 0.08 apart in predict_proba, the repeated-samples fit
    0.02 from it. Over 50 epochs all agree to 1e-14."""
    rng = np.random.RandomState(42)
    X, y = rng.rand(15, 30), rng.randint(0, 3, 15)
    w = rng.randint(0, 5, 15)
    X_w, y_w, w_w = shuffle(X, y, w, random_state=0)
    params = dict(cell=cell, random_state=0, max_iter=50)
    weighted = RNNClassifier(**params).fit(X_w, y_w, sample_weight=w_w)
    repeated = RNNClassifier(**params).fit(X.repeat(w, 0), y.repeat(w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               rtol=1e-9, atol=1e-12)
    unweighted = RNNClassifier(**params).fit(X, y)
    assert not np.allclose(unweighted.predict_proba(X), weighted.predict_proba(X), rtol=1e-3)


def test_a_class_with_zero_total_weight_and_imbalanced_weights():
    X, y = sign_task(n_samples=300)
    w = np.where(y == "pos", 0.0, 1.0)  # the positive class weighs nothing
    zero = RNNClassifier(max_iter=30, random_state=0, **QUIET).fit(X, y,
                       sample_weight=w)
    assert zero.classes_.tolist() == ["neg", "pos"]
    assert np.mean(zero.predict(X) == "neg") > 0.95  # it learns the weighted data only
    # imbalanced data: 10 % positives; weighting them up raises their recall
    keep = (y == "neg") | (np.arange(300) % 10 == 0)
    X_i, y_i = X[keep], y[keep]
    plain = RNNClassifier(max_iter=30, random_state=0, **QUIET).fit(X_i, y_i)
    balanced_w = np.where(y_i == "pos", np.mean(y_i == "neg") / np.mean(y_i == "pos"), 1.0)
    balanced = RNNClassifier(max_iter=30, random_state=0, **QUIET).fit(X_i, y_i,
                           sample_weight=balanced_w)
    X_t, y_t = sign_task(seed=1)
    recall = lambda m: np.mean(m.predict(X_t[y_t == "pos"]) == "pos")  # noqa: E731
    assert recall(balanced) > recall(plain)


def test_bad_targets_are_named():
    X, _ = sign_task(n_samples=20)
    with pytest.raises(ValueError, match="Unknown label type"):
        RNNClassifier().fit(X, np.linspace(0, 1, 20))
    with pytest.raises(ValueError, match="validation_split"):
        RNNClassifier(validation_split="random").fit(X, np.arange(20) % 2)
    with pytest.raises(ValueError, match="stratified split of 20 samples"):
        RNNClassifier(early_stopping=True).fit(X, np.r_[np.zeros(19), 1])


# ------------------------------------------------------------ ending a fit


def which_first(n_samples=900, n_steps=25, seed=42):
    """Two channels, one marked step in each: the class says which mark comes first
    (issue 28 item 3: perfect test accuracy, yet every default fit warned)."""
    rng = np.random.RandomState(seed)
    first, second = rng.randint(0, n_steps, n_samples), rng.randint(0, n_steps, n_samples)
    same = first == second
    second[same] = (second[same] + rng.randint(1, n_steps, same.sum())) % n_steps
    X = 0.3 * rng.normal(size=(n_samples, n_steps, 2))
    X[np.arange(n_samples), first, 0] += 1.5
    X[np.arange(n_samples), second, 1] += 1.5
    return X, np.where(first < second, "A first", "B first")


def noisy_waves(n_samples=300, seed=0):
    """README's "Classify sequences" data: the class is the period, 12, 9 or 7 steps."""
    rng = np.random.RandomState(seed)
    period = rng.choice([12, 9, 7], size=n_samples)
    phase = rng.uniform(0, 2 * np.pi, size=(n_samples, 1))
    X = np.sin(2 * np.pi * np.arange(30) / period[:, None] + phase)
    X = (X + 0.5 * rng.normal(size=X.shape))[:, :, None]
    return X, np.where(period == 12, "slow", np.where(period == 9, "medium", "fast"))


def test_default_fits_on_small_data_end_by_the_tol_rule():
    """Below 1000 samples (no early stopping) a default fit ends because the
    training loss stopped improving, not at max_iter with a ConvergenceWarning:
    the 900 sequences of the issue, and the training parts of
    cross_val_score(cv=3) on README's waves. With max_iter=200 and tol=1e-4
    (the defaults before) all four fits warned. Training accuracy: 1.0 in 8 of
    the 9 waves fits of seeds 0-2; seed 0's third part stops (tol rule, epoch 133)
    at 0.925 since the inputs are standardised (before: 1.0)."""
    X_waves, y_waves = noisy_waves()
    fits = [which_first()] + [(X_waves[train], y_waves[train])
                              for train, _ in StratifiedKFold(3).split(X_waves, y_waves)]
    for X, y in fits:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)  # pyproject ignores it
            clf = RNNClassifier(random_state=0).fit(X, y)
        assert clf.validation_scores_ is None and clf.n_iter_ < clf.max_iter
        assert clf.score(X, y) > 0.9
        if len(X) == 900:
            assert clf.score(*which_first(n_samples=300, seed=7)) > 0.97  # new sequences


# ------------------------------------------------------------------ early stopping


def test_early_stopping_holds_out_a_stratified_part_and_keeps_the_lowest_loss():
    X, y = sign_task(n_samples=400)
    order = np.argsort(y, kind="stable")  # ordered by class, as UCR training sets often are
    X, y = X[order], y[order]
    clf = RNNClassifier(early_stopping=True, validation_fraction=0.2, max_iter=40,
                        n_iter_no_change=5, random_state=0).fit(X, y)
    assert clf.t_ == 320 * clf.n_iter_
    best = int(np.argmin(clf.validation_loss_curve_))
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    assert 0.5 < clf.best_validation_score_ <= 1.0  # both classes were held out
    tail = RNNClassifier(early_stopping=True, validation_fraction=0.2, max_iter=3,
                         validation_split="tail", random_state=0)
    with pytest.warns(ConvergenceWarning):
        tail.fit(X, y)  # the tail holds one class only: accuracy is that of one class
    assert len(tail.validation_scores_) == 3


# ------------------------------------------------------------------ export


@pytest.mark.parametrize("cell", CELLS)
def test_to_torch_gives_the_logits(cell):
    torch = pytest.importorskip("torch")
    for X, y in (sign_task(n_samples=60), sign_task(n_samples=60, n_classes=3)):
        clf = RNNClassifier(cell=cell, max_iter=3, random_state=0).fit(X, y)
        with torch.no_grad():
            logits = export.to_torch(clf)(torch.from_numpy(X)).numpy()
        assert logits.shape == (60, clf.n_outputs_)
        np.testing.assert_allclose(logits.reshape(clf.decision_function(X).shape),
                                   clf.decision_function(X), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ persistence


def _round_trip(model):
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    return load_model(buffer), buffer.getvalue()


@pytest.mark.parametrize("target", ["strings", "integers", "booleans", "multiclass", "multilabel"])
@pytest.mark.parametrize("cell", ["elman", "gru"])
def test_save_and_load_keep_the_classes_without_pickle(cell, target):
    X, y = sign_task(n_samples=80)
    y = {"strings": y, "integers": np.where(y == "pos", 7, -2),
         "booleans": y == "pos", "multiclass": sign_task(n_samples=80, n_classes=3)[1],
         "multilabel": np.column_stack([y == "pos", X[:, -1, 1] > 0]).astype(int)}[target]
    model = RNNClassifier(cell=cell, max_iter=3, warm_start=True,
                                      random_state=0).fit(X, y)
    loaded, content = _round_trip(model)
    assert type(loaded) is RNNClassifier
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.classes_.dtype == model.classes_.dtype
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        metadata = json.loads(archive.read("metadata.json"))
    assert metadata["format"] == "skrnn.RNNClassifier"
    for m in (model, loaded):  # and training goes on bit for bit
        m.set_params(max_iter=2).fit(X, y)
    np.testing.assert_array_equal(loaded._theta, model._theta)


def test_a_file_with_tampered_classes_is_refused():
    X, y = sign_task(n_samples=40)
    model = RNNClassifier(max_iter=1, random_state=0).fit(X, y)
    _, content = _round_trip(model)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}

    def load_with(**changes):
        metadata = json.loads(members["metadata.json"])
        metadata["fitted"].update(changes)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, payload in members.items():
                archive.writestr(name, json.dumps(metadata) if name == "metadata.json"
                                 else payload)
        return load_model(io.BytesIO(buffer.getvalue()))

    with pytest.raises(ValueError, match="classes, y_type and n_outputs_ do not agree"):
        load_with(classes=["neg", "pos", "zero"])
    with pytest.raises(ValueError, match="classes must be of kind str"):
        load_with(classes=[1, 2])
    with pytest.raises(ValueError, match="classes_dtype 'pickle'"):
        load_with(classes_dtype="pickle")
    with pytest.raises(ValueError, match="y_type 'continuous'"):
        load_with(y_type="continuous")
    assert load_with().classes_.tolist() == ["neg", "pos"]


def test_a_validation_part_too_small_to_guide_early_stopping_warns():
    X, y = sign_task(n_samples=120)
    with pytest.warns(UserWarning, match=r"holds out 12 samples, \d of its smallest class"):
        RNNClassifier(early_stopping=True, max_iter=2, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        # 40 per class: no warning
        warnings.filterwarnings("error", message="RNNClassifier: early stopping holds out")
        RNNClassifier(early_stopping=True, validation_fraction=0.2, max_iter=2,
                                  random_state=0).fit(*sign_task(n_samples=400))

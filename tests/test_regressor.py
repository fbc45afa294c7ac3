"""Behaviour of RNNRegressor: training, its contract, and its fitted attributes."""

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score

from skrnn import RNNRegressor
from ._helpers import QUIET



def delayed_copy(n_samples=300, n_steps=6, delay=2, seed=0):
    """Sequences whose target is the input `delay` steps before the end."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_steps, 1))
    return X, X[:, -1 - delay, 0]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def manual_step(model, layer, x_t, state):
    """One step of the documented equations of the model's cell, from the public attributes."""
    W_xh, W_hh = model.input_weights_[layer], model.recurrent_weights_[layer]
    b_h = model.hidden_biases_[layer]
    if model.cell == "elman":
        act = np.tanh if model.activation == "tanh" else (lambda z: np.maximum(z, 0))
        h = act(x_t @ W_xh + state @ W_hh + b_h)
        return h, h
    if model.cell == "gru":
        a, b = np.split(x_t @ W_xh + b_h, 3), np.split(state @ W_hh, 3)
        r, z = sigmoid(a[0] + b[0]), sigmoid(a[1] + b[1])
        n = np.tanh(a[2] + r * (b[2] + model.recurrent_biases_[layer]))
        h = (1 - z) * n + z * state
        return h, h
    h, c = state
    i, f, g, o = np.split(x_t @ W_xh + h @ W_hh + b_h, 4)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, (h, c)


def manual_forward(model, X3):
    """The documented forward pass, from the public attributes, one sample at a time,
    on the standardised inputs ``(X - x_mean_) / x_scale_``."""
    out = []
    hidden = model.recurrent_weights_[0].shape[0]
    for seq in (X3 - model.x_mean_) / model.x_scale_:
        inputs = seq
        for layer in range(len(model.input_weights_)):
            zero = np.zeros(hidden)
            state = (zero, zero) if model.cell == "lstm" else zero
            states = []
            for x_t in inputs:
                h, state = manual_step(model, layer, x_t, state)
                states.append(h)
            inputs = states
        y_hat = h @ model.output_weights_ + model.output_bias_
        if model.skip_weights_ is not None:  # the linear path from the whole window
            y_hat = y_hat + seq.reshape(-1) @ model.skip_weights_
        out.append(y_hat)
    return np.array(out)


def test_multi_epoch_fit_learns_delayed_copy():
    X, y = delayed_copy()
    model = RNNRegressor(random_state=0, max_iter=150, **QUIET)
    model.fit(X, y)
    curve = model.loss_curve_
    assert len(curve) == model.n_iter_ == 150
    assert curve[-1] < 0.05 * curve[0]  # the loss really falls over many epochs
    assert model.score(X, y) > 0.95
    X_new, y_new = delayed_copy(seed=1)
    assert model.score(X_new, y_new) > 0.9  # it learned the rule, not the rows


CELL_CONFIGS = [("elman", "tanh"), ("elman", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
CELLS = ["elman", "gru", "lstm"]
GATES = {"elman": 1, "gru": 3, "lstm": 4}


@pytest.mark.parametrize("n_layers", [1, 2])
@pytest.mark.parametrize("cell, activation", CELL_CONFIGS)
def test_predict_is_the_documented_forward_pass(n_layers, cell, activation):
    X, y = delayed_copy(n_samples=60)
    y2 = np.column_stack([10 * y + 50, -y])
    model = RNNRegressor(
        cell=cell, n_layers=n_layers, activation=activation, hidden_size=5, max_iter=5,
        random_state=0, **QUIET,
    )
    model.fit(X, y2)
    G = GATES[cell]
    assert len(model.input_weights_) == n_layers
    assert model.input_weights_[0].shape == (1, G * 5)
    assert all(W.shape == (5, G * 5) for W in model.input_weights_[1:])
    assert all(W.shape == (5, G * 5) for W in model.recurrent_weights_)
    assert all(b.shape == (G * 5,) for b in model.hidden_biases_)
    if cell == "gru":
        assert [b.shape for b in model.recurrent_biases_] == [(5,)] * n_layers
    else:
        assert model.recurrent_biases_ is None
    assert model.output_weights_.shape == (5, 2) and model.output_bias_.shape == (2,)
    np.testing.assert_allclose(model.predict(X), manual_forward(model, X), rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
def test_predict_follows_edits_of_public_weights(cell):
    X, y = delayed_copy(n_samples=40)
    model = RNNRegressor(cell=cell, max_iter=2, random_state=0, **QUIET)
    model.fit(X, y)
    before = model.predict(X)
    model.recurrent_weights_[0][...] *= 0.5
    model.output_bias_ += 3.0
    if cell == "gru":
        model.recurrent_biases_[0] += 0.2
    after = model.predict(X)
    assert not np.allclose(after, before + 3.0)  # the recurrent edit mattered
    np.testing.assert_allclose(after, manual_forward(model, X)[:, 0], atol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shuffle", [False, True])
def test_partial_fit_equals_fit(shuffle, cell):
    X, y = delayed_copy(n_samples=150)
    params = dict(cell=cell, random_state=3, shuffle=shuffle, batch_size=32, **QUIET)
    full = RNNRegressor(max_iter=7, **params)
    full.fit(X, y)
    inc = RNNRegressor(**params)
    for _ in range(7):
        inc.partial_fit(X, y)
    assert inc.n_iter_ == full.n_iter_ == 7
    assert inc.t_ == full.t_ == 7 * 150
    np.testing.assert_array_equal(inc._theta, full._theta)
    assert inc.loss_curve_ == full.loss_curve_
    np.testing.assert_array_equal(inc.predict(X), full.predict(X))


@pytest.mark.parametrize("cell", CELLS)
def test_warm_start_keeps_weights_and_optimizer_state(cell):
    X, y = delayed_copy(n_samples=150)
    params = dict(cell=cell, random_state=1, batch_size=32, **QUIET)
    once = RNNRegressor(max_iter=10, **params).fit(X, y)
    twice = RNNRegressor(max_iter=5, warm_start=True, **params).fit(X, y)
    twice.fit(X, y)
    cold = RNNRegressor(max_iter=5, **params).fit(X, y)
    cold.fit(X, y)
    # two warm halves are one fit of ten epochs, bit for bit
    np.testing.assert_array_equal(twice._theta, once._theta)
    assert twice.n_iter_ == 10 and twice.loss_curve_ == once.loss_curve_
    # without warm_start the second fit starts again from scratch
    assert cold.n_iter_ == 5
    np.testing.assert_array_equal(cold._theta, RNNRegressor(max_iter=5, **params).fit(X, y)._theta)


@pytest.mark.parametrize("cell", CELLS)
def test_early_stopping_holds_out_the_chronological_tail(cell):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5, 1))
    y = X[:, -1, 0].copy()
    y[-40:] = -y[-40:]  # the last 10 % follows another rule than the rest
    model = RNNRegressor(
        cell=cell, early_stopping=True, validation_fraction=0.1, random_state=0, max_iter=30,
        n_iter_no_change=5,
    ).fit(X, y)
    assert model.best_loss_ is None
    assert len(model.validation_scores_) == len(model.validation_loss_curve_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    # the validation tail was the last 40 rows, and the best weights were restored
    tail_score = r2_score(y[-40:], model.predict(X[-40:]))
    assert tail_score == pytest.approx(model.best_validation_score_, rel=1e-9, abs=1e-12)
    assert model.t_ == 360 * model.n_iter_  # trained on the first 360 rows only
    assert r2_score(y[:40], model.predict(X[:40])) != pytest.approx(tail_score)


def test_early_stopping_auto_and_off():
    X, y = delayed_copy(n_samples=50)  # "auto": on from 50 samples
    auto = RNNRegressor(max_iter=3, random_state=0).fit(X, y)
    assert len(auto.validation_scores_) == auto.n_iter_
    small = RNNRegressor(max_iter=3, random_state=0).fit(X[:49], y[:49])
    assert small.validation_scores_ is None and small.validation_loss_curve_ is None
    assert small.best_validation_score_ is None
    assert small.best_loss_ == min(small.loss_curve_)


def test_convergence_warning_when_max_iter_is_reached():
    X, y = delayed_copy(n_samples=50)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        RNNRegressor(max_iter=2, random_state=0).fit(X, y)


def test_tol_stops_training_early():
    X, y = delayed_copy(n_samples=50)
    # the rule on the training loss (early stopping, on from 50 samples, is off)
    model = RNNRegressor(max_iter=500, tol=1.0, n_iter_no_change=2, early_stopping=False,
                         random_state=0).fit(X, y)
    # the first epoch improves on +inf; the next three do not improve by 1.0, and
    # the third of them exceeds n_iter_no_change=2 (MLPRegressor's rule)
    assert model.n_iter_ == 4


def test_reproducible_with_integer_random_state():
    X, y = delayed_copy(n_samples=120)
    a = RNNRegressor(random_state=7, max_iter=20).fit(X, y)
    b = RNNRegressor(random_state=7, max_iter=20).fit(X, y)
    c = RNNRegressor(random_state=8, max_iter=20).fit(X, y)
    np.testing.assert_array_equal(a._theta, b._theta)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a._theta, c._theta)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype, cell):
    X, y = delayed_copy(n_samples=60)
    model = RNNRegressor(cell=cell, max_iter=3, random_state=0, **QUIET)
    model.fit(X.astype(dtype), y)
    assert model._theta.dtype == dtype
    for W in model.input_weights_ + model.recurrent_weights_ + [model.output_weights_]:
        assert W.dtype == dtype
    assert model.predict(X.astype(dtype)).dtype == dtype


def test_affine_target_equivariance():
    X, y = delayed_copy(n_samples=120)
    base = RNNRegressor(random_state=0, max_iter=10, **QUIET).fit(X, y)
    moved = RNNRegressor(random_state=0, max_iter=10, **QUIET).fit(X, 15.0 * y + 60.0)
    np.testing.assert_allclose(moved.predict(X), 15.0 * base.predict(X) + 60.0, rtol=1e-6)


def test_divergence_raises_with_advice():
    X, y = delayed_copy(n_samples=100, n_steps=20)
    model = RNNRegressor(
        solver="sgd", learning_rate_init=50.0, clip_grad_norm=None, random_state=0,
        max_iter=50, **QUIET,
    )
    with pytest.raises(ValueError, match="diverged.*learning_rate_init.*clip_grad_norm"):
        model.fit(X, y)


def test_finite_blow_up_is_detected(wrap_network):
    X, y = delayed_copy(n_samples=64)
    model = RNNRegressor(random_state=0, max_iter=10, batch_size=64, **QUIET)
    calls = []

    def growing_forward(real_forward, *args, **kwargs):
        y_hat, ws = real_forward(*args, **kwargs)
        calls.append(1)
        return y_hat + 1e3 * (len(calls) > 2), ws  # finite, but a loss of 5e5

    wrap_network(forward=growing_forward)
    with pytest.raises(ValueError, match=r"diverged: the training loss grew .* in epoch 3"):
        model.fit(X, y)


@pytest.mark.parametrize("cell", CELLS)
def test_keyboard_interrupt_keeps_the_best_weights(wrap_network, cell):
    X, y = delayed_copy(n_samples=64)
    model = RNNRegressor(cell=cell, random_state=0, max_iter=50, batch_size=16, **QUIET)
    calls = []

    def interrupted_backward(real_backward, *args, **kwargs):
        calls.append(1)
        if len(calls) == 4 * 6 + 2:  # in the middle of epoch 7
            raise KeyboardInterrupt
        return real_backward(*args, **kwargs)

    wrap_network(backward=interrupted_backward)
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert model.n_iter_ == 6
    best_epoch = int(np.argmin(model.loss_curve_))
    assert model.best_loss_ == model.loss_curve_[best_epoch]
    np.testing.assert_array_equal(model._theta, model._best_theta)
    assert np.all(np.isfinite(model.predict(X)))


def test_verbose_prints_one_line_per_epoch_and_why_it_stopped(capsys):
    X, y = delayed_copy(n_samples=40)
    RNNRegressor(verbose=True, max_iter=3, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    assert re.fullmatch(r"Epoch 3: loss = [0-9.]+, [0-9.]+ s", lines[2])
    assert lines[3] == "Stopped after epoch 3: max_iter=3 reached without converging."
    RNNRegressor(verbose=True, early_stopping=True, max_iter=2, n_iter_no_change=1,
                 tol=10.0, random_state=0).fit(X, y)
    assert "validation loss = " in capsys.readouterr().out


@pytest.mark.parametrize("cell", CELLS)
def test_sample_weight_zero_equals_removing_samples(cell):
    X, y = delayed_copy(n_samples=40)
    w = np.ones(40)
    w[::3] = 0.0
    params = dict(cell=cell, random_state=0, max_iter=20, batch_size=64, shuffle=False,
                  **QUIET)
    weighted = RNNRegressor(**params).fit(X, y, sample_weight=w)
    removed = RNNRegressor(**params).fit(X[w > 0], y[w > 0])
    unweighted = RNNRegressor(**params).fit(X, y)
    # to 1e-7: the weighted target mean over 40 rows and the plain one over 27 differ
    # in the last bit; at the ridge start the read-out bias's gradient is that rounding
    # (its optimum), which Adam's first steps turn into ~1e-11 and 20 epochs into ~1e-9
    np.testing.assert_allclose(weighted.predict(X), removed.predict(X), rtol=1e-7, atol=1e-8)
    assert not np.allclose(weighted.predict(X), unweighted.predict(X), rtol=1e-4)


@pytest.mark.parametrize("cell, activation, hidden_size",
                         [("elman", "tanh", 8), ("elman", "relu", 16), ("gru", "tanh", 8),
                          ("lstm", "tanh", 8)])
def test_integer_sample_weight_equals_repeating_samples(cell, activation, hidden_size):
    # scikit-learn's check data (15 samples of 30 steps, weights 0-4), default alpha,
    # one full batch per epoch, 20 epochs
    rng = np.random.RandomState(42)
    X, y = rng.rand(15, 30), rng.randint(0, 3, size=15).astype(float)
    w = rng.randint(0, 5, size=15)
    params = dict(cell=cell, activation=activation, hidden_size=hidden_size, random_state=0,
                  max_iter=20, shuffle=False, **QUIET)
    weighted = RNNRegressor(**params).fit(X, y, sample_weight=w.astype(float))
    repeated = RNNRegressor(**params).fit(X.repeat(w, axis=0), y.repeat(w))
    unweighted = RNNRegressor(**params).fit(X, y)
    assert weighted.alpha == 1e-2 and weighted.skip_connection  # the defaults
    # to 1e-6: rounding at the ridge start, grown by Adam. The ridge of 30 columns on
    # 12 distinct samples is ill-conditioned: the two starts already differ by 1.1e-7
    # in predict (1.7e-7 before the input standardisation), which the Elman and GRU
    # fits keep over 20 epochs and the LSTM grows to 4.5e-7 in its first two
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=0, atol=1e-6)
    assert np.abs(weighted.predict(X) - unweighted.predict(X)).max() > 1e-2


@pytest.mark.parametrize("cell", CELLS)
def test_truncated_bptt_trains_and_changes_the_gradient(cell):
    X, y = delayed_copy(n_samples=80, n_steps=8, delay=5)
    params = dict(cell=cell, random_state=0, max_iter=5, **QUIET)
    full = RNNRegressor(**params).fit(X, y)
    short = RNNRegressor(bptt_steps=2, **params).fit(X, y)
    long = RNNRegressor(bptt_steps=8, **params).fit(X, y)
    assert not np.array_equal(full._theta, short._theta)
    np.testing.assert_array_equal(full._theta, long._theta)
    assert len(short.grad_norm_curve_) == 5 and all(g > 0 for g in short.grad_norm_curve_)


# ------------------------------------------------------------------ input contract


def test_three_d_and_flat_inputs_are_the_same_model():
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(50, 4, 2))
    y = X3[:, -1, 0] - X3[:, -2, 1]
    X2 = X3.reshape(50, 8)  # time-major flattening
    m3 = RNNRegressor(max_iter=3, random_state=0).fit(X3, y)
    m2 = RNNRegressor(max_iter=3, random_state=0, n_features_per_step=2).fit(X2, y)
    for m in (m2, m3):
        assert (m.n_features_in_, m.n_steps_, m.n_features_per_step_) == (8, 4, 2)
        assert m.input_weights_[0].shape == (2, 4 * m.hidden_size)  # the LSTM's 4 gates
    np.testing.assert_array_equal(m2._theta, m3._theta)
    np.testing.assert_array_equal(m2.predict(X2), m3.predict(X3))
    np.testing.assert_array_equal(m2.predict(X3), m2.predict(X2))  # either layout predicts


def test_n_features_per_step_contract():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6))
    y = X[:, -2:].sum(axis=1)
    model = RNNRegressor(n_features_per_step=2, max_iter=3, random_state=0)
    model.fit(X, y)
    again = clone(model).fit(X, y)
    assert (model.n_features_in_, model.n_steps_, model.n_features_per_step_) == (6, 3, 2)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="not a multiple of n_features_per_step=4"):
        RNNRegressor(n_features_per_step=4).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but RNNRegressor is expecting 6"):
        model.predict(X[:, :5])
    with pytest.raises(ValueError, match="2 steps x 3 features, but RNNRegressor was "
                                         "fitted on 3 steps x 2 features"):
        model.predict(X.reshape(40, 2, 3))  # same column count, other shape
    model3 = RNNRegressor(max_iter=1, random_state=0).fit(X.reshape(40, 3, 2), y)
    with pytest.raises(ValueError, match="2 steps x 3 features.*fitted on 3 steps x 2"):
        model3.predict(X.reshape(40, 2, 3))
    with pytest.raises(ValueError, match="n_features_per_step=2"):
        RNNRegressor(n_features_per_step=2).fit(X.reshape(40, 2, 3), y)


@pytest.mark.parametrize("cell", CELLS)
def test_dataframe_feature_names_and_y_shapes(cell):
    rng = np.random.RandomState(0)
    df = pd.DataFrame(rng.normal(size=(30, 4)), columns=["a0", "a1", "a2", "a3"])
    y = df.sum(axis=1).to_numpy()
    model = RNNRegressor(cell=cell, max_iter=2, random_state=0).fit(df, y)
    column = RNNRegressor(cell=cell, max_iter=2, random_state=0).fit(df, y[:, None])
    multi = RNNRegressor(cell=cell, max_iter=2, random_state=0).fit(
        df, np.column_stack([y, -y, y]))
    assert list(model.feature_names_in_) == ["a0", "a1", "a2", "a3"]
    assert model.predict(df).shape == (30,)
    assert column.predict(df).shape == (30, 1)
    assert multi.predict(df).shape == (30, 3) and multi.n_outputs_ == 3
    with pytest.raises(ValueError, match="feature names"):
        model.predict(df.rename(columns={"a0": "b0"}))


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(hidden_size=0), "hidden_size"),
        (dict(n_layers=0), "n_layers"),
        (dict(activation="sigmoid"), "activation"),
        (dict(solver="lbfgs"), "solver"),
        (dict(learning_rate_init=0.0), "learning_rate_init"),
        (dict(learning_rate_init="fast"), "learning_rate_init"),
        (dict(batch_size=0), "batch_size"),
        (dict(early_stopping="yes"), "early_stopping"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(clip_grad_norm=0.0), "clip_grad_norm"),
        (dict(bptt_steps=0), "bptt_steps"),
        (dict(n_features_per_step=0), "n_features_per_step"),
        (dict(beta_2=1.0), "beta_2"),
        (dict(momentum=1.5), "momentum"),
        (dict(cell="rnn"), "cell"),
        (dict(cell="GRU"), "cell"),
        (dict(cell="gru", activation="relu"), "activation='relu' applies to cell='elman' only"),
        (dict(cell="lstm", activation="relu"), "cell='lstm'"),
    ],
)
def test_bad_hyper_parameters_are_named(params, match):
    X, y = delayed_copy(n_samples=20)
    with pytest.raises(ValueError, match=match):
        RNNRegressor(**params).fit(X, y)


def test_bad_sample_weights_and_inputs_are_named():
    X, y = delayed_copy(n_samples=20)
    with pytest.raises(ValueError, match="negative"):
        RNNRegressor().fit(X, y, sample_weight=-np.ones(20))
    with pytest.raises(ValueError, match="zero for every sample"):
        RNNRegressor().fit(X, y, sample_weight=np.zeros(20))
    with pytest.raises(ValueError, match=r"sample_weight has shape \(19,\)"):
        RNNRegressor().fit(X, y, sample_weight=np.ones(19))
    X_nan = X.copy()
    X_nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RNNRegressor().fit(X_nan, y)
    with pytest.raises(ValueError, match="leaves no training or no validation"):
        RNNRegressor(early_stopping=True).fit(X[:1], y[:1])


def test_inputs_are_not_modified():
    X, y = delayed_copy(n_samples=40)
    w = np.linspace(0.5, 2.0, 40)
    X0, y0, w0 = X.copy(), y.copy(), w.copy()
    model = RNNRegressor(max_iter=2, random_state=0).fit(X, y, sample_weight=w)
    model.partial_fit(X, y, sample_weight=w)
    model.predict(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("cell", CELLS)
def test_pickle_round_trip_then_warm_start_continues_identically(cell):
    X, y = delayed_copy(n_samples=60)
    params = dict(cell=cell, n_layers=2, random_state=0, max_iter=3, warm_start=True, **QUIET)
    model = RNNRegressor(**params).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    model.fit(X, y)
    restored.fit(X, y)
    np.testing.assert_array_equal(restored._theta, model._theta)
    # after unpickling the public weights are views of the trained parameters again
    assert np.shares_memory(restored.input_weights_[0], restored._theta)
    if cell == "gru":
        assert np.shares_memory(restored.recurrent_biases_[1], restored._theta)


@pytest.mark.parametrize(
    "params",
    [dict(), dict(cell="elman", n_layers=2, activation="relu", bptt_steps=3, shuffle=False),
     dict(alpha=1e-2, batch_size=7, solver="sgd", learning_rate_init=0.01),
     dict(cell="gru", n_layers=2, bptt_steps=3, shuffle=False),
     dict(cell="lstm", n_layers=2, alpha=1e-2, batch_size=7)],
    ids=["default", "2-layers-relu-bptt-noshuffle", "alpha-batch7-sgd", "gru-2-layers-bptt",
         "lstm-2-layers-batch7"],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_training_in_reused_buffers_equals_training_in_fresh_ones(wrap_network, params, weighted):
    """fit runs every batch in a reused Workspace (one per batch size: 300 samples
    in batches of 64 or 7 leave a smaller last batch). Training with forward and
    backward forced onto fresh buffers must give the same weights, bit for bit."""
    X, y = delayed_copy()
    w = None
    if weighted:  # the first 64 samples weigh 0: without shuffling, a batch is skipped
        w = np.random.RandomState(1).uniform(0.1, 2.0, size=len(y))
        w[:64] = 0.0
    reused = RNNRegressor(random_state=0, max_iter=3, **params, **QUIET).fit(X, y, w)

    calls = []

    def fresh_forward(real_forward, params, X=None, workspace=None, **kwargs):
        calls.append(workspace is not None and X is None)  # the loop fills the workspace
        order = workspace.layout.order  # that batch, as (steps, samples, features):
        X_b = order.to_batch_first(order.features(workspace.X, workspace.layout.n_inputs))
        X_b = X_b.transpose(1, 0, 2).copy()
        return real_forward(params, X_b, **kwargs)  # in a new workspace

    wrap_network(forward=fresh_forward)
    fresh = RNNRegressor(random_state=0, max_iter=3, **params, **QUIET).fit(X, y, w)
    assert calls and all(calls)  # the training loop does pass a workspace
    np.testing.assert_array_equal(reused._theta, fresh._theta)
    np.testing.assert_array_equal(reused.predict(X), fresh.predict(X))


# ------------------------------------------------------------------ the cells


def adding_problem(n_samples, n_steps, seed=0):
    """Hochreiter & Schmidhuber's adding problem: each step holds a value in [0, 1)
    and a marker; exactly two steps are marked (one in each half) and the target
    is the sum of their values."""
    rng = np.random.RandomState(seed)
    values = rng.uniform(0.0, 1.0, size=(n_samples, n_steps))
    rows = np.arange(n_samples)
    first = rng.randint(0, n_steps // 2, n_samples)
    second = rng.randint(n_steps // 2, n_steps, n_samples)
    markers = np.zeros((n_samples, n_steps))
    markers[rows, first] = markers[rows, second] = 1.0
    return np.stack([values, markers], axis=2), values[rows, first] + values[rows, second]


def test_gated_cells_learn_the_adding_problem_the_elman_cell_cannot():
    """Over 40 steps the first marked value may lie 39 steps before the end: the
    Elman cell's gradient from there vanishes and its loss stays near that of
    predicting the mean (0.5) far more than the gated cells', which with the same
    size, budget and seed reach a loss more than ten times lower. Measured (seed
    0): Elman 0.084, GRU 0.0033, LSTM 0.0027 (before the estimators standardised
    their inputs, seeds 0/1: Elman 0.379/0.427, GRU 0.006/0.009, LSTM 0.010/0.009)."""
    X, y = adding_problem(512, 40)
    losses = {}
    for cell in CELLS:
        model = RNNRegressor(cell=cell, hidden_size=16, max_iter=60, learning_rate_init=1e-2,
                             alpha=0.0, skip_connection=False, random_state=0, **QUIET)
        model.fit(X, y)
        assert model.n_iter_ == 60
        losses[cell] = model.loss_curve_[-1]
        if cell != "elman":  # and they learned the rule, not the rows
            X_new, y_new = adding_problem(256, 40, seed=1)
            assert model.score(X_new, y_new) > 0.9, cell
    print({cell: round(loss, 4) for cell, loss in losses.items()})
    assert losses["elman"] > 0.05
    for cell in ("gru", "lstm"):
        assert losses[cell] < 0.1 * losses["elman"]


def test_grid_search_over_cell():
    from sklearn.model_selection import GridSearchCV

    X, y = delayed_copy(n_samples=120)
    search = GridSearchCV(
        RNNRegressor(max_iter=5, random_state=0, **QUIET), {"cell": CELLS}, cv=2,
    )
    search.fit(X, y)
    assert [p["cell"] for p in search.cv_results_["params"]] == CELLS
    assert search.best_estimator_.cell == search.best_params_["cell"]
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


@pytest.mark.parametrize(
    "change", [dict(cell="gru"), dict(hidden_size=4), dict(n_layers=2), dict(activation="relu")]
)
def test_warm_start_and_partial_fit_refuse_another_network_shape(change):
    X, y = delayed_copy(n_samples=40)
    model = RNNRegressor(cell="elman", max_iter=2, warm_start=True,
                         random_state=0).fit(X, y)
    theta = model._theta.copy()
    model.set_params(**change)
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"{name}=.*fitted with.*cannot change its shape"):
        model.fit(X, y)
    with pytest.raises(ValueError, match=f"{name}="):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(model._theta, theta)  # nothing was touched
    model.set_params(warm_start=False)
    model.fit(X, y)  # a new network of the new shape
    assert model.get_params()[name] == change[name]


def test_lstm_starts_with_forget_gate_bias_one_and_gru_with_zero_biases():
    X, y = delayed_copy(n_samples=30)
    lstm = RNNRegressor(cell="lstm", hidden_size=3, n_layers=2, random_state=0)
    gru = RNNRegressor(cell="gru", hidden_size=3, random_state=0)
    for model in (lstm, gru):  # the initial state, before any step
        model.set_params(max_iter=1, learning_rate_init=1e-12)
        model.fit(X, y)
    for b in lstm.hidden_biases_:
        np.testing.assert_allclose(b, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(gru.hidden_biases_[0], 0, atol=1e-9)
    np.testing.assert_allclose(gru.recurrent_biases_[0], 0, atol=1e-9)


@pytest.mark.parametrize("cell, expected", [("elman", 3e-3), ("gru", 1e-2), ("lstm", 1e-2)])
def test_learning_rate_auto_depends_on_the_cell(cell, expected):
    X, y = delayed_copy(n_samples=40)
    auto = RNNRegressor(cell=cell, max_iter=3, random_state=0).fit(X, y)
    explicit = RNNRegressor(cell=cell, max_iter=3, random_state=0,
                            learning_rate_init=expected).fit(X, y)
    assert auto.learning_rate_init == "auto" and auto._optimizer.learning_rate == expected
    np.testing.assert_array_equal(auto._theta, explicit._theta)


@pytest.mark.parametrize("cell", CELLS)
def test_a_float32_model_takes_float64_input_and_stays_float32(cell):
    X, y = delayed_copy(n_samples=60)
    model = RNNRegressor(cell=cell, max_iter=2, random_state=0).fit(X.astype(np.float32), y)
    reference = model.predict(X.astype(np.float32))
    prediction = model.predict(X)  # float64 input
    assert prediction.dtype == np.float32
    np.testing.assert_allclose(prediction, reference, rtol=1e-5, atol=1e-6)
    model.partial_fit(X, y)
    assert model._theta.dtype == np.float32 and model.n_iter_ == 3


def test_a_fit_that_cannot_start_leaves_an_unfitted_estimator():
    from sklearn.exceptions import NotFittedError

    X, y = delayed_copy(n_samples=10)
    model = RNNRegressor(early_stopping=True, validation_fraction=0.95, warm_start=True)
    with pytest.raises(ValueError, match="leaves no training or no validation samples"):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        model.predict(X)
    model.set_params(early_stopping=False, max_iter=2)
    model.fit(X, y)  # a warm start with nothing to continue: a fresh fit
    assert model.n_iter_ == 2 and np.all(np.isfinite(model.predict(X)))


# ---------------------------------------------------------------- the linear path


def trend_windows(n_rows=400, n_steps=6, seed=0):
    """Windows of a noisy upward trend; y is the next value. The last quarter of the
    windows lies above every training target."""
    rng = np.random.RandomState(seed)
    series = 0.05 * np.arange(n_rows) + np.sin(np.arange(n_rows) / 3.0) + 0.1 * rng.normal(size=n_rows)
    X = np.stack([series[i : i + n_steps] for i in range(n_rows - n_steps)])[:, :, None]
    y = series[n_steps:]
    return X, y


@pytest.mark.parametrize("n_layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_linear_path_is_the_documented_forward_pass(cell, n_layers):
    X, y = delayed_copy(n_samples=60)
    X = np.concatenate([X, -X], axis=2)  # 2 features per step
    y2 = np.column_stack([10 * y + 50, -y])
    model = RNNRegressor(cell=cell, n_layers=n_layers, hidden_size=5, max_iter=5,
                         random_state=0, skip_connection=True, **QUIET)
    model.fit(X, y2)
    assert model.skip_weights_.shape == (6 * 2, 2)
    assert np.abs(model.skip_weights_).max() > 0  # the ridge fit of the window, not zero
    np.testing.assert_allclose(model.predict(X), manual_forward(model, X), rtol=1e-12, atol=1e-10)
    # the rows follow the time-major flattened 2-D input: the same model reads both
    flat = clone(model).set_params(n_features_per_step=2)
    flat.fit(X.reshape(60, -1), y2)
    np.testing.assert_array_equal(flat.skip_weights_, model.skip_weights_)
    np.testing.assert_array_equal(flat.predict(X.reshape(60, -1)), model.predict(X))
    # edits of the public attribute change predict, as for the other weights
    model.skip_weights_[0] += 1.0
    np.testing.assert_allclose(model.predict(X), manual_forward(model, X), rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
def test_linear_path_extrapolates_a_trend_the_network_alone_cannot(cell):
    """A tanh network's output is bounded by the states it saw; with the linear path
    the forecast follows a trend above the training range."""
    X, y = trend_windows()
    n_train = 3 * len(X) // 4
    mean, std = X[:n_train].mean(), X[:n_train].std()
    Xs = (X - mean) / std
    errors = {}
    for skip in (False, True):
        model = RNNRegressor(cell=cell, random_state=0, max_iter=150, skip_connection=skip,
                             **QUIET)
        model.fit(Xs[:n_train], y[:n_train])
        errors[skip] = np.mean((model.predict(Xs[n_train:]) - y[n_train:]) ** 2)
    assert y[n_train:].mean() > y[:n_train].max() - 1.5  # the test part is above training
    assert errors[True] < 0.1 * errors[False], errors


def test_linear_path_stays_at_its_ridge_start_and_cannot_change_on_a_warm_start():
    X, y = trend_windows(n_rows=200)
    weak = RNNRegressor(random_state=0, max_iter=30, skip_connection=True, alpha=0.0, **QUIET)
    strong = clone(weak).set_params(alpha=1e3)
    start = clone(weak).set_params(max_iter=1, learning_rate_init=1e-300)
    weak.fit(X, y)
    strong.fit(X, y)
    start.fit(X, y)
    # alpha penalises the network only: the path is the same ridge fit in all three
    np.testing.assert_array_equal(weak.skip_weights_, start.skip_weights_)
    np.testing.assert_array_equal(strong.skip_weights_, start.skip_weights_)
    np.testing.assert_array_equal(weak.skip_alpha_, strong.skip_alpha_)
    assert not np.allclose(weak.output_weights_, strong.output_weights_)
    weak.set_params(warm_start=True, skip_connection=False)
    with pytest.raises(ValueError, match=r"skip_connection=False \(fitted with True\)"):
        weak.fit(X, y)
    with pytest.raises(ValueError, match="skip_connection"):
        weak.partial_fit(X, y)
    # a new fit without the path sets its attributes to None
    weak.set_params(warm_start=False, max_iter=2)
    weak.fit(X, y)
    assert weak.skip_weights_ is None and weak.skip_alpha_ is None
    np.testing.assert_allclose(weak.predict(X), manual_forward(weak, X)[:, 0], atol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_linear_path_is_the_ridge_fit_of_the_training_part(weighted):
    """scikit-learn's Ridge on the flattened window at the chosen penalty, with the
    sample weights, fitted on the training part only (the first 10 % held out by
    early stopping), the intercept in the read-out bias."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 4, 2))
    y = np.column_stack([X[:, -1, 0] * 3 + X[:, 0, 1] + 5, X[:, :, 1].sum(axis=1)])
    w = rng.uniform(0.5, 2.0, size=500) if weighted else None
    model = RNNRegressor(skip_connection=True, max_iter=5, early_stopping=True,
                         random_state=0)
    model.fit(X, y, sample_weight=w)
    train = slice(0, 450)  # the chronological tail (50) is the validation part
    for k in range(2):
        Z = (X[train] - model.x_mean_) / model.x_scale_  # the standardised inputs
        ridge = Ridge(alpha=model.skip_alpha_[k]).fit(
            Z.reshape(450, -1), y[train, k],
            sample_weight=None if w is None else w[train],
        )
        np.testing.assert_allclose(model.skip_weights_[:, k], ridge.coef_, rtol=1e-9,
                                   atol=1e-12)


@pytest.mark.parametrize("value", ["yes", 1.5, None])
def test_skip_connection_must_be_a_boolean(value):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = delayed_copy(n_samples=20)
    with pytest.raises(InvalidParameterError, match="skip_connection"):
        RNNRegressor(skip_connection=value).fit(X, y)

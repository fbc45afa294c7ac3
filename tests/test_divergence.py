"""Training that goes wrong: divergence, exploding and vanishing gradients, interruption.

The gradient norms these tests measure are recorded with ``record_property``
(visible in ``--junitxml`` reports) and summarised in the docstrings.
"""

import re

import numpy as np
import pytest
from sklearn.metrics import r2_score

from skrnn import RNNRegressor, _network
from skrnn._optimizers import SGDOptimizer, clip_grad_norm
from ._helpers import QUIET

RATIO = 1e3  # skrnn._regressor._DIVERGENCE_RATIO, the documented rule


def delayed_copy(n_samples=100, n_steps=20, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_steps, 1))
    return X, X[:, -3, 0]


def absurd(solver, activation, clip):
    return RNNRegressor(
        cell="elman", solver=solver, activation=activation, learning_rate_init=50.0,
        clip_grad_norm=clip, skip_connection=False,  # the network's own blow-up
        random_state=0, max_iter=50, **QUIET,
    )


# ------------------------------------------------------------------ divergence


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # the divergence itself
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize(
    "solver, activation",
    [
        ("sgd", "tanh"),
        ("sgd", "relu"),
        ("adam", "relu"),
        # Adam's step is at most ~learning_rate per weight and tanh bounds the
        # states: the loss explodes inside epoch 1 (0.5 -> ~1.8e3) and is caught
        # by the absolute limit, not by growth between epochs
        ("adam", "tanh"),
    ],
)
def test_absurd_learning_rate_without_clipping_raises_in_the_epoch_it_diverges(
    solver, activation
):
    X, y = delayed_copy()
    model = absurd(solver, activation, clip=None)
    try:
        model.fit(X, y)
    except ValueError as exc:
        message = str(exc)
    else:
        raise AssertionError(
            f"no divergence error; loss went {model.loss_curve_[0]:.3g} -> "
            f"{model.loss_curve_[-1]:.3g}"
        )
    assert re.search("diverged.*learning_rate_init.*clip_grad_norm", message)
    curve = model.loss_curve_
    if "non-finite" in message:
        epoch = int(re.search(r"non-finite in epoch (\d+)", message).group(1))
        assert model.n_iter_ == len(curve) == epoch - 1  # raised during that epoch
        finished = curve
    elif "in epoch 1 (first batch to now)" in message:
        assert model.n_iter_ == len(curve) == 0  # raised inside epoch 1
        finished = []
    else:
        epoch = int(re.search(r"in epoch (\d+) \(epoch 1 to now\)", message).group(1))
        assert model.n_iter_ == len(curve) == epoch
        assert curve[-1] > RATIO * max(curve[0], 0.5)
        finished = curve[:-1]
    # no earlier epoch met either condition: it raised as soon as it could
    assert all(np.isfinite(loss) and loss <= RATIO * max(curve[0], 0.5) for loss in finished)
    # the model is left usable, with the best weights of the epochs it finished
    assert np.all(np.isfinite(model._theta))
    assert np.all(np.isfinite(model.predict(X)))


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gated_cells_diverging_raise_and_keep_a_usable_model(cell, solver):
    """Gated states are bounded (|h| < 1), so a blow-up shows in the read-out's loss."""
    X, y = delayed_copy()
    model = RNNRegressor(cell=cell, solver=solver, learning_rate_init=50.0,
                         clip_grad_norm=None, random_state=0, max_iter=50,
                         skip_connection=False, **QUIET)
    with pytest.raises(ValueError, match=r"RNNRegressor diverged: the training loss grew"):
        model.fit(X, y)
    assert model.n_iter_ < 5
    assert np.all(np.isfinite(model._theta)) and np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_absurd_learning_rate_with_clipping_stays_finite(solver, activation, record_property):
    """Clipping bounds every step, so no loss or gradient becomes non-finite.

    At lr=50 with clip=5 (100 sequences x 20 steps) every fit still blows up,
    to finite losses only (thousands to 1e54 against 0.5 for predicting the
    mean), which the 1e3x growth rule reports -- never a non-finite one.
    """
    X, y = delayed_copy()
    model = absurd(solver, activation, clip=5.0)
    try:
        model.fit(X, y)
        message = None
    except ValueError as exc:
        message = str(exc)
    record_property("loss_curve", model.loss_curve_)
    record_property("grad_norm_curve", model.grad_norm_curve_)
    # at lr=50 every fit still blows up, but only ever to finite values, which
    # the absolute loss limit reports
    assert message is not None and "grew from" in message and "non-finite" not in message
    assert np.all(np.isfinite(model.loss_curve_))
    assert np.all(np.isfinite(model.grad_norm_curve_))
    assert np.all(np.isfinite(model._theta))
    assert np.all(np.isfinite(model.predict(X)))


def test_clipping_turns_a_diverging_fit_into_a_working_one():
    """SGD, tanh, lr=0.6: without clipping the loss grows from 0.82 to 5.7e3 by
    epoch 10; with clip_grad_norm=1 the same fit learns the task (loss 0.02, R^2
    0.96). (lr=0.5 was used before the input standardisation moved these inputs,
    already about N(0, 1), by their rounded mean: that fit now converges unclipped,
    and from 0.7 on the clipped one does not learn within 50 epochs.)"""
    X, y = delayed_copy()
    # alpha=1e-4: a weak L2 penalty; the default (3e-2) damps this run enough
    # that it does not run away within 50 epochs
    params = dict(cell="elman", skip_connection=False, solver="sgd", activation="tanh",
                  learning_rate_init=0.6, alpha=1e-4, random_state=0, max_iter=50, **QUIET)
    with pytest.raises(ValueError, match="diverged: the training loss grew"):
        RNNRegressor(clip_grad_norm=None, **params).fit(X, y)
    clipped = RNNRegressor(clip_grad_norm=1.0, **params).fit(X, y)
    assert clipped.n_iter_ == 50
    assert max(clipped.loss_curve_) < 1.0 and clipped.loss_ < 0.1
    assert clipped.score(X, y) > 0.8


# ------------------------------------------- exploding and vanishing gradients


def positive_network(rho, n_steps_unused=None, hidden_size=8, seed=0):
    """A relu network whose W_hh has spectral radius ``rho`` and whose units stay on.

    All weights are positive and so are the inputs, so every unit is active and
    the recurrence is linear: the states grow like ``rho ** t`` (Perron-Frobenius).
    """
    rng = np.random.RandomState(seed)
    layout = _network.Layout("elman", 1, hidden_size, 1, 1, "relu")
    p = layout.params(np.zeros(layout.size))
    Q = rng.uniform(0.0, 1.0, size=(hidden_size, hidden_size))
    p.W_hh[0][...] = rho * Q / np.max(np.abs(np.linalg.eigvals(Q)))
    p.W_xh[0][...] = rng.uniform(0.0, 0.5, size=(1, hidden_size))
    p.W_hy[...] = rng.uniform(0.0, 1.0, size=(hidden_size, 1))
    return p


def gradient_norm(p, n_steps, activation="relu", seed=1, n_samples=16):
    X = np.abs(np.random.RandomState(seed).normal(size=(n_steps, n_samples, 1)))
    _, ws = _network.forward(p, X)
    d_y_hat = np.full((n_samples, 1), 1.0 / n_samples)
    return _network.backward(p, ws, d_y_hat)


def test_exploding_gradients_grow_with_sequence_length_and_clipping_bounds_the_step(
    record_property,
):
    """Measured norms (relu, rho = spectral radius of W_hh, 8 units, batch 16):

    rho=0.5: 4.0 to 4.6 at every length; rho=1.5: 27 (T=5), 3.9e2 (10),
    4.8e4 (20), 3.4e8 (40), 7.8e15 (80); rho=3: 2.2e2, 7.7e4, 8.2e9, 5.6e19,
    1.4e39.
    """
    lengths = [5, 10, 20, 40, 80]
    norms = {}
    for rho in (0.5, 1.5, 3.0):
        p = positive_network(rho)
        norms[rho] = [float(np.linalg.norm(gradient_norm(p, T))) for T in lengths]
    record_property("grad_norms_by_rho_and_length", norms)
    stable = norms[0.5]
    assert max(stable) / min(stable) < 2  # contracting: no growth with length
    for rho in (1.5, 3.0):
        assert all(b > 10 * a for a, b in zip(norms[rho], norms[rho][1:]))  # monotone, fast
        # between T=40 and T=80 the norm grows at least like rho ** 40, give or take
        assert norms[rho][4] / norms[rho][3] > 0.1 * rho**40
    assert norms[3.0][-1] > 1e35

    # clipping rescales the exploding gradient to the threshold; an SGD step
    # (no momentum) then moves the weights by exactly lr * clip, not lr * 1e39
    grads = gradient_norm(positive_network(3.0), 80)
    raw = float(np.linalg.norm(grads))
    assert clip_grad_norm(grads, 5.0) == pytest.approx(raw)  # returns the norm before
    assert np.linalg.norm(grads) == pytest.approx(5.0, rel=1e-9)
    theta = positive_network(3.0).flat.copy()
    before = theta.copy()
    SGDOptimizer(theta, learning_rate_init=0.1, momentum=0.0).update_params(theta, grads)
    assert np.linalg.norm(theta - before) == pytest.approx(0.5, rel=1e-9)


def test_exploding_recurrent_weights_in_the_estimator_are_recorded_and_caught(
    record_property,
):
    """The warm-start trick: fit, set W_hh to spectral radius 3, train on.

    grad_norm_curve_ records the norm before clipping: ~1 for the trained
    model, then orders of magnitude more; the loss grows more than 1e4x and
    the fit raises, keeping the weights it started from (its best so far).
    """
    rng = np.random.RandomState(0)
    X = np.abs(rng.normal(size=(64, 30, 1)))
    y = X[:, -1, 0]
    model = RNNRegressor(cell="elman", activation="relu", max_iter=1, warm_start=True,
                         random_state=0, **QUIET)
    model.fit(X, y)
    W = np.abs(model.recurrent_weights_[0])
    model.recurrent_weights_[0][...] = 3.0 * W / np.max(np.abs(np.linalg.eigvals(W)))
    model.input_weights_[0][...] = np.abs(model.input_weights_[0])
    exploding = model._theta.copy()  # the public weights are views of _theta
    with pytest.raises(ValueError, match="diverged: the training loss grew .* in epoch 2"):
        model.fit(X, y)
    record_property("grad_norm_curve", model.grad_norm_curve_)
    first, exploded = model.grad_norm_curve_
    assert np.isfinite(exploded) and exploded > 1e6 * first
    # no epoch of this fit improved on its start: those weights are kept
    np.testing.assert_array_equal(model._theta, exploding)


def test_vanishing_gradients_from_early_steps(record_property):
    """Tiny weights (|w| <= 0.01), tanh, 200 steps.

    The W_xh gradient that an input at step t contributes (the input is zero
    at every other step, so nothing else reaches W_xh), by how many steps
    before the end the input is: 1: 1.9e-2, 2: 4.5e-4, 5: 8.4e-10,
    10: 7.6e-19, 20: 7.4e-37, 50: 1.2e-90, and exactly 0.0 (underflow) from
    100 steps back: the first half of the sequence cannot be learned.
    """
    hidden, n_steps, n_samples = 8, 200, 4
    rng = np.random.RandomState(0)
    layout = _network.Layout("elman", 1, hidden, 1, 1, "tanh")
    p = layout.params(rng.uniform(-0.01, 0.01, layout.size))
    d_y_hat = np.full((n_samples, 1), 1.0 / n_samples)
    back = [1, 2, 5, 10, 20, 50, 100, 150, 200]
    contribution = []
    for k in back:
        X = np.zeros((n_steps, n_samples, 1))
        X[n_steps - k] = 1.0  # one input, k steps before the end
        _, ws = _network.forward(p, X)
        grads = p.like(_network.backward(p, ws, d_y_hat))
        contribution.append(float(np.linalg.norm(grads.W_xh[0])))
    record_property("W_xh_grad_by_steps_back", dict(zip(back, contribution)))
    assert contribution[0] > 1e-3
    nonzero = [(k, c) for k, c in zip(back, contribution) if c > 0]
    assert len(nonzero) >= 5
    for k, c in nonzero[1:]:  # geometric decay, by at least 20x per step back
        assert c < contribution[0] * 0.05 ** (k - 1)
    assert contribution[3] < 1e-12 * contribution[0]  # 10 steps back
    assert contribution[-1] == 0.0  # the first step: underflowed to nothing
    # truncated BPTT to 10 steps changes the W_xh gradient of a full sequence
    # by less than the rounding of the sum: the far past carried nothing
    X = rng.normal(size=(n_steps, n_samples, 1))
    _, ws = _network.forward(p, X)
    full = p.like(_network.backward(p, ws, d_y_hat).copy())
    short = p.like(_network.backward(p, ws, d_y_hat, bptt_steps=10))
    np.testing.assert_allclose(short.W_xh[0], full.W_xh[0], rtol=1e-12, atol=0)


# ----------------------------------------------------------------- interruption


def test_keyboard_interrupt_with_early_stopping_keeps_the_best_validation_weights(
    monkeypatch, wrap_network,
):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 6, 1))
    y = X[:, -2, 0]
    model = RNNRegressor(early_stopping=True, validation_fraction=0.2, batch_size=40,
                         max_iter=50, n_iter_no_change=50, random_state=0)
    calls = []

    def interrupted_backward(real_backward, *args, **kwargs):
        calls.append(1)
        if len(calls) == 4 * 8 + 3:  # 160 training rows = 4 batches; in epoch 9
            raise KeyboardInterrupt
        return real_backward(*args, **kwargs)

    wrap_network(backward=interrupted_backward)
    with pytest.warns(UserWarning, match="interrupted.*best weights"):
        model.fit(X, y)
    assert model.n_iter_ == 8 and len(model.validation_scores_) == 8
    # the best of the state it started from (epoch 0: the ridge fit) and epochs 1-8
    assert model.best_validation_score_ >= max(model.validation_scores_)
    if model.best_epoch_:
        assert model.best_validation_score_ == model.validation_scores_[model.best_epoch_ - 1]
    # the weights are those of the best validation epoch, not of the interrupted one
    tail = r2_score(y[160:], model.predict(X[160:]))
    assert tail == pytest.approx(model.best_validation_score_, rel=1e-9, abs=1e-12)
    np.testing.assert_array_equal(model._theta, model._best_theta)
    # and the model goes on training from there
    monkeypatch.undo()
    model.set_params(warm_start=True, max_iter=2)
    model.fit(X, y)
    assert model.n_iter_ == 10 and np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
def test_keyboard_interrupt_in_the_first_epoch_leaves_the_initial_model(wrap_network, cell):
    X, y = delayed_copy(n_samples=1000, n_steps=5)  # early_stopping="auto" is on

    def interrupted_backward(real_backward, *args, **kwargs):
        raise KeyboardInterrupt

    wrap_network(backward=interrupted_backward)
    with pytest.warns(UserWarning, match="interrupted"):
        model = RNNRegressor(cell=cell, random_state=0).fit(X, y)
    assert model.n_iter_ == 0 and model.validation_scores_ == []
    # the state before the first epoch, scored on the validation tail, is kept
    assert model.best_epoch_ == 0
    assert model.best_validation_score_ == pytest.approx(
        r2_score(y[900:], model.predict(X[900:])), rel=1e-12)
    assert np.all(np.isfinite(model.predict(X)))

"""The regressor's losses beyond squared error: absolute error and quantile (pinball)."""

import io

import numpy as np
import pytest

from skrnn import RNNRegressor, _network
from skrnn._losses import absolute_error, pinball
from skrnn.persistence import load_model, save_model

from ._helpers import RTOL, numerical_gradient, relative_error


def away_from_kinks(seed, shape, margin=1e-3):
    """Predictions and targets whose errors are all farther than ``margin`` from 0."""
    rng = np.random.RandomState(seed)
    y_hat, y = rng.normal(size=shape), rng.normal(size=shape)
    close = np.abs(y_hat - y) < margin
    y_hat[close] += 10 * margin
    return y_hat, y, rng.uniform(0.5, 2.0, size=shape[0])


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_pinball_is_its_definition_and_its_gradient(q):
    y_hat, y, w = away_from_kinks(0, (7, 3))
    loss, grad = pinball(y_hat, y, w, float(w.sum()), q)
    e = y - y_hat
    expected = np.sum(w[:, None] * np.maximum(q * e, (q - 1) * e)) / (w.sum() * 3)
    assert loss == pytest.approx(expected, rel=1e-14)

    def f(flat):
        return pinball(flat.reshape(y.shape), y, w, float(w.sum()), q)[0]

    assert relative_error(numerical_gradient(f, y_hat.ravel().copy()), grad.ravel()) < RTOL
    # its minimiser over a constant is the q-quantile
    values = np.random.RandomState(1).normal(size=(2001, 1))
    grid = np.linspace(-3, 3, 6001)
    losses = [pinball(np.full_like(values, c), values, None, 2001.0, q)[0] for c in grid]
    assert grid[int(np.argmin(losses))] == pytest.approx(np.quantile(values, q), abs=2e-3)


def test_absolute_error_is_the_mean_absolute_error():
    y_hat, y, w = away_from_kinks(2, (6, 2))
    loss, grad = absolute_error(y_hat, y, w, float(w.sum()))
    assert loss == pytest.approx(np.sum(w[:, None] * np.abs(y_hat - y)) / (w.sum() * 2), rel=1e-14)
    np.testing.assert_allclose(grad, np.sign(y_hat - y) * w[:, None] / (w.sum() * 2))


@pytest.mark.parametrize("loss", ["absolute_error", "quantile"])
def test_loss_and_gradient_match_torch(loss):
    """torch.nn.L1Loss and the pinball loss by autograd (weighted means), value and
    gradient with respect to the output."""
    torch = pytest.importorskip("torch")
    y_hat, y, w = away_from_kinks(3, (9, 2))
    q = 0.8
    t_hat = torch.tensor(y_hat, requires_grad=True)
    t_y, t_w = torch.tensor(y), torch.tensor(w)[:, None]
    if loss == "absolute_error":
        per = torch.nn.L1Loss(reduction="none")(t_hat, t_y)
        ours = absolute_error(y_hat, y, w, float(w.sum()))
    else:
        e = t_y - t_hat
        per = torch.maximum(q * e, (q - 1) * e)
        ours = pinball(y_hat, y, w, float(w.sum()), q)
    t_loss = (t_w * per).sum() / (t_w.sum() * 2)
    t_loss.backward()
    assert ours[0] == pytest.approx(t_loss.item(), rel=1e-13)
    np.testing.assert_allclose(ours[1], t_hat.grad.numpy(), rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
def test_the_network_trains_on_the_gradient_of_the_loss(cell):
    """Central differences of the pinball loss through the whole network (with the
    linear path), against backward fed the loss's gradient."""
    rng = np.random.RandomState(4)
    layout = _network.Layout(cell, 2, 3, 1, 1, "tanh", skip_steps=4)
    theta = rng.normal(scale=0.6, size=layout.size)
    X = rng.normal(size=(4, 5, 2))
    y = rng.normal(size=(5, 1)) + 3.0  # far from every prediction: no kink nearby
    w = np.ones(5)

    def f(flat):
        y_hat, _ = _network.forward(layout.params(flat), X)
        return pinball(y_hat, y, w, 5.0, 0.7)[0]

    params = layout.params(theta.copy())
    y_hat, ws = _network.forward(params, X)
    _, d_y_hat = pinball(y_hat, y, w, 5.0, 0.7)
    analytical = _network.backward(params, ws, d_y_hat).copy()
    assert relative_error(numerical_gradient(f, theta.copy()), analytical) < RTOL


def heteroscedastic(n=1500, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, 2))
    scale = 0.5 + np.abs(X[:, -1, 1])
    return X, X[:, -1, 0] + scale * rng.normal(size=n)


def test_a_quantile_model_covers_its_level_on_a_held_out_tail():
    """The issue's target: loss="quantile", quantile=0.9, coverage of a held-out tail
    within 0.85-0.95 (seeds 0-2); the 0.1 model lies below it."""
    X, y = heteroscedastic()
    for seed in range(3):
        high = RNNRegressor(loss="quantile", quantile=0.9, random_state=seed).fit(X[:1000], y[:1000])
        low = RNNRegressor(loss="quantile", quantile=0.1, random_state=seed).fit(X[:1000], y[:1000])
        coverage = np.mean(y[1000:] <= high.predict(X[1000:]))
        assert 0.85 <= coverage <= 0.95, (seed, coverage)
        assert np.mean(low.predict(X[1000:]) < high.predict(X[1000:])) > 0.95


def test_early_stopping_keeps_the_lowest_validation_loss():
    X, y = heteroscedastic(n=600)
    model = RNNRegressor(loss="absolute_error", early_stopping=True, random_state=0,
                         max_iter=30).fit(X, y)
    curve = model.validation_loss_curve_
    if model.best_epoch_:
        assert curve[model.best_epoch_ - 1] == min(curve)
    assert model.best_validation_score_ is not None


def test_quantile_needs_its_level_and_bad_values_are_named():
    X, y = heteroscedastic(n=60)
    with pytest.raises(ValueError, match="needs the level: set quantile"):
        RNNRegressor(loss="quantile").fit(X, y)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="quantile"):
            RNNRegressor(loss="quantile", quantile=bad).fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        RNNRegressor(loss="huber").fit(X, y)


def test_save_model_and_export_keep_a_quantile_model():
    X, y = heteroscedastic(n=200)
    model = RNNRegressor(loss="quantile", quantile=0.8, max_iter=5, random_state=0).fit(X, y)
    buffer = io.BytesIO()
    save_model(model, buffer)
    buffer.seek(0)
    loaded = load_model(buffer)
    assert loaded.loss == "quantile" and loaded.quantile == 0.8
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    loaded.partial_fit(X, y)
    model.partial_fit(X, y)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))

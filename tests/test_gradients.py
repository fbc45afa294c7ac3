"""Central-difference checks of ``_recurrence.backward`` against ``forward``.

Every entry of the flat parameter vector is checked, for one and two layers,
both activations, with and without sample weights, and with full and
truncated backpropagation through time. For truncated BPTT over the last
``k`` steps the reference is the gradient of the loss in which the state of
every layer before the truncation window is a constant: the forward pass is
restarted at step ``T - k`` from the states the full forward pass reached
there.
"""

import numpy as np
import pytest

from skrnn import _recurrence
from skrnn._recurrence import Params

N_SAMPLES, N_STEPS, N_INPUTS, HIDDEN, N_OUTPUTS = 4, 5, 3, 4, 2
EPS = 1e-6
RTOL = 1e-6
# relu: no pre-activation may lie this close to the kink at 0, so that a
# perturbation of EPS in any parameter cannot move a unit across it
KINK_MARGIN = 1e-3


def relative_error(numerical, analytical):
    scale = max(np.max(np.abs(numerical)), np.max(np.abs(analytical)), 1e-300)
    return np.max(np.abs(numerical - analytical)) / scale


def pre_activations(params, X, states):
    """Recompute Z[t] of every layer from the stored states."""
    out = []
    layer_input = X
    for layer, H in enumerate(states):
        Z = (
            layer_input @ params.W_xh[layer]
            + params.b_h[layer]
            + H[:-1] @ params.W_hh[layer]
        )
        out.append(Z)
        layer_input = H[1:]
    return out


def weighted_loss(y_hat, y, w):
    """0.5 * sum_i w_i sum_k err_ik^2 / (sum_i w_i * n_outputs) and its gradient."""
    err = y_hat - y
    n_outputs = y.shape[1]
    loss = 0.5 * float(w @ np.sum(err * err, axis=1)) / (w.sum() * n_outputs)
    d_y_hat = err * (w / (w.sum() * n_outputs))[:, None]
    return loss, d_y_hat


def make_problem(seed, n_layers, activation, weighted, h0_random=False):
    """Random parameters, data and weights; for relu, resample until no kink is near."""
    rng = np.random.RandomState(seed)
    size = Params.size(N_INPUTS, HIDDEN, n_layers, N_OUTPUTS)
    for _ in range(100):
        theta = rng.normal(scale=0.6, size=size)
        params = Params(theta, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS)
        if activation == "relu":
            for b in params.b_h:  # keep most units on, so most entries are tested
                b += 0.3
        X = rng.normal(size=(N_STEPS, N_SAMPLES, N_INPUTS))
        y = rng.normal(size=(N_SAMPLES, N_OUTPUTS))
        w = rng.uniform(0.2, 3.0, size=N_SAMPLES) if weighted else np.ones(N_SAMPLES)
        h0 = (
            [rng.normal(scale=0.5, size=(N_SAMPLES, HIDDEN)) for _ in range(n_layers)]
            if h0_random else None
        )
        if activation == "relu" and h0 is not None:
            h0 = [np.abs(h) for h in h0]  # a relu state is non-negative
        _, states = _recurrence.forward(params, X, activation, h0=h0)
        Zs = pre_activations(params, X, states)
        if activation == "tanh" or min(np.min(np.abs(Z)) for Z in Zs) > KINK_MARGIN:
            return theta, X, y, w, h0
    raise RuntimeError("could not draw a relu problem away from the kinks")


def numerical_gradient(f, theta):
    grad = np.empty_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += EPS
        minus[i] -= EPS
        grad[i] = (f(plus) - f(minus)) / (2 * EPS)
    return grad


@pytest.mark.parametrize("bptt_steps", [None, 1, 2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_backward_matches_central_differences(n_layers, activation, weighted, bptt_steps):
    seed = 100 * n_layers + 10 * (activation == "relu") + weighted
    theta, X, y, w, _ = make_problem(seed, n_layers, activation, weighted)
    sizes = (N_INPUTS, HIDDEN, n_layers, N_OUTPUTS)
    params = Params(theta, *sizes)

    y_hat, states = _recurrence.forward(params, X, activation)
    _, d_y_hat = weighted_loss(y_hat, y, w)
    analytical = _recurrence.backward(params, X, states, d_y_hat, activation, bptt_steps)
    assert analytical.shape == theta.shape

    if bptt_steps is None:
        X_window, h0 = X, None
    else:
        start = N_STEPS - bptt_steps  # states before the window are constants
        X_window = X[start:]
        h0 = [H[start].copy() for H in states]

    def f(flat):
        out, _ = _recurrence.forward(Params(flat, *sizes), X_window, activation, h0=h0)
        return weighted_loss(out, y, w)[0]

    numerical = numerical_gradient(f, theta.copy())
    err = relative_error(numerical, analytical)
    print(f"layers={n_layers} {activation} weighted={weighted} bptt={bptt_steps}: "
          f"rel err {err:.2e}")
    assert err < RTOL
    # the check is not vacuous: every layer receives gradient
    grads = params.like(analytical)
    for layer in range(n_layers):
        assert np.any(grads.W_xh[layer] != 0)
        assert np.any(grads.W_hh[layer] != 0)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2])
def test_backward_with_initial_state(n_layers, activation):
    """A non-zero h0 is a constant: backward is the gradient of the loss given h0."""
    theta, X, y, w, h0 = make_problem(7 + n_layers, n_layers, activation, True, h0_random=True)
    sizes = (N_INPUTS, HIDDEN, n_layers, N_OUTPUTS)
    params = Params(theta, *sizes)
    y_hat, states = _recurrence.forward(params, X, activation, h0=h0)
    for layer in range(n_layers):
        np.testing.assert_array_equal(states[layer][0], h0[layer])
    _, d_y_hat = weighted_loss(y_hat, y, w)
    analytical = _recurrence.backward(params, X, states, d_y_hat, activation)

    def f(flat):
        out, _ = _recurrence.forward(Params(flat, *sizes), X, activation, h0=h0)
        return weighted_loss(out, y, w)[0]

    err = relative_error(numerical_gradient(f, theta.copy()), analytical)
    assert err < RTOL


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2])
def test_truncation_at_or_beyond_sequence_length_is_full_bptt(n_layers, activation):
    theta, X, y, w, _ = make_problem(3, n_layers, activation, True)
    params = Params(theta, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS)
    y_hat, states = _recurrence.forward(params, X, activation)
    _, d_y_hat = weighted_loss(y_hat, y, w)
    full = _recurrence.backward(params, X, states, d_y_hat, activation, None)
    for k in (N_STEPS, N_STEPS + 1, 10 * N_STEPS):
        np.testing.assert_array_equal(
            _recurrence.backward(params, X, states, d_y_hat, activation, k), full
        )
    # and a real truncation changes the recurrent gradients but not the read-out
    truncated = params.like(_recurrence.backward(params, X, states, d_y_hat, activation, 2))
    full_p = params.like(full)
    assert not np.allclose(truncated.W_hh[0], full_p.W_hh[0])
    np.testing.assert_array_equal(truncated.W_hy, full_p.W_hy)
    np.testing.assert_array_equal(truncated.b_y, full_p.b_y)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2])
def test_forward_and_predict_agree_and_inputs_untouched(n_layers, activation):
    theta, X, y, w, _ = make_problem(11, n_layers, activation, False)
    params = Params(theta, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS)
    theta_before, X_before = theta.copy(), X.copy()
    y_hat, states = _recurrence.forward(params, X, activation)
    states_before = [H.copy() for H in states]
    np.testing.assert_allclose(_recurrence.predict(params, X, activation), y_hat,
                               rtol=0, atol=1e-14)
    _, d_y_hat = weighted_loss(y_hat, y, w)
    d_before = d_y_hat.copy()
    _recurrence.backward(params, X, states, d_y_hat, activation, 2)
    np.testing.assert_array_equal(theta, theta_before)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(d_y_hat, d_before)
    for H, H_before in zip(states, states_before):
        np.testing.assert_array_equal(H, H_before)


@pytest.mark.parametrize("bptt_steps", [None, 2])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2])
def test_input_with_a_column_of_ones_gives_the_same_pass(n_layers, activation, bptt_steps):
    """The training loop appends a column of ones to X so that [W_xh; b_h] is one
    product; forward and backward must be those of the plain input."""
    theta, X, y, w, _ = make_problem(7 + n_layers, n_layers, activation, weighted=True)
    params = Params(theta, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS)
    X1 = _recurrence.with_bias_column(X)
    assert X1.shape == X.shape[:2] + (N_INPUTS + 1,) and np.all(X1[..., -1] == 1)
    y_hat, states = _recurrence.forward(params, X, activation)
    y_hat1, states1 = _recurrence.forward(params, X1, activation)
    np.testing.assert_allclose(y_hat1, y_hat, rtol=1e-12, atol=1e-14)
    _, d_y_hat = weighted_loss(y_hat, y, w)
    grads = _recurrence.backward(params, X, states, d_y_hat, activation, bptt_steps)
    grads1 = _recurrence.backward(params, X1, states1, d_y_hat, activation, bptt_steps)
    assert relative_error(grads, grads1) < 1e-12


@pytest.mark.parametrize("bptt_steps", [None, 2])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2])
def test_a_reused_workspace_gives_the_results_of_fresh_buffers(n_layers, activation, bptt_steps):
    """The training loop runs every batch in one Workspace: nothing a batch leaves
    in it (states, act', gradients, an initial state) may leak into the next."""
    sizes = (N_INPUTS, HIDDEN, n_layers, N_OUTPUTS)
    ws = _recurrence.Workspace(sizes, N_STEPS, N_SAMPLES, np.float64)
    for seed in range(4):  # different parameters and data each time, same buffers
        theta, X, y, w, h0 = make_problem(50 + seed, n_layers, activation, True,
                                          h0_random=seed == 1)
        params = Params(theta, *sizes)
        X1 = _recurrence.with_bias_column(X)
        ws.X[...] = X1
        y_hat, states = _recurrence.forward(params, ws.X, activation, h0=h0, workspace=ws)
        fresh_y_hat, fresh_states = _recurrence.forward(params, X1, activation, h0=h0)
        np.testing.assert_array_equal(y_hat, fresh_y_hat)
        for H, fresh_H in zip(states, fresh_states):
            np.testing.assert_array_equal(H, fresh_H)
        _, d_y_hat = weighted_loss(y_hat, y, w)
        grads = _recurrence.backward(params, ws.X, states, d_y_hat, activation, bptt_steps,
                                     workspace=ws)
        fresh = _recurrence.backward(params, X1, fresh_states, d_y_hat, activation, bptt_steps)
        np.testing.assert_array_equal(grads, fresh)
        assert grads is ws.grad and np.any(grads != 0)


def test_mixed_dtypes_compute_in_the_wider_one():
    """forward, backward and predict with float32 parameters and float64 data (or
    the reverse) compute in float64, as the products of the two would."""
    theta, X, y, w, _ = make_problem(5, 2, "tanh", True)
    sizes = (N_INPUTS, HIDDEN, 2, N_OUTPUTS)
    theta32 = theta.astype(np.float32)
    wide = Params(theta32.astype(np.float64), *sizes)  # the float32 values, in float64
    y_ref, states_ref = _recurrence.forward(wide, X, "tanh")
    _, d_y_hat = weighted_loss(y_ref, y, w)
    grads_ref = _recurrence.backward(wide, X, states_ref, d_y_hat, "tanh")
    for params, X_in in ((Params(theta32, *sizes), X), (wide, X.astype(np.float32))):
        X_wide = X_in.astype(np.float64)
        y_hat, states = _recurrence.forward(params, X_in, "tanh")
        assert y_hat.dtype == np.float64
        grads = _recurrence.backward(params, X_in, states, d_y_hat, "tanh")
        assert grads.dtype == np.float64
        np.testing.assert_array_equal(_recurrence.predict(params, X_in, "tanh"), y_hat)
        if X_in.dtype == X.dtype:  # same values as the float64 reference
            np.testing.assert_array_equal(y_hat, y_ref)
            np.testing.assert_array_equal(grads, grads_ref)
        else:  # the same pass as float64 parameters on the float32 values
            np.testing.assert_array_equal(y_hat, _recurrence.forward(wide, X_wide, "tanh")[0])

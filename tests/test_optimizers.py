"""Closed-form checks of the optimizers and of gradient clipping.

The expected values are computed element by element in plain Python from the
formulas in the docstrings, independently of the vectorised implementation.
"""

import math

import numpy as np
import pytest

from skrnn._optimizers import AdamOptimizer, SGDOptimizer, clip_grad_norm

P0 = [0.5, -1.0, 2.0, 0.0]
GRADS = [
    [0.1, -0.2, 0.0, 3.0],
    [-0.3, 0.05, 1e-3, 2.0],
    [0.2, -0.1, -0.5, -4.0],
]


def read_only(values, dtype=np.float64):
    a = np.array(values, dtype=dtype)
    a.setflags(write=False)  # an optimizer writing into its input would raise
    return a


# ------------------------------------------------------------------------ Adam

def adam_by_hand(p0, grads, lr, b1, b2, eps):
    p, m, v = list(p0), [0.0] * len(p0), [0.0] * len(p0)
    trajectory = []
    for t, g in enumerate(grads, start=1):
        for i, gi in enumerate(g):
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi ** 2
            m_hat = m[i] / (1 - b1 ** t)
            v_hat = v[i] / (1 - b2 ** t)
            p[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
        trajectory.append(list(p))
    return trajectory, m, v


@pytest.mark.parametrize(
    "lr, b1, b2, eps",
    [(1e-3, 0.9, 0.999, 1e-8), (0.1, 0.8, 0.9, 1e-3), (0.05, 0.0, 0.5, 0.1)],
)
def test_adam_three_steps_match_formula(lr, b1, b2, eps):
    params = np.array(P0)
    opt = AdamOptimizer(params, learning_rate_init=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    expected, m, v = adam_by_hand(P0, GRADS, lr, b1, b2, eps)
    for t, (g, p_expected) in enumerate(zip(GRADS, expected), start=1):
        opt.update_params(params, read_only(g))
        assert opt.t == t
        np.testing.assert_allclose(params, p_expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(opt.m, m, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(opt.v, v, rtol=1e-14, atol=1e-300)


def test_adam_first_step_is_lr_times_sign():
    """Bias correction: step 1 moves each entry by lr * g / (|g| + eps)."""
    lr, eps = 0.01, 1e-8
    g = np.array([0.3, -2.0, 1e-5, 0.0])
    params = np.ones(4)
    AdamOptimizer(params, learning_rate_init=lr, epsilon=eps).update_params(params, g)
    np.testing.assert_allclose(params, 1.0 - lr * g / (np.abs(g) + eps), rtol=1e-14)


# ------------------------------------------------------------------------- SGD

def sgd_by_hand(p0, grads, lr, mu, nesterov):
    """The docstring's formulation."""
    p, vel = list(p0), [0.0] * len(p0)
    trajectory = []
    for g in grads:
        for i, gi in enumerate(g):
            vel[i] = mu * vel[i] - lr * gi
            p[i] += mu * vel[i] - lr * gi if nesterov else vel[i]
        trajectory.append(list(p))
    return trajectory


def sgd_torch_style(p0, grads, lr, mu, nesterov):
    """torch.optim.SGD's formulation (buffer of gradients, dampening 0)."""
    p, buf = list(p0), [None] * len(p0)
    trajectory = []
    for g in grads:
        for i, gi in enumerate(g):
            buf[i] = gi if buf[i] is None else mu * buf[i] + gi
            step = gi + mu * buf[i] if nesterov else buf[i]
            p[i] -= lr * step
        trajectory.append(list(p))
    return trajectory


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("lr, mu", [(0.1, 0.9), (0.5, 0.5), (0.2, 0.0)])
def test_sgd_three_steps_match_formula(lr, mu, nesterov):
    params = np.array(P0)
    opt = SGDOptimizer(params, learning_rate_init=lr, momentum=mu, nesterov=nesterov)
    expected = sgd_by_hand(P0, GRADS, lr, mu, nesterov)
    torch_style = sgd_torch_style(P0, GRADS, lr, mu, nesterov)
    for t, (g, p_expected, p_torch) in enumerate(zip(GRADS, expected, torch_style), 1):
        opt.update_params(params, read_only(g))
        assert opt.t == t
        np.testing.assert_allclose(params, p_expected, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(params, p_torch, rtol=1e-13, atol=1e-14)


def test_sgd_without_momentum_is_plain_gradient_descent():
    params = np.array(P0)
    opt = SGDOptimizer(params, learning_rate_init=0.3, momentum=0.0, nesterov=False)
    expected = np.array(P0)
    for g in GRADS:
        opt.update_params(params, read_only(g))
        expected -= 0.3 * np.array(g)
        np.testing.assert_allclose(params, expected, rtol=1e-15, atol=1e-16)


# --------------------------------------------------------------- common state

@pytest.mark.parametrize("make", [
    lambda p: AdamOptimizer(p, learning_rate_init=0.1),
    lambda p: SGDOptimizer(p, learning_rate_init=0.1, momentum=0.9, nesterov=True),
    lambda p: SGDOptimizer(p, learning_rate_init=0.1, momentum=0.9, nesterov=False),
], ids=["adam", "sgd-nesterov", "sgd"])
def test_state_persists_across_calls_and_grads_untouched(make):
    params = np.array(P0)
    buffer_id = id(params)
    opt = make(params)
    assert opt.t == 0
    for t, g in enumerate(GRADS, start=1):
        grads = np.array(g)
        grads_before = grads.copy()
        opt.update_params(params, grads)
        assert opt.t == t
        np.testing.assert_array_equal(grads, grads_before)
    assert id(params) == buffer_id  # updated in place

    # a second optimizer fed the same gradients lands on the same point, but
    # one re-created before every call does not: the calls share velocities /
    # moments
    params_fresh = np.array(P0)
    fresh = make(params_fresh)
    for g in GRADS:
        fresh.update_params(params_fresh, np.array(g))
    np.testing.assert_array_equal(params_fresh, params)  # deterministic
    params_restart = np.array(P0)
    for g in GRADS:
        make(params_restart).update_params(params_restart, np.array(g))
    assert not np.allclose(params_restart, params)


def test_in_place_update_reaches_views():
    """The regressor's weight matrices are views into the flat vector."""
    theta = np.arange(6, dtype=float)
    W = theta[:4].reshape(2, 2)
    AdamOptimizer(theta, learning_rate_init=0.5).update_params(theta, np.ones(6))
    np.testing.assert_allclose(W.ravel(), np.arange(4) - 0.5, rtol=1e-7)


@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [
    lambda p: AdamOptimizer(p, learning_rate_init=0.1),
    lambda p: SGDOptimizer(p, learning_rate_init=0.1, momentum=0.9, nesterov=True),
    lambda p: SGDOptimizer(p, learning_rate_init=0.1, momentum=0.9, nesterov=False),
], ids=["adam", "sgd-nesterov", "sgd"])
def test_float32_params_stay_float32(make, grad_dtype):
    params = np.array(P0, dtype=np.float32)
    opt = make(params)
    reference = np.array(P0, dtype=np.float64)
    opt64 = make(reference)
    for g in GRADS:
        opt.update_params(params, read_only(g, grad_dtype))
        opt64.update_params(reference, read_only(g))
        assert params.dtype == np.float32
    for state in vars(opt).values():
        if isinstance(state, np.ndarray):
            assert state.dtype == np.float32
    np.testing.assert_allclose(params, reference, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------- clipping

def test_clip_below_threshold_leaves_gradient_untouched():
    g = np.array([3.0, 4.0])
    norm = clip_grad_norm(g, 10.0)
    assert isinstance(norm, float)
    assert norm == 5.0
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_clip_above_threshold_scales_by_torch_rule():
    g = np.array([3.0, -4.0, 0.0, 12.0])  # norm 13
    original = g.copy()
    norm = clip_grad_norm(g, 2.0)
    assert norm == 13.0  # the norm before clipping
    np.testing.assert_allclose(g, 2.0 / (13.0 + 1e-6) * original, rtol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(g), 2.0, rtol=1e-6)
    assert np.linalg.norm(g) < 2.0


def test_clip_at_exactly_max_norm_still_applies_epsilon():
    # torch's rule: coef = max_norm / (norm + 1e-6) < 1 even when norm == max_norm
    g = np.array([3.0, 4.0])
    clip_grad_norm(g, 5.0)
    np.testing.assert_allclose(g, 5.0 / (5.0 + 1e-6) * np.array([3.0, 4.0]), rtol=1e-15)


def test_clip_none_disables_and_zero_gradient_is_safe():
    g = np.array([30.0, 40.0])
    assert clip_grad_norm(g, None) == 50.0
    np.testing.assert_array_equal(g, [30.0, 40.0])
    z = np.zeros(3)
    assert clip_grad_norm(z, 1.0) == 0.0
    np.testing.assert_array_equal(z, 0.0)


def test_clip_float32_stays_float32():
    g = np.array([3.0, 4.0], dtype=np.float32)
    assert clip_grad_norm(g, 1.0) == pytest.approx(5.0)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [0.6, 0.8], rtol=1e-6)

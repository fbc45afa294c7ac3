"""Central-difference checks of ``_network.backward`` against ``forward``.

Every entry of the flat parameter vector is checked, for every cell, one to
three layers, both Elman activations, with and without sample weights, and
with full and truncated backpropagation through time. For truncated BPTT over
the last ``k`` steps the reference is the gradient of the loss in which the
state of every layer before the truncation window is a constant: the forward
pass is restarted at step ``T - k`` from the states the full forward pass
reached there (``h``, and ``c`` for the LSTM).
"""

import numpy as np
import pytest

from skrnn import _network
from skrnn._losses import squared_error

from ._helpers import (CELL_IDS, CELLS, KINK_MARGIN, RTOL, copy_states,
                       numerical_gradient, relative_error)

N_SAMPLES, N_STEPS, N_INPUTS, HIDDEN, N_OUTPUTS = 4, 5, 3, 4, 2
def weighted_loss(y_hat, y, w):
    """0.5 * sum_i w_i sum_k err_ik^2 / (sum_i w_i * n_outputs) and its gradient."""
    return squared_error(y_hat, y, w, float(w.sum()))


def make_problem(seed, cell, activation, n_layers, weighted, h0_random=False, skip=False):
    """Random parameters, data and weights; for relu, resample until no kink is near.

    ``skip``: the network has the linear path from the window (``W_xy``).
    """
    rng = np.random.RandomState(seed)
    layout = _network.Layout(cell, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS, activation,
                             N_STEPS if skip else 0)
    for _ in range(100):
        theta = rng.normal(scale=0.6, size=layout.size)
        params = layout.params(theta)
        if activation == "relu":
            for b in params.b_h:  # keep most units on, so most entries are tested
                b += 0.3
        X = rng.normal(size=(N_STEPS, N_SAMPLES, N_INPUTS))
        y = rng.normal(size=(N_SAMPLES, N_OUTPUTS))
        w = rng.uniform(0.2, 3.0, size=N_SAMPLES) if weighted else np.ones(N_SAMPLES)
        h0 = None
        if h0_random:
            def draw():
                h = rng.normal(scale=0.5, size=(N_SAMPLES, HIDDEN))
                return np.abs(h) if activation == "relu" else h  # relu states are >= 0
            h0 = [(draw(), draw()) if cell == "lstm" else draw() for _ in range(n_layers)]
        _, ws = _network.forward(params, X, h0=h0)
        # the Elman cell keeps its pre-activations in Z after forward
        if activation == "tanh" or min(np.min(np.abs(lw.Z)) for lw in ws.layers) > KINK_MARGIN:
            return layout, theta, X, y, w, h0
    raise RuntimeError("could not draw a relu problem away from the kinks")


def loss_of(layout, X, y, w, h0=None):
    def f(flat):
        y_hat, _ = _network.forward(layout.params(flat), X, h0=h0)
        return weighted_loss(y_hat, y, w)[0]
    return f


def analytical_gradient(layout, theta, X, y, w, bptt_steps=None, h0=None):
    params = layout.params(theta)
    y_hat, ws = _network.forward(params, X, h0=h0)
    _, d_y_hat = weighted_loss(y_hat, y, w)
    return _network.backward(params, ws, d_y_hat, bptt_steps).copy(), ws


@pytest.mark.parametrize("bptt_steps", [None, 1, 2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_backward_matches_central_differences(n_layers, cell, activation, weighted, bptt_steps):
    seed = 100 * n_layers + 10 * CELLS.index((cell, activation)) + weighted
    layout, theta, X, y, w, _ = make_problem(seed, cell, activation, n_layers, weighted)
    analytical, ws = analytical_gradient(layout, theta, X, y, w, bptt_steps)
    assert analytical.shape == theta.shape

    if bptt_steps is None:
        X_window, h0 = X, None
    else:
        start = N_STEPS - bptt_steps  # states before the window are constants
        X_window, h0 = X[start:], copy_states(ws.states(start))

    numerical = numerical_gradient(loss_of(layout, X_window, y, w, h0), theta.copy())
    err = relative_error(numerical, analytical)
    print(f"{cell}-{activation} layers={n_layers} weighted={weighted} bptt={bptt_steps}: "
          f"rel err {err:.2e}")
    assert err < RTOL
    # the check is not vacuous: every block of every layer receives gradient
    grads = layout.params(analytical)
    for name, block in grads.named():
        assert np.any(block != 0), name


@pytest.mark.parametrize("bptt_steps", [None, 2])
@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_linear_path_gradient_matches_central_differences(n_layers, cell, activation,
                                                          bptt_steps):
    """With the linear path ``vec(X) W_xy`` every entry of the flat vector, W_xy
    included, has the central-difference gradient. The reference is built
    independently: the network without the path (the same flat vector less its
    last block, W_xy) plus an explicit ``X_bf.reshape(n, -1) @ W_xy``; with
    truncation the network part restarts at ``T - k`` while the linear path
    still reads the whole window (it has no recurrence to truncate)."""
    seed = 900 + 10 * n_layers + CELLS.index((cell, activation))
    layout, theta, X, y, w, _ = make_problem(seed, cell, activation, n_layers, True, skip=True)
    plain = _network.Layout(cell, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS, activation)
    n_xy = N_STEPS * N_INPUTS * N_OUTPUTS
    assert layout.size == plain.size + n_xy
    analytical, ws = analytical_gradient(layout, theta, X, y, w, bptt_steps)
    start = 0 if bptt_steps is None else N_STEPS - bptt_steps
    h0 = None if start == 0 else copy_states(ws.states(start))
    window = X.transpose(1, 0, 2).reshape(N_SAMPLES, -1)  # batch-first, flattened

    def f(flat):
        y_net, _ = _network.forward(plain.params(flat[:-n_xy]), X[start:], h0=h0)
        y_hat = y_net + window @ flat[-n_xy:].reshape(-1, N_OUTPUTS)
        return weighted_loss(y_hat, y, w)[0]

    err = relative_error(numerical_gradient(f, theta.copy()), analytical)
    assert err < RTOL
    grads = layout.params(analytical)
    assert np.all(grads.W_xy != 0)
    # the path reads the window in the flattened order the 2-D input has
    np.testing.assert_allclose(grads.W_xy, window.T @ weighted_loss(ws.y_hat, y, w)[1],
                               rtol=1e-12)


def test_linear_path_reads_the_last_steps_of_a_shorter_or_longer_input():
    """The path reads the last skip_steps steps before each sequence's end, zeros
    before the start of a shorter one (a short sequence is right-aligned)."""
    layout, theta, X, y, w, _ = make_problem(3, "gru", "tanh", 1, False, skip=True)
    params = layout.params(theta)
    plain = _network.Layout("gru", N_INPUTS, HIDDEN, 1, N_OUTPUTS)
    W_xy = params.W_xy
    for X_in in (X[2:], np.concatenate([X, X[:2]])):  # 3 and 7 steps, the path reads 5
        y_hat = _network.forward(params, X_in)[0].copy()
        y_net = _network.forward(plain.params(theta[: plain.size]), X_in)[0]
        bf = X_in.transpose(1, 0, 2)
        window = np.zeros((N_SAMPLES, N_STEPS, N_INPUTS))
        n = min(N_STEPS, len(X_in))
        window[:, N_STEPS - n :] = bf[:, len(X_in) - n :]
        np.testing.assert_allclose(y_hat, y_net + window.reshape(N_SAMPLES, -1) @ W_xy,
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_backward_with_initial_state(n_layers, cell, activation):
    """A non-zero initial state is a constant: backward is the gradient given it."""
    layout, theta, X, y, w, h0 = make_problem(7 + n_layers, cell, activation, n_layers, True,
                                              h0_random=True)
    analytical, ws = analytical_gradient(layout, theta, X, y, w, h0=h0)
    for layer, state in enumerate(ws.states(0)):
        np.testing.assert_array_equal(np.stack(state) if cell == "lstm" else state,
                                      np.stack(h0[layer]) if cell == "lstm" else h0[layer])
    err = relative_error(numerical_gradient(loss_of(layout, X, y, w, h0), theta.copy()),
                         analytical)
    assert err < RTOL


@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_truncation_at_or_beyond_sequence_length_is_full_bptt(n_layers, cell, activation):
    layout, theta, X, y, w, _ = make_problem(3, cell, activation, n_layers, True)
    full, _ = analytical_gradient(layout, theta, X, y, w, None)
    for k in (N_STEPS, N_STEPS + 1, 10 * N_STEPS):
        np.testing.assert_array_equal(analytical_gradient(layout, theta, X, y, w, k)[0], full)
    # and a real truncation changes the recurrent gradients but not the read-out
    truncated = layout.params(analytical_gradient(layout, theta, X, y, w, 2)[0])
    full_p = layout.params(full)
    assert not np.allclose(truncated.W_hh[0], full_p.W_hh[0])
    np.testing.assert_array_equal(truncated.W_hy, full_p.W_hy)
    np.testing.assert_array_equal(truncated.b_y, full_p.b_y)


@pytest.mark.parametrize("skip", [False, True], ids=["no-skip", "skip"])
@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_forward_and_predict_agree_and_inputs_untouched(n_layers, cell, activation, skip):
    layout, theta, X, y, w, _ = make_problem(11, cell, activation, n_layers, False, skip=skip)
    params = layout.params(theta)
    theta_before, X_before = theta.copy(), X.copy()
    y_hat, ws = _network.forward(params, X)
    y_hat = y_hat.copy()
    # predict: batch-first, in chunks of 3 samples (two chunks of different sizes)
    y_pred = _network.predict(params, np.ascontiguousarray(X.transpose(1, 0, 2)), chunk_size=3)
    np.testing.assert_allclose(y_pred, y_hat, rtol=0, atol=1e-14)
    _, d_y_hat = weighted_loss(y_hat, y, w)
    d_before = d_y_hat.copy()
    _network.backward(params, ws, d_y_hat, 2)
    np.testing.assert_array_equal(theta, theta_before)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(d_y_hat, d_before)


@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
def test_the_feature_of_ones_carries_the_first_layers_bias(cell, activation):
    """The network's input has a last feature of ones, so that the first layer's
    [W_xh; b_h] is one product: it must equal x_t W_xh + b_h (independent einsum), in the
    cell's memory order. The layers above add their b_h apart, and the gradients follow
    the same split."""
    layout, theta, X, _, _, _ = make_problem(7, cell, activation, 2, True)
    params, order = layout.params(theta), layout.order
    p = params.layers[0]
    expected = order.from_time_major(np.einsum("tbf,fw->tbw", X, p.W_xh) + p.b_h)
    X_tm = _network.time_major(X.transpose(1, 0, 2), layout)
    assert np.all(order.features(X_tm, slice(N_INPUTS, None)) == 1.0)
    W, b = _network._input_weights(p, 0)
    assert b is None and np.shares_memory(W, theta)
    with_ones = np.empty_like(expected)
    order.project(W, X_tm, out=with_ones)
    np.testing.assert_allclose(with_ones, expected, rtol=1e-13, atol=1e-14)
    above = params.layers[1]
    W, b = _network._input_weights(above, 1)
    assert W is above.W_xh and b is above.b_h and above.W_xb is None
    grads = layout.params(np.zeros(layout.size)).layers
    assert _network._input_weights(grads[0], 0)[0].shape == (N_INPUTS + 1, layout.width)
    assert _network._input_weights(grads[1], 1)[1] is grads[1].b_h


@pytest.mark.parametrize("skip", [False, True], ids=["no-skip", "skip"])
@pytest.mark.parametrize("bptt_steps", [None, 2])
@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_a_reused_workspace_gives_the_results_of_fresh_buffers(n_layers, cell, activation,
                                                                bptt_steps, skip):
    """The training loop runs every batch in one Workspace: nothing a batch leaves
    in it (states, gates, gradients, an initial state) may leak into the next."""
    layout = _network.Layout(cell, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS, activation,
                             N_STEPS if skip else 0)
    ws = _network.Workspace(layout, N_STEPS, N_SAMPLES, np.float64)
    for seed in range(4):  # different parameters and data each time, same buffers
        _, theta, X, y, w, h0 = make_problem(50 + seed, cell, activation, n_layers, True,
                                             h0_random=seed == 1, skip=skip)
        params = layout.params(theta)
        ws.X[...] = _network.time_major(X.transpose(1, 0, 2), layout)  # as the loop fills it
        y_hat, _ = _network.forward(params, h0=h0, workspace=ws)
        fresh_y_hat, fresh = _network.forward(params, X, h0=h0)
        np.testing.assert_array_equal(y_hat, fresh_y_hat)
        for lw, fresh_lw in zip(ws.layers, fresh.layers):
            np.testing.assert_array_equal(lw.H, fresh_lw.H)
        _, d_y_hat = weighted_loss(y_hat, y, w)
        grads = _network.backward(params, ws, d_y_hat, bptt_steps)
        fresh_grads = _network.backward(params, fresh, d_y_hat, bptt_steps)
        np.testing.assert_array_equal(grads, fresh_grads)
        assert grads is ws.grad and np.any(grads != 0)


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
def test_mixed_dtypes_compute_in_the_wider_one(cell):
    """forward, backward and predict with float32 parameters and float64 data (or
    the reverse) compute in float64, as the products of the two would."""
    layout, theta, X, y, w, _ = make_problem(5, cell, "tanh", 2, True)
    theta32 = theta.astype(np.float32)
    wide = layout.params(theta32.astype(np.float64))  # the float32 values, in float64
    y_ref, ws_ref = _network.forward(wide, X)
    y_ref = y_ref.copy()
    _, d_y_hat = weighted_loss(y_ref, y, w)
    grads_ref = _network.backward(wide, ws_ref, d_y_hat).copy()
    for params, X_in in ((layout.params(theta32), X), (wide, X.astype(np.float32))):
        y_hat, ws = _network.forward(params, X_in)
        assert y_hat.dtype == np.float64
        grads = _network.backward(params, ws, d_y_hat)
        assert grads.dtype == np.float64
        X_bf = np.ascontiguousarray(X_in.transpose(1, 0, 2))
        np.testing.assert_allclose(_network.predict(params, X_bf), y_hat, rtol=0, atol=1e-14)
        if X_in.dtype == X.dtype:  # same values as the float64 reference
            np.testing.assert_array_equal(y_hat, y_ref)
            np.testing.assert_array_equal(grads, grads_ref)
        else:  # the same pass as float64 parameters on the float32 values
            wide_y, _ = _network.forward(wide, X_in.astype(np.float64))
            np.testing.assert_array_equal(y_hat, wide_y)


def test_layout_names_shapes_and_penalties():
    """The layout is the one place that knows the blocks: names, shapes, L2 mask."""
    for cell, gates, extra in (("elman", 1, []), ("gru", 3, ["b_hn"]), ("lstm", 4, [])):
        layout = _network.Layout(cell, 3, 5, 2, 2)
        names = [name for name, _ in layout.params(np.zeros(layout.size)).named()]
        per_layer = ["W_xh", "b_h", "W_hh"] + extra
        assert names == [f"{n}_{l}" for l in range(2) for n in per_layer] + ["W_hy", "b_y"]
        shapes = {name if layer is None else f"{name}_{layer}": shape
                  for name, layer, shape, _ in layout.blocks()}
        assert shapes["W_xh_0"] == (3, gates * 5) and shapes["W_xh_1"] == (5, gates * 5)
        assert shapes["W_hh_1"] == (5, gates * 5) and shapes["b_h_0"] == (gates * 5,)
        mask = layout.params(layout.weight_mask())
        for name, block in mask.named():
            expected = 1.0 if name.startswith("W_") else 0.0
            assert np.all(block == expected), name
        # the linear path: last, a penalised (n_steps * n_inputs, n_outputs) matrix
        skip = _network.Layout(cell, 3, 5, 2, 2, skip_steps=4)
        assert skip.size == layout.size + 4 * 3 * 2
        last = list(skip.blocks())[-1]
        assert last == ("W_xy", None, (4 * 3, 2), True)
        assert [n for n, _ in skip.params(np.zeros(skip.size)).named()] == names + ["W_xy"]
        assert layout.params(np.zeros(layout.size)).W_xy is None
        # the first layer's W_xb is [W_xh; b_h], one matrix over the same memory
        p = layout.params(np.arange(layout.size, dtype=float))
        first = p.layers[0]
        np.testing.assert_array_equal(first.W_xb, np.vstack([first.W_xh, first.b_h]))
        assert np.shares_memory(first.W_xb, p.flat)
        assert p.layers[1].W_xb is None


@pytest.mark.parametrize("steps", [3, 40])
def test_sum_of_products_both_ways(steps):
    """The weight gradients' sum over steps: one stacked product while the block is
    small, a product per step beyond 2**20 numbers; both equal an independent einsum."""
    from skrnn._order import product_buffer, sum_of_products

    rng = np.random.RandomState(steps)
    A, B = rng.normal(size=(steps, 5, 7)), rng.normal(size=(steps, 6, 7))
    expected = np.einsum("tib,tjb->ij", A, B)
    small = product_buffer(steps, 5, 6, np.float64)
    large = product_buffer(steps, 5, 6 * 2**16, np.float64)[:, :6]  # beyond 2**20: per step
    assert small.shape == (steps, 5, 6) and large.shape == (5, 6)
    for tmp in (small, large):
        out = np.empty((5, 6))
        sum_of_products(A, B, out=out, tmp=np.ascontiguousarray(tmp))
        np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
def test_separate_arrays_give_the_pass_of_the_flat_vector(cell, activation):
    """Parameters given as separate arrays (no flat vector: the first layer's [W_xh; b_h]
    is a stacked copy) run the same pass."""
    layout, theta, X, _, _, h0 = make_problem(3, cell, activation, 2, True, h0_random=True)
    params = layout.params(theta)
    arrays = _network.Params.from_arrays(
        layout, [{n: getattr(p, n).copy() for n, _, _ in layout.layer_blocks(k)}
                 for k, p in enumerate(params.layers)],
        params.W_hy.copy(), params.b_y.copy(),
    )
    y_flat = _network.forward(params, X, h0=h0)[0].copy()
    np.testing.assert_allclose(_network.forward(arrays, X, h0=h0)[0], y_flat,
                               rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
def test_the_network_refuses_input_of_another_width(cell):
    layout, theta, X, _, _, _ = make_problem(4, cell, "tanh", 1, True)
    params = layout.params(theta)
    with pytest.raises(ValueError, match="features per step; the network takes 3"):
        _network.forward(params, X[..., :2])
    with pytest.raises(ValueError, match="features per step; the network takes 3"):
        _network.predict(params, np.ascontiguousarray(X[..., :2].transpose(1, 0, 2)))
    with pytest.raises(ValueError, match="features per step; the network takes 3"):
        _network.forward(params, np.concatenate([X, X], axis=2))

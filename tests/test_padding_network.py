"""Right-padded batches in the network: exact gradients for every cell, against
an independent reference built from each sequence alone, unpadded, and against
PyTorch's pack_padded_sequence."""

import numpy as np
import pytest

from skrnn import _network, export
from skrnn._losses import squared_error

from ._helpers import (CELL_IDS, CELLS, KINK_MARGIN, RTOL, copy_states, numerical_gradient,
                       relative_error)

N_SAMPLES, N_STEPS, N_INPUTS, HIDDEN, N_OUTPUTS = 5, 6, 3, 4, 2
LENGTHS = np.array([6, 2, 4, 1, 5])  # one full, one of a single step


def padded_problem(seed, cell, activation, n_layers, skip):
    rng = np.random.RandomState(seed)
    layout = _network.Layout(cell, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS, activation,
                             N_STEPS if skip else 0)
    plain = _network.Layout(cell, N_INPUTS, HIDDEN, n_layers, N_OUTPUTS, activation)
    for _ in range(100):
        theta = rng.normal(scale=0.6, size=layout.size)
        params = layout.params(theta)
        if activation == "relu":
            for b in params.b_h:
                b += 0.3
        X = rng.normal(size=(N_STEPS, N_SAMPLES, N_INPUTS))
        for i, n in enumerate(LENGTHS):
            X[n:, i] = 0.0  # padding reaches the network as zeros
        y = rng.normal(size=(N_SAMPLES, N_OUTPUTS))
        w = rng.uniform(0.2, 3.0, size=N_SAMPLES)
        _, ws = _network.forward(params, X, lengths=LENGTHS)
        valid = np.arange(N_STEPS)[:, None] < LENGTHS  # kinks only matter where valid
        if activation == "tanh" or min(
            np.min(np.abs(layout.order.to_batch_first(lw.Z).transpose(1, 0, 2)[valid]))
            for lw in ws.layers  # indexed by (step, sample)
        ) > KINK_MARGIN:
            return layout, plain, theta, X, y, w
    raise RuntimeError("could not draw a relu problem away from the kinks")


def reference_output(layout, plain, flat, X, bptt_steps, states):
    """Each sequence alone, unpadded: the network without the linear path on its
    valid steps (from its truncation window's start, with the states of the full
    pass there as constants), plus the explicit window product."""
    n_plain = plain.size
    out = np.empty((N_SAMPLES, N_OUTPUTS))
    for i, n in enumerate(LENGTHS):
        start = 0 if bptt_steps is None else max(0, n - bptt_steps)
        h0 = None if start == 0 else [
            tuple(a[i : i + 1] for a in s) if isinstance(s, tuple) else s[i : i + 1]
            for s in states[start]
        ]
        y_i, _ = _network.forward(plain.params(flat[:n_plain]), X[start:n, i : i + 1], h0=h0)
        out[i] = y_i[0]
        if layout.skip_steps:
            window = np.zeros((N_STEPS, N_INPUTS))
            window[N_STEPS - n :] = X[:n, i]
            out[i] += window.reshape(-1) @ flat[n_plain:].reshape(-1, N_OUTPUTS)
    return out


@pytest.mark.parametrize("skip", [False, True], ids=["no-skip", "skip"])
@pytest.mark.parametrize("bptt_steps", [None, 2])
@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_padded_batch_gradient_matches_central_differences(n_layers, cell, activation,
                                                           bptt_steps, skip):
    seed = 300 + 10 * n_layers + CELLS.index((cell, activation)) + 5 * skip
    layout, plain, theta, X, y, w = padded_problem(seed, cell, activation, n_layers, skip)
    params = layout.params(theta)
    y_hat, ws = _network.forward(params, X, lengths=LENGTHS)
    y_hat = y_hat.copy()
    states = [copy_states(ws.states(t)) for t in range(N_STEPS + 1)]
    # the padded batch computes what each sequence computes alone
    np.testing.assert_allclose(y_hat, reference_output(layout, plain, theta, X, None, states),
                               rtol=1e-12, atol=1e-12)
    _, d_y_hat = squared_error(y_hat, y, w, float(w.sum()))
    analytical = _network.backward(params, ws, d_y_hat, bptt_steps).copy()

    def f(flat):
        out = reference_output(layout, plain, flat, X, bptt_steps, states)
        return squared_error(out, y, w, float(w.sum()))[0]

    numerical = numerical_gradient(f, theta)
    assert relative_error(numerical, analytical) < RTOL
    grads = layout.params(analytical)
    for name, block in grads.named():
        assert np.any(block != 0), name


@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
def test_more_padding_changes_nothing(cell, activation):
    """Extra padded steps at the end of every sequence change neither the output
    nor the gradient."""
    layout, _, theta, X, y, w = padded_problem(7, cell, activation, 2, True)
    params = layout.params(theta)
    y_hat, ws = _network.forward(params, X, lengths=LENGTHS)
    y_hat = y_hat.copy()
    grads = _network.backward(params, ws, squared_error(y_hat, y, w, w.sum())[1], 3).copy()
    longer = np.concatenate([X, np.zeros((4, N_SAMPLES, N_INPUTS))])
    y_long, ws_long = _network.forward(params, longer, lengths=LENGTHS)
    np.testing.assert_array_equal(y_long, y_hat)
    grads_long = _network.backward(params, ws_long, squared_error(y_long, y, w, w.sum())[1], 3)
    np.testing.assert_allclose(grads_long, grads, rtol=1e-13, atol=1e-15)
    # and predict, in chunks of 2, reads the lengths of its chunk
    X_bf = np.ascontiguousarray(longer.transpose(1, 0, 2))
    np.testing.assert_allclose(_network.predict(params, X_bf, chunk_size=2, lengths=LENGTHS),
                               y_hat, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_padded_batch_matches_torch_pack_padded_sequence(n_layers, cell, activation):
    """Forward: each padded row is torch's module on the unpadded sequence. Backward:
    the gradient of the padded batch is autograd's through pack_padded_sequence.
    Only this test needs torch (installed in CI); the checks above run without it."""
    torch = pytest.importorskip("torch")
    layout, _, theta, X, y, w = padded_problem(60 + n_layers, cell, activation, n_layers, False)
    params = layout.params(theta)
    y_hat, ws = _network.forward(params, X, lengths=LENGTHS)
    loss, d_y_hat = squared_error(y_hat, y, w, float(w.sum()))
    grads = layout.params(_network.backward(params, ws, d_y_hat).copy())

    module = export.torch_module(layout, torch.float64)
    module.load_state_dict({k: torch.from_numpy(v)
                            for k, v in export.state_dict_of(params).items()})
    X_bf = torch.from_numpy(np.ascontiguousarray(X.transpose(1, 0, 2)))
    with torch.no_grad():
        for i, n in enumerate(LENGTHS):  # the unpadded sequence alone
            alone = module(X_bf[i : i + 1, :n]).numpy()[0]
            np.testing.assert_allclose(y_hat[i], alone, rtol=0, atol=1e-12)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        X_bf, torch.from_numpy(LENGTHS), batch_first=True, enforce_sorted=False)
    _, h_n = module.rnn(packed)
    last = (h_n[0] if cell == "lstm" else h_n)[-1]  # top layer, each sequence's last step
    t_y_hat = module.linear(last)
    err = t_y_hat - torch.from_numpy(y)
    w_t = torch.from_numpy(w)
    t_loss = 0.5 * (w_t * (err * err).sum(dim=1)).sum() / (w_t.sum() * N_OUTPUTS)
    t_loss.backward()
    np.testing.assert_allclose(y_hat, t_y_hat.detach().numpy(), rtol=0, atol=1e-12)
    assert abs(loss - t_loss.item()) < 1e-12
    named = dict(module.named_parameters())
    for k, layer in enumerate(grads.layers):
        for ours, theirs in ((layer.W_xh, named[f"rnn.weight_ih_l{k}"].grad.T),
                             (layer.W_hh, named[f"rnn.weight_hh_l{k}"].grad.T),
                             (layer.b_h, named[f"rnn.bias_ih_l{k}"].grad)):
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-12)
        if layer.b_hn is not None:  # GRU: b_hn is the candidate block of bias_hh
            np.testing.assert_allclose(layer.b_hn, named[f"rnn.bias_hh_l{k}"].grad[
                2 * HIDDEN :].numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads.W_hy, named["linear.weight"].grad.numpy().T,
                               rtol=1e-9, atol=1e-12)

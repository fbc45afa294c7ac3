"""Parity with PyTorch, for every cell: export, gradients and optimizer trajectories.

* A fitted RNNRegressor exported with ``skrnn.export`` (``to_torch``, and
  ``torch_state_dict`` loaded into plain ``torch.nn.RNN``/``GRU``/``LSTM`` +
  ``torch.nn.Linear``) predicts the same values.
* ``_network.backward`` equals torch autograd of the same loss.
* Training loops built from ``_network`` + ``clip_grad_norm`` + our
  optimizers track ``torch.optim.Adam`` / ``torch.optim.SGD`` with
  ``clip_grad_norm_`` over a few hundred steps on identical mini-batches.

skrnn folds the biases torch adds up (``bias_ih + bias_hh``) into one ``b_h``;
for the gradient and trajectory comparisons the folded parts of torch's
``bias_hh`` get no gradient (they stay at zero), so both sides train the same
function of the same number of parameters.
"""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from skrnn import RNNRegressor, _network, export
from skrnn._losses import squared_error
from skrnn._optimizers import AdamOptimizer, SGDOptimizer, clip_grad_norm

torch = pytest.importorskip("torch")

CELLS = [("elman", "tanh"), ("elman", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
CELL_IDS = [f"{c}-{a}" for c, a in CELLS]


@pytest.fixture(autouse=True)
def single_torch_thread():
    """Tiny tensors: torch's thread pool only costs time (a lot on a busy machine)."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


# --------------------------------------------------------------------- helpers

def trainable_bias_hh(layout):
    """1 where torch's bias_hh is a parameter of skrnn's too (GRU's b_hn), else 0."""
    probe = SimpleNamespace(  # a layer whose biases are 0, and 1 where the cell has b_hn
        b_h=np.zeros(layout.width),
        b_hn=np.ones(layout.hidden_size) if "b_hn" in layout.extra_names() else None,
    )
    return [layout.cell.torch_biases(probe)[1] for _ in range(layout.n_layers)]


def torch_net(params):
    """The torch module of ``params``' layout, holding ``params``' weights, float64;
    the folded parts of each ``bias_hh`` receive no gradient."""
    module = export.torch_module(params.layout, torch.float64)
    module.load_state_dict(
        {k: torch.from_numpy(v) for k, v in export.state_dict_of(params).items()}
    )
    for k, mask in enumerate(trainable_bias_hh(params.layout)):
        bias_hh = getattr(module.rnn, f"bias_hh_l{k}")
        if not mask.any():
            bias_hh.requires_grad_(False)
        else:
            bias_hh.register_hook(lambda g, m=torch.from_numpy(mask): g * m)
    return module


def trainable(module):
    return [p for p in module.parameters() if p.requires_grad]


def torch_to_flat(module, layout, grad=False):
    """Torch parameters (or their .grad) laid out like ``layout``'s flat vector:
    the inverse of the export mapping."""
    flat = np.zeros(layout.size)
    p = layout.params(flat)

    def get(name):
        t = dict(module.named_parameters())[name]
        t = t.grad if grad else t
        return None if t is None else t.detach().numpy()

    for k, (layer, mask) in enumerate(zip(p.layers, trainable_bias_hh(layout))):
        layer.W_xh[...] = get(f"rnn.weight_ih_l{k}").T
        layer.W_hh[...] = get(f"rnn.weight_hh_l{k}").T
        layer.b_h[...] = get(f"rnn.bias_ih_l{k}")  # d/d b_h = d/d bias_ih
        bias_hh = get(f"rnn.bias_hh_l{k}")
        if not grad and bias_hh is not None:
            layer.b_h[...] += bias_hh * (1 - mask)  # the folded parts (zero here)
        if layer.b_hn is not None:
            layer.b_hn[...] = bias_hh[mask == 1]
    p.W_hy[...] = get("linear.weight").T
    p.b_y[...] = get("linear.bias")
    if p.W_xy is not None:
        p.W_xy[...] = get("skip.weight").T
    return flat


def torch_loss(module, X_bf, y, w):
    """0.5 * sum_i w_i sum_k err_ik^2 / (sum_i w_i * n_outputs), batch-first X."""
    err = module(X_bf) - y
    return 0.5 * (w * (err * err).sum(dim=1)).sum() / (w.sum() * y.shape[1])


def numpy_loss_grad(params, X_tm, y, w):
    y_hat, ws = _network.forward(params, X_tm)
    loss, d_y_hat = squared_error(y_hat, y, w, float(w.sum()))
    return loss, _network.backward(params, ws, d_y_hat), y_hat, ws


def sequence_data(rng, n_samples, n_steps, n_features, n_outputs):
    X = rng.normal(size=(n_samples, n_steps, n_features))
    cols = [X[:, :, 0].sum(axis=1), X[:, -1, -1] * X[:, 0, 0], np.sin(X[:, :, -1]).mean(1)]
    y = np.stack(cols[:n_outputs], axis=1) + 0.05 * rng.normal(size=(n_samples, n_outputs))
    return X, y


def random_network(rng, cell, activation, n_layers, n_outputs, skip=False,
                   n_samples=7, n_steps=6, n_inputs=3, hidden=5):
    """Random parameters (relu units mostly on) and a batch of sequence data."""
    layout = _network.Layout(cell, n_inputs, hidden, n_layers, n_outputs, activation,
                             n_steps if skip else 0)
    params = layout.params(rng.normal(scale=0.5, size=layout.size))
    if activation == "relu":
        for b in params.b_h:
            b += 0.3
    X, y = sequence_data(rng, n_samples, n_steps, n_inputs, n_outputs)
    return layout, params, X, y


# ------------------------------------------------------- (a) export / predict

@pytest.mark.parametrize("input_ndim", [3, 2])
@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_fitted_regressor_exports_to_torch(n_layers, cell, activation, input_ndim):
    rng = np.random.RandomState(n_layers + 3 * CELLS.index((cell, activation)))
    n_steps, n_features = 6, 3
    n_outputs = 1 if input_ndim == 3 else 2
    X3, y = sequence_data(rng, 80, n_steps, n_features, n_outputs)
    y = 10.0 * y + 3.0  # units far from the standardised scale
    if n_outputs == 1:
        y = y.ravel()
    if input_ndim == 3:
        X_fit, kwargs = X3, {}
    else:
        X_fit, kwargs = X3.reshape(len(X3), -1), {"n_features_per_step": n_features}
    # without the linear path: this test loads torch's own RNN + Linear by hand
    # (test_linear_path_exports_to_torch adds the path)
    model = RNNRegressor(cell=cell, hidden_size=5, n_layers=n_layers, activation=activation,
                         skip_connection=False,
                         max_iter=20, batch_size=16, random_state=0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_fit, y)

    # to_torch: the whole model, predict's values and shape
    module = export.to_torch(model)
    assert not module.training
    # torch_state_dict into torch's own modules, built as the docs say
    state = export.torch_state_dict(model)
    rnn_class = {"elman": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    kw = {"nonlinearity": activation} if cell == "elman" else {}
    rnn = rnn_class(n_features, 5, num_layers=n_layers, batch_first=True,
                    dtype=torch.float64, **kw)
    linear = torch.nn.Linear(5, model.n_outputs_, dtype=torch.float64)
    rnn.load_state_dict({k[4:]: torch.from_numpy(v) for k, v in state.items()
                         if k.startswith("rnn.")})
    linear.load_state_dict({k[7:]: torch.from_numpy(v) for k, v in state.items()
                            if k.startswith("linear.")})
    assert set(state) == set(module.state_dict())

    X_new, _ = sequence_data(rng, 30, n_steps, n_features, n_outputs)
    for X_check in (X3, X_new):
        X_in = X_check if input_ndim == 3 else X_check.reshape(len(X_check), -1)
        ours = model.predict(X_in)
        with torch.no_grad():
            theirs = module(torch.from_numpy(X_check)).numpy()
            plain = linear(rnn(torch.from_numpy(X_check))[0][:, -1]).numpy()
        assert theirs.shape == ours.shape
        err = np.max(np.abs(ours - theirs)) / np.max(np.abs(y))
        err_plain = np.max(np.abs(ours.reshape(plain.shape) - plain)) / np.max(np.abs(y))
        print(f"export {cell}-{activation} layers={n_layers} ndim={input_ndim}: "
              f"rel err {err:.2e}, plain modules {err_plain:.2e}")
        assert err < 1e-10 and err_plain < 1e-10
    # the model has learned something, so the check is not on a trivial output
    assert np.std(model.predict(X_fit)) > 0.1 * np.std(y)


@pytest.mark.parametrize("cell", ["elman", "gru", "lstm"])
def test_float32_model_exports_in_float32(cell):
    rng = np.random.RandomState(0)
    X, y = sequence_data(rng, 60, 5, 2, 1)
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = RNNRegressor(cell=cell, hidden_size=4, max_iter=3, random_state=0).fit(X, y)
    state = export.torch_state_dict(model)
    assert all(v.dtype == np.float32 and v.flags.c_contiguous for v in state.values())
    module = export.to_torch(model)
    with torch.no_grad():
        theirs = module(torch.from_numpy(X)).numpy()
    assert theirs.dtype == np.float32 and theirs.shape == (60, 1)
    np.testing.assert_allclose(theirs, model.predict(X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("input_ndim", [3, 2])
@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
def test_linear_path_exports_to_torch(cell, activation, input_ndim):
    """skip_connection=True: to_torch, and torch's own RNN + Linear + a bias-free
    Linear on ``X.flatten(1)`` loaded from torch_state_dict, predict what skrnn does."""
    rng = np.random.RandomState(40 + CELLS.index((cell, activation)))
    n_steps, n_features = 5, 2
    X3, y = sequence_data(rng, 80, n_steps, n_features, 2)
    y = 10.0 * y + 3.0 + 4.0 * X3[:, :, :1].sum(axis=1)  # a linear part as well
    X_fit = X3 if input_ndim == 3 else X3.reshape(len(X3), -1)
    kwargs = {} if input_ndim == 3 else {"n_features_per_step": n_features}
    model = RNNRegressor(cell=cell, hidden_size=4, activation=activation, max_iter=20,
                         batch_size=16, random_state=0, skip_connection=True, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_fit, y)
    assert model.skip_weights_.shape == (n_steps * n_features, 2)
    assert np.abs(model.skip_weights_).max() > 0.1  # it was trained, not left at zero

    state = export.torch_state_dict(model)
    # the input standardisation folded in: skip_weights_ reads (X - x_mean_) / x_scale_
    np.testing.assert_allclose(state["skip.weight"],
                               (model.skip_weights_ / np.tile(model.x_scale_, n_steps)[:, None]).T,
                               rtol=1e-15, atol=0)
    module = export.to_torch(model)
    assert set(state) == set(module.state_dict())
    rnn_class = {"elman": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    kw = {"nonlinearity": activation} if cell == "elman" else {}
    rnn = rnn_class(n_features, 4, batch_first=True, dtype=torch.float64, **kw)
    linear = torch.nn.Linear(4, 2, dtype=torch.float64)
    skip = torch.nn.Linear(n_steps * n_features, 2, bias=False, dtype=torch.float64)
    for prefix, part in (("rnn.", rnn), ("linear.", linear), ("skip.", skip)):
        part.load_state_dict({k[len(prefix):]: torch.from_numpy(v) for k, v in state.items()
                              if k.startswith(prefix)})
    X_new, _ = sequence_data(rng, 30, n_steps, n_features, 2)
    for X_check in (X3, X_new):
        X_in = X_check if input_ndim == 3 else X_check.reshape(len(X_check), -1)
        ours = model.predict(X_in)
        X_t = torch.from_numpy(X_check)
        with torch.no_grad():
            theirs = module(X_t).numpy()
            plain = (linear(rnn(X_t)[0][:, -1]) + skip(X_t.flatten(1))).numpy()
        scale = np.max(np.abs(y))
        assert np.max(np.abs(ours - theirs)) / scale < 1e-10
        assert np.max(np.abs(ours - plain)) / scale < 1e-10


# ------------------------------------------------------------ (b) gradients

@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_linear_path_backward_matches_torch_autograd(n_layers, cell, activation):
    rng = np.random.RandomState(70 + 10 * n_layers + CELLS.index((cell, activation)))
    layout, params, X, y = random_network(rng, cell, activation, n_layers, n_outputs=2,
                                          skip=True)
    w = rng.uniform(0.2, 3.0, len(X))
    loss, grads, y_hat, _ = numpy_loss_grad(
        params, np.ascontiguousarray(X.transpose(1, 0, 2)), y, w
    )
    module = torch_net(params)
    assert module.skip is not None
    t_loss = torch_loss(module, torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(w))
    t_loss.backward()
    t_grads = torch_to_flat(module, layout, grad=True)
    assert abs(loss - t_loss.item()) < 1e-12 * max(1.0, abs(loss))
    rel = np.max(np.abs(grads - t_grads)) / np.max(np.abs(t_grads))
    assert rel < 1e-10
    assert np.all(layout.params(t_grads).W_xy != 0)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("cell, activation", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("n_layers", [1, 2])
def test_backward_matches_torch_autograd(n_layers, cell, activation, weighted):
    rng = np.random.RandomState(10 * n_layers + CELLS.index((cell, activation)) + 5 * weighted)
    n_samples, n_outputs = 7, 3
    layout, params, X, y = random_network(rng, cell, activation, n_layers, n_outputs)
    w = rng.uniform(0.2, 3.0, n_samples) if weighted else np.ones(n_samples)

    X_tm = np.ascontiguousarray(X.transpose(1, 0, 2))
    loss, grads, y_hat, ws = numpy_loss_grad(params, X_tm, y, w)

    module = torch_net(params)
    out, h_n = module.rnn(torch.from_numpy(X))
    t_y_hat = module.linear(out[:, -1])
    err = t_y_hat - torch.from_numpy(y)
    w_t = torch.from_numpy(w)
    t_loss = 0.5 * (w_t * (err * err).sum(dim=1)).sum() / (w_t.sum() * n_outputs)
    t_loss.backward()
    t_grads = torch_to_flat(module, layout, grad=True)

    # same forward pass: outputs, top-layer states at every step, final states
    np.testing.assert_allclose(y_hat, t_y_hat.detach().numpy(), rtol=0, atol=1e-12)
    states = layout.order.to_batch_first(ws.layers[-1].H[1:])  # (n_samples, n_steps, hidden)
    np.testing.assert_allclose(states, out.detach().numpy(),
                               rtol=0, atol=1e-12)
    h_n = h_n[0] if cell == "lstm" else h_n
    for layer, last in enumerate(ws.states(X.shape[1])):
        np.testing.assert_allclose(last[0] if cell == "lstm" else last,
                                   h_n[layer].detach().numpy(),
                                   rtol=0, atol=1e-12)
    assert abs(loss - t_loss.item()) < 1e-12 * max(1.0, abs(loss))

    rel = np.max(np.abs(grads - t_grads)) / np.max(np.abs(t_grads))
    print(f"grads {cell}-{activation} layers={n_layers} weighted={weighted}: rel err {rel:.2e}")
    assert rel < 1e-10
    # the folded parts of torch's second bias got no gradient
    for k, mask in enumerate(trainable_bias_hh(layout)):
        g = getattr(module.rnn, f"bias_hh_l{k}").grad
        assert g is None if not mask.any() else np.all(g.numpy()[mask == 0] == 0)


# ------------------------------------------------ (c) optimizer trajectories

N_TRAIN_STEPS = 300


def run_training_parity(optimizer_name, cell, n_layers, activation, seed=0):
    rng = np.random.RandomState(seed)
    n_samples, n_steps, n_inputs, hidden, n_outputs = 64, 6, 3, 6, 2
    batch_size, max_norm = 16, 0.3
    layout = _network.Layout(cell, n_inputs, hidden, n_layers, n_outputs, activation)
    X, y = sequence_data(rng, n_samples, n_steps, n_inputs, n_outputs)
    y = (y - y.mean(0)) / y.std(0)
    X_tm = np.ascontiguousarray(X.transpose(1, 0, 2))
    theta = rng.uniform(-0.5, 0.5, size=layout.size)
    params = layout.params(theta)
    batches = [rng.choice(n_samples, batch_size, replace=False) for _ in range(N_TRAIN_STEPS)]

    module = torch_net(params)
    t_params = trainable(module)
    if optimizer_name == "adam":
        ours = AdamOptimizer(theta, learning_rate_init=1e-2)
        theirs = torch.optim.Adam(t_params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    else:
        nesterov = optimizer_name == "sgd-nesterov"
        ours = SGDOptimizer(theta, learning_rate_init=0.05, momentum=0.9, nesterov=nesterov)
        theirs = torch.optim.SGD(t_params, lr=0.05, momentum=0.9, nesterov=nesterov)

    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    ones = torch.ones(batch_size, dtype=torch.float64)
    n_clipped, worst_norm_err = 0, 0.0
    for batch in batches:
        _, grads, _, _ = numpy_loss_grad(params, X_tm[:, batch], y[batch], np.ones(batch_size))
        norm = clip_grad_norm(grads, max_norm)
        n_clipped += norm > max_norm
        ours.update_params(theta, grads)

        theirs.zero_grad()
        idx = torch.from_numpy(batch)
        torch_loss(module, X_t[idx], y_t[idx], ones).backward()
        t_norm = torch.nn.utils.clip_grad_norm_(t_params, max_norm).item()
        theirs.step()
        worst_norm_err = max(worst_norm_err, abs(norm - t_norm) / norm)

    diff = np.max(np.abs(theta - torch_to_flat(module, layout)))
    return diff, n_clipped, worst_norm_err, np.max(np.abs(theta))


@pytest.mark.parametrize(
    "optimizer_name, cell, n_layers, activation",
    [(opt, "elman", n_layers, act) for opt in ("adam", "sgd-nesterov")
     for n_layers in (1, 2) for act in ("tanh", "relu")]
    + [("sgd-momentum", "elman", 2, "tanh")]
    + [(opt, cell, n_layers, "tanh") for cell in ("gru", "lstm")
       for opt in ("adam", "sgd-nesterov") for n_layers in (1, 2)],
)
def test_training_trajectory_tracks_torch(optimizer_name, cell, n_layers, activation):
    diff, n_clipped, norm_err, theta_scale = run_training_parity(
        optimizer_name, cell, n_layers, activation
    )
    print(f"train {optimizer_name} {cell}-{activation} layers={n_layers}: max |theta diff| "
          f"{diff:.2e} after {N_TRAIN_STEPS} steps, clipped {n_clipped}x, "
          f"norm rel err {norm_err:.1e}, max |theta| {theta_scale:.2f}")
    assert n_clipped > 0  # clipping was exercised
    assert n_clipped < N_TRAIN_STEPS or optimizer_name == "adam"
    assert norm_err < 1e-10
    assert diff < 1e-8


def test_to_torch_without_torch_says_how_to_install(monkeypatch):
    import sys

    rng = np.random.RandomState(0)
    X, y = sequence_data(rng, 30, 4, 2, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = RNNRegressor(max_iter=1, random_state=0).fit(X, y)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="pip install torch"):
        export.to_torch(model)
    assert set(export.torch_state_dict(model)) >= {"linear.weight", "rnn.weight_ih_l0"}


def test_export_of_something_else_is_a_type_error():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), RNNRegressor())
    for function in (export.torch_state_dict, export.to_torch):
        with pytest.raises(TypeError, match=r"got Pipeline; for a Pipeline, export its last"):
            function(pipe)

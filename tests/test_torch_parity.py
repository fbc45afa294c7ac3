"""Parity with PyTorch: export, gradients and optimizer trajectories.

* A fitted RNNRegressor exported to ``torch.nn.RNN`` + ``torch.nn.Linear`` as
  documented in its docstring predicts the same values.
* ``_recurrence.backward`` equals torch autograd of the same loss.
* Training loops built from ``_recurrence`` + ``clip_grad_norm`` + our
  optimizers track ``torch.optim.Adam`` / ``torch.optim.SGD`` with
  ``clip_grad_norm_`` over a few hundred steps on identical mini-batches.
"""

import warnings

import numpy as np
import pytest

from skrnn import RNNRegressor, _recurrence
from skrnn._optimizers import AdamOptimizer, SGDOptimizer, clip_grad_norm
from skrnn._recurrence import Params

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def single_torch_thread():
    """Tiny tensors: torch's thread pool only costs time (a lot on a busy machine)."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


# --------------------------------------------------------------------- helpers

def make_torch_net(n_inputs, hidden_size, n_layers, n_outputs, activation):
    rnn = torch.nn.RNN(
        n_inputs, hidden_size, num_layers=n_layers, nonlinearity=activation,
        batch_first=True, dtype=torch.float64,
    )
    linear = torch.nn.Linear(hidden_size, n_outputs, dtype=torch.float64)
    for k in range(n_layers):  # the Elman network of skrnn has one bias per layer
        getattr(rnn, f"bias_hh_l{k}").requires_grad_(False)
    return rnn, linear


def trainable(rnn, linear):
    """Torch parameters in the order of the flat layout of ``Params``."""
    out = []
    for k in range(rnn.num_layers):
        out += [getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}"),
                getattr(rnn, f"bias_ih_l{k}")]
    return out + [linear.weight, linear.bias]


def load_into_torch(rnn, linear, W_xh, W_hh, b_h, W_hy, b_y):
    """Copy weights into torch exactly as the RNNRegressor docstring documents."""
    with torch.no_grad():
        for k in range(rnn.num_layers):
            getattr(rnn, f"weight_ih_l{k}").copy_(torch.from_numpy(np.asarray(W_xh[k]).T))
            getattr(rnn, f"weight_hh_l{k}").copy_(torch.from_numpy(np.asarray(W_hh[k]).T))
            getattr(rnn, f"bias_ih_l{k}").copy_(torch.from_numpy(np.asarray(b_h[k])))
            getattr(rnn, f"bias_hh_l{k}").zero_()
        linear.weight.copy_(torch.from_numpy(np.asarray(W_hy).T))
        linear.bias.copy_(torch.from_numpy(np.asarray(b_y)))


def load_flat_into_torch(rnn, linear, params):
    load_into_torch(rnn, linear, params.W_xh, params.W_hh, params.b_h, params.W_hy,
                    params.b_y)


def torch_to_flat(rnn, linear, sizes, grad=False):
    """Torch parameters (or their .grad) laid out like ``Params.flat``."""
    flat = np.zeros(Params.size(*sizes))
    p = Params(flat, *sizes)
    src = [(t.grad if grad else t).detach().numpy() for t in trainable(rnn, linear)]
    for k in range(rnn.num_layers):
        p.W_xh[k][...] = src[3 * k].T
        p.W_hh[k][...] = src[3 * k + 1].T
        p.b_h[k][...] = src[3 * k + 2]
    p.W_hy[...] = src[-2].T
    p.b_y[...] = src[-1]
    return flat


def torch_predict(rnn, linear, X):
    out, _ = rnn(torch.from_numpy(X))
    return linear(out[:, -1]).detach().numpy()


def torch_loss(rnn, linear, X_bf, y, w):
    """0.5 * sum_i w_i sum_k err_ik^2 / (sum_i w_i * n_outputs), batch-first X."""
    out, _ = rnn(X_bf)
    err = linear(out[:, -1]) - y
    return 0.5 * (w * (err * err).sum(dim=1)).sum() / (w.sum() * y.shape[1])


def numpy_loss_grad(params, X_tm, y, w, activation):
    y_hat, states = _recurrence.forward(params, X_tm, activation)
    err = y_hat - y
    n_outputs = y.shape[1]
    loss = 0.5 * float(w @ np.sum(err * err, axis=1)) / (w.sum() * n_outputs)
    d_y_hat = err * (w / (w.sum() * n_outputs))[:, None]
    grads = _recurrence.backward(params, X_tm, states, d_y_hat, activation)
    return loss, grads, y_hat, states


def sequence_data(rng, n_samples, n_steps, n_features, n_outputs):
    X = rng.normal(size=(n_samples, n_steps, n_features))
    cols = [X[:, :, 0].sum(axis=1), X[:, -1, -1] * X[:, 0, 0], np.sin(X[:, :, -1]).mean(1)]
    y = np.stack(cols[:n_outputs], axis=1) + 0.05 * rng.normal(size=(n_samples, n_outputs))
    return X, y


# ------------------------------------------------------- (a) export / predict

@pytest.mark.parametrize("input_ndim", [3, 2])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2])
def test_fitted_regressor_exports_to_torch(n_layers, activation, input_ndim):
    rng = np.random.RandomState(n_layers + 3 * (activation == "relu"))
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
    model = RNNRegressor(hidden_size=5, n_layers=n_layers, activation=activation,
                         max_iter=5, batch_size=16, random_state=0, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_fit, y)
    assert model.n_steps_ == n_steps and model.n_features_per_step_ == n_features

    rnn, linear = make_torch_net(n_features, 5, n_layers, model.n_outputs_, activation)
    load_into_torch(rnn, linear, model.input_weights_, model.recurrent_weights_,
                    model.hidden_biases_, model.output_weights_, model.output_bias_)

    X_new, _ = sequence_data(rng, 30, n_steps, n_features, n_outputs)
    for X_check in (X3, X_new):
        X_in = X_check if input_ndim == 3 else X_check.reshape(len(X_check), -1)
        ours = model.predict(X_in).reshape(len(X_check), -1)
        with torch.no_grad():
            theirs = torch_predict(rnn, linear, X_check)
        err = np.max(np.abs(ours - theirs)) / np.max(np.abs(y))
        print(f"export layers={n_layers} {activation} ndim={input_ndim}: rel err {err:.2e}")
        assert err < 1e-10
    # the model has learned something, so the check is not on a trivial output
    assert np.std(model.predict(X_fit)) > 0.1 * np.std(y)


# ------------------------------------------------------------ (b) gradients

@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_layers", [1, 2])
def test_backward_matches_torch_autograd(n_layers, activation, weighted):
    rng = np.random.RandomState(10 * n_layers + (activation == "relu") + 2 * weighted)
    n_samples, n_steps, n_inputs, hidden, n_outputs = 7, 6, 3, 5, 3
    sizes = (n_inputs, hidden, n_layers, n_outputs)
    theta = rng.normal(scale=0.5, size=Params.size(*sizes))
    params = Params(theta, *sizes)
    if activation == "relu":
        for b in params.b_h:
            b += 0.3
    X, y = sequence_data(rng, n_samples, n_steps, n_inputs, n_outputs)
    w = rng.uniform(0.2, 3.0, n_samples) if weighted else np.ones(n_samples)

    X_tm = np.ascontiguousarray(X.transpose(1, 0, 2))
    loss, grads, y_hat, states = numpy_loss_grad(params, X_tm, y, w, activation)

    rnn, linear = make_torch_net(n_inputs, hidden, n_layers, n_outputs, activation)
    load_flat_into_torch(rnn, linear, params)
    X_t = torch.from_numpy(X)
    out, h_n = rnn(X_t)
    t_y_hat = linear(out[:, -1])
    err = t_y_hat - torch.from_numpy(y)
    w_t = torch.from_numpy(w)
    t_loss = 0.5 * (w_t * (err * err).sum(dim=1)).sum() / (w_t.sum() * n_outputs)
    t_loss.backward()
    t_grads = torch_to_flat(rnn, linear, sizes, grad=True)

    # same forward pass: outputs, top-layer states at every step, final states
    np.testing.assert_allclose(y_hat, t_y_hat.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(states[-1][1:].transpose(1, 0, 2), out.detach().numpy(),
                               rtol=0, atol=1e-12)
    for layer in range(n_layers):
        np.testing.assert_allclose(states[layer][-1], h_n[layer].detach().numpy(),
                                   rtol=0, atol=1e-12)
    assert abs(loss - t_loss.item()) < 1e-12 * max(1.0, abs(loss))

    rel = np.max(np.abs(grads - t_grads)) / np.max(np.abs(t_grads))
    print(f"grads layers={n_layers} {activation} weighted={weighted}: rel err {rel:.2e}")
    assert rel < 1e-10
    # torch's second bias stays frozen at zero, as in the documented export
    for k in range(n_layers):
        assert getattr(rnn, f"bias_hh_l{k}").grad is None


# ------------------------------------------------ (c) optimizer trajectories

N_TRAIN_STEPS = 300


def run_training_parity(optimizer_name, n_layers, activation, seed=0):
    rng = np.random.RandomState(seed)
    n_samples, n_steps, n_inputs, hidden, n_outputs = 64, 6, 3, 6, 2
    batch_size, max_norm = 16, 0.3
    sizes = (n_inputs, hidden, n_layers, n_outputs)
    X, y = sequence_data(rng, n_samples, n_steps, n_inputs, n_outputs)
    y = (y - y.mean(0)) / y.std(0)
    X_tm = np.ascontiguousarray(X.transpose(1, 0, 2))
    theta = rng.uniform(-0.5, 0.5, size=Params.size(*sizes))
    params = Params(theta, *sizes)
    batches = [rng.choice(n_samples, batch_size, replace=False) for _ in range(N_TRAIN_STEPS)]

    rnn, linear = make_torch_net(n_inputs, hidden, n_layers, n_outputs, activation)
    load_flat_into_torch(rnn, linear, params)
    t_params = trainable(rnn, linear)
    if optimizer_name == "adam":
        ours = AdamOptimizer(theta, learning_rate_init=1e-2)
        theirs = torch.optim.Adam(t_params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    else:
        nesterov = optimizer_name == "sgd-nesterov"
        ours = SGDOptimizer(theta, learning_rate_init=0.05, momentum=0.9, nesterov=nesterov)
        theirs = torch.optim.SGD(t_params, lr=0.05, momentum=0.9, nesterov=nesterov)

    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    n_clipped, worst_norm_err = 0, 0.0
    for batch in batches:
        w = np.ones(batch_size)
        _, grads, _, _ = numpy_loss_grad(params, X_tm[:, batch], y[batch], w, activation)
        norm = clip_grad_norm(grads, max_norm)
        n_clipped += norm > max_norm
        ours.update_params(theta, grads)

        theirs.zero_grad()
        idx = torch.from_numpy(batch)
        torch_loss(rnn, linear, X_t[idx], y_t[idx], torch.ones(batch_size,
                                                               dtype=torch.float64)).backward()
        t_norm = torch.nn.utils.clip_grad_norm_(t_params, max_norm).item()
        theirs.step()
        worst_norm_err = max(worst_norm_err, abs(norm - t_norm) / norm)

    diff = np.max(np.abs(theta - torch_to_flat(rnn, linear, sizes)))
    return diff, n_clipped, worst_norm_err, np.max(np.abs(theta))


@pytest.mark.parametrize(
    "optimizer_name, n_layers, activation",
    [(opt, n_layers, act) for opt in ("adam", "sgd-nesterov")
     for n_layers in (1, 2) for act in ("tanh", "relu")]
    + [("sgd-momentum", 2, "tanh")],
)
def test_training_trajectory_tracks_torch(optimizer_name, n_layers, activation):
    diff, n_clipped, norm_err, theta_scale = run_training_parity(
        optimizer_name, n_layers, activation
    )
    print(f"train {optimizer_name} layers={n_layers} {activation}: max |theta diff| "
          f"{diff:.2e} after {N_TRAIN_STEPS} steps, clipped {n_clipped}x, "
          f"norm rel err {norm_err:.1e}, max |theta| {theta_scale:.2f}")
    assert n_clipped > 0  # clipping was exercised
    assert n_clipped < N_TRAIN_STEPS or optimizer_name == "adam"
    assert norm_err < 1e-10
    assert diff < 1e-8

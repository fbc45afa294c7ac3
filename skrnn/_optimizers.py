"""Stochastic optimizers and gradient clipping.

They know nothing about recurrent networks: each works on one flat parameter
vector and the flat gradient of the same shape, updates the parameters in
place and keeps its own state (velocities, moments, step count), so the same
optimizer object can be reused across ``partial_fit`` calls.
"""

import math

import numpy as np


class SGDOptimizer:
    """Stochastic gradient descent with momentum and optional Nesterov momentum.

    With ``v`` the velocity (zero at start)::

        v = momentum * v - learning_rate * grad
        params += momentum * v - learning_rate * grad   if nesterov
        params += v                                     otherwise

    This is scikit-learn's ``SGDOptimizer`` formulation; with a constant
    learning rate it produces the same iterates as ``torch.optim.SGD``.
    """

    KIND = "sgd"  # its name in a saved model
    STATE = ("velocity",)  # the arrays of its state, shaped like the parameters

    def __init__(self, params, learning_rate_init=0.1, momentum=0.9, nesterov=True):
        self.learning_rate = learning_rate_init
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros_like(params)
        self.t = 0

    def update_params(self, params, grads):
        """Apply one update to ``params`` in place."""
        self.t += 1
        self.velocity *= self.momentum
        self.velocity -= self.learning_rate * grads
        if self.nesterov:
            params += self.momentum * self.velocity - self.learning_rate * grads
        else:
            params += self.velocity


class AdamOptimizer:
    """Adam (Kingma & Ba, 2015, Algorithm 1), the formulation of ``torch.optim.Adam``.

    With ``t`` the step number (starting at 1)::

        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad ** 2
        params -= learning_rate * (m / (1 - beta_1 ** t))
                  / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
    """

    KIND = "adam"
    STATE = ("m", "v")

    def __init__(self, params, learning_rate_init=1e-3, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8):
        self.learning_rate = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.m = np.zeros_like(params)
        self.v = np.zeros_like(params)
        self.t = 0
        self._buffer = np.empty_like(params)

    def update_params(self, params, grads):
        """Apply one update to ``params`` in place."""
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        buf = self._buffer
        np.subtract(grads, self.m, out=buf)
        buf *= 1.0 - b1
        self.m += buf  # first moment: m = b1 m + (1 - b1) g
        np.multiply(grads, grads, out=buf)
        buf -= self.v
        buf *= 1.0 - b2
        self.v += buf  # second moment: v = b2 v + (1 - b2) g^2
        # m_hat / (sqrt(v_hat) + eps) = c m / (sqrt(v) + eps c), c = sqrt(1 - b2^t)
        c = math.sqrt(1.0 - b2**self.t)
        np.sqrt(self.v, out=buf)
        buf += self.epsilon * c
        np.divide(self.m, buf, out=buf)
        buf *= self.learning_rate * c / (1.0 - b1**self.t)
        params -= buf


def optimizer_state(optimizer):
    """``(kind, t, {name: array})``: what continuing the optimizer needs."""
    return optimizer.KIND, optimizer.t, {name: getattr(optimizer, name) for name in optimizer.STATE}


def load_optimizer_state(optimizer, t, arrays):
    """Set the step count and copy ``arrays`` (as :func:`optimizer_state` names them)
    into ``optimizer``'s state."""
    optimizer.t = t
    for name in optimizer.STATE:
        getattr(optimizer, name)[...] = arrays[name]


def clip_grad_norm(grads, max_norm):
    """Scale ``grads`` in place so that its L2 norm is at most ``max_norm``.

    Same rule as ``torch.nn.utils.clip_grad_norm_``: the gradient is multiplied
    by ``max_norm / (norm + 1e-6)`` when that factor is below 1.

    Returns
    -------
    norm : float
        The norm before clipping.
    """
    norm = math.sqrt(float(np.dot(grads, grads)))
    if max_norm is not None:
        coef = max_norm / (norm + 1e-6)
        if coef < 1.0:
            grads *= coef
    return norm


def learning_rate(estimator):
    """The estimator's ``learning_rate_init``, with "auto" resolved for its cell."""
    if estimator.learning_rate_init == "auto":
        from ._cells import get_cell

        return get_cell(estimator.cell).AUTO_LEARNING_RATE
    return estimator.learning_rate_init


def make_optimizer(estimator, solver=None):
    """A fresh optimizer of ``solver`` (default: the estimator's) for its ``_theta``."""
    if (solver or estimator.solver) == "adam":
        return AdamOptimizer(estimator._theta, learning_rate(estimator), estimator.beta_1,
                             estimator.beta_2, estimator.epsilon)
    return SGDOptimizer(estimator._theta, learning_rate(estimator), estimator.momentum,
                        estimator.nesterovs_momentum)


def for_estimator(estimator, optimizer=None):
    """``optimizer`` with the estimator's current settings (its state kept), or a new
    one when there is none or the solver changed."""
    wanted = AdamOptimizer if estimator.solver == "adam" else SGDOptimizer
    if not isinstance(optimizer, wanted):
        optimizer = make_optimizer(estimator)
    optimizer.learning_rate = learning_rate(estimator)
    if estimator.solver == "adam":
        optimizer.beta_1, optimizer.beta_2 = estimator.beta_1, estimator.beta_2
        optimizer.epsilon = estimator.epsilon
    else:
        optimizer.momentum, optimizer.nesterov = estimator.momentum, estimator.nesterovs_momentum
    return optimizer

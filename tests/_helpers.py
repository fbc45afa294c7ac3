"""What several test modules share: the central-difference gradient, the cells
they loop over, and the settings of a fit that runs exactly ``max_iter`` epochs."""

import numpy as np

EPS = 1e-6  # the central difference's step
RTOL = 1e-6  # its agreement with the analytical gradient
# relu: no pre-activation may lie this close to the kink at 0, so that a
# perturbation of EPS in any parameter cannot move a unit across it
KINK_MARGIN = 1e-3

# (cell, activation): the Elman cell with both activations, the gated cells
CELLS = [("elman", "tanh"), ("elman", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
CELL_IDS = [f"{c}-{a}" for c, a in CELLS]

# a fit that runs exactly max_iter epochs on all the data: no validation tail,
# no tol stop
QUIET = dict(early_stopping=False, tol=0.0, n_iter_no_change=10_000)


def relative_error(numerical, analytical):
    scale = max(np.max(np.abs(numerical)), np.max(np.abs(analytical)), 1e-300)
    return np.max(np.abs(numerical - analytical)) / scale


def copy_states(states):
    return [tuple(np.copy(a) for a in s) if isinstance(s, tuple) else s.copy() for s in states]


def numerical_gradient(f, theta):
    """Central differences of the scalar ``f`` at every entry of ``theta``."""
    grad = np.empty_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += EPS
        minus[i] -= EPS
        grad[i] = (f(plus) - f(minus)) / (2 * EPS)
    return grad


class Callback:
    """A scikit-learn callback that does nothing: tests override the hooks they need."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        return False

"""The training loop: what one epoch does, early stopping, and when a fit has diverged.

The estimator (:class:`skrnn._base.BaseRNN`) validates the input, builds the
network and the optimizer, and hands them here. :func:`train` runs the
epochs; :func:`run_epoch` is one pass over the data in mini-batches;
:class:`Patience` is the ``tol`` / ``n_iter_no_change`` rule, on the training
loss or on the validation part, and keeps the best weights. The state before
the first epoch is the first candidate of early stopping: a fit whose network
never lowers the validation error ends with the weights it started from (for
the regressor, the ridge fit of its linear path).
"""

import math
import time
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from . import _network, _optimizers
from ._denormals import flush_denormals
from ._optimizers import clip_grad_norm
from ._warnings import warn

# A loss this many times its starting value means the fit has blown up, even if
# it is still finite. The start is the first epoch's loss (for a batch of the
# first epoch: the first batch's), but at least the head's baseline loss (the
# loss of a constant prediction).
DIVERGENCE_RATIO = 1e3
# Samples per forward pass in predict, so memory does not grow with n_samples;
# 256 keeps a chunk's buffers small enough to stay in cache: measured fastest or
# within 15 % of it among 128-1024 for every cell at hidden 16, 64 and 256
PREDICT_CHUNK = 256


class TrainingData(NamedTuple):
    """What the epochs train on: the time-major input of the network, the training
    targets, the sample weights (None: all 1) and the valid steps (None: no padding)."""

    X_tm: np.ndarray
    target: np.ndarray
    sample_weight: np.ndarray | None
    lengths: np.ndarray | None


class HoldOut(NamedTuple):
    """The validation part of early stopping: batch-first input, training targets,
    the targets as given (for the head's score), weights and valid steps."""

    X: np.ndarray
    target: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    lengths: np.ndarray | None


def batch_size_of(model, n_samples):
    """The mini-batch size: ``batch_size``, "auto" meaning 64, at most ``n_samples``."""
    return min(64 if model.batch_size == "auto" else model.batch_size, n_samples)


def run_epoch(model, data, penalty):
    """One pass over ``data`` in mini-batches; returns (mean loss, mean gradient norm).

    ``penalty`` is the L2 coefficient of each entry of the flat parameter
    vector (0 for biases), or None for no penalty.
    """
    axis = model._layout.order.samples_axis
    X_tm, target, sample_weight, lengths = data
    n_samples = X_tm.shape[axis]
    batch_size = batch_size_of(model, n_samples)
    order = model._rng.permutation(n_samples) if model.shuffle else None
    theta, params, loss_function = model._theta, model._params, model._loss
    frozen = model._frozen_entries()
    workspaces = {}  # batch size -> buffers reused by every batch of that size
    total_loss, total_weight, norms, first_loss = 0.0, 0.0, [], None
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        ws = workspaces.get(stop - start)
        if ws is None:
            ws = workspaces[stop - start] = _network.Workspace(
                model._layout, X_tm.shape[0], stop - start, theta.dtype
            )
        batch = slice(start, stop) if order is None else order[start:stop]
        w = None
        if sample_weight is None:  # every sample weighs 1
            w_sum = float(stop - start)
        else:
            w = sample_weight[batch]
            w_sum = float(w.sum())
            if w_sum == 0.0:
                continue  # a batch of zero-weight samples carries no gradient
        if order is None:
            ws.X[...] = X_tm[(slice(None),) * axis + (batch,)]
            ws.y[...] = target[batch]
        else:
            X_tm.take(batch, axis=axis, out=ws.X, mode="clip")  # indices are valid
            target.take(batch, axis=0, out=ws.y, mode="clip")
        batch_lengths = None if lengths is None else lengths[batch]
        y_hat, pass_ws = _network.forward(params, workspace=ws, lengths=batch_lengths)
        loss, d_y_hat = loss_function(y_hat, ws.y, w, w_sum, ws.err, ws.d_y_hat)
        grads = _network.backward(params, pass_ws, d_y_hat, model.bptt_steps)
        if penalty is not None:
            weights = theta * penalty  # d (0.5 sum(penalty * theta**2)) / d theta
            loss += 0.5 * float(np.dot(weights, theta)) / w_sum
            weights /= w_sum
            grads += weights
        if frozen is not None:
            grads[frozen] = 0.0
        norm = clip_grad_norm(grads, model.clip_grad_norm)
        if not (math.isfinite(loss) and math.isfinite(norm)):
            raise_diverged(
                model, f"the {'loss' if not math.isfinite(loss) else 'gradient norm'} "
                f"became non-finite in epoch {model.n_iter_ + 1}"
            )
        if model.n_iter_ == 0:  # a blow-up inside the very first epoch
            first_loss = loss if first_loss is None else first_loss
            check_divergence(model, loss, first_loss, "in epoch 1 (first batch to now)")
        model._optimizer.update_params(theta, grads)
        total_loss += loss * w_sum
        total_weight += w_sum
        norms.append(norm)
    return total_loss / total_weight, float(np.mean(norms))


def check_divergence(model, loss, start, where):
    if loss > DIVERGENCE_RATIO * max(start, model._baseline_loss):
        raise_diverged(
            model, f"the training loss grew from {start:.4g} to {loss:.4g} {where}, "
            f"more than {DIVERGENCE_RATIO:g} times ({model._baseline_text})"
        )


def raise_diverged(model, what):
    """Restore the best weights so far and say that the fit diverged."""
    model._theta[...] = model._best_theta
    model._set_public_attributes()
    raise ValueError(
        f"{type(model).__name__} diverged: {what}. Use a smaller learning_rate_init "
        f"(now {_optimizers.learning_rate(model):g}) or clip the gradient with "
        f"clip_grad_norm (now {model.clip_grad_norm})."
    )


def evaluate(model, holdout):
    """``(loss, score)`` of the current weights on the validation part."""
    y_hat = _network.predict(model._params, holdout.X, PREDICT_CHUNK, holdout.lengths)
    w = holdout.sample_weight
    loss, _ = model._loss(y_hat, holdout.target, w, float(w.sum()))
    return loss, float(model._validation_score(y_hat, holdout.y, w))


class Patience:
    """The ``tol`` rule and the best weights.

    With a validation part it monitors the validation score (or, for heads
    that say so, minus the validation loss) and keeps the weights of the best
    epoch; the weights it starts with are the first candidate. Without one it
    monitors the training loss.
    """

    def __init__(self, model, holdout):
        self.model, self.holdout = model, holdout
        model._best_theta = model._theta.copy()
        model._best_epoch = model._fit_start_epoch = model.n_iter_
        if holdout is not None:
            start_loss, start_score = evaluate(model, holdout)
            model._best_monitored = self._monitored(start_loss, start_score)
            model.best_validation_score_ = start_score

    def _monitored(self, loss, score):
        return -loss if self.model._monitor_validation_loss else score

    def update(self):
        """After an epoch: keep its weights if they are the best; True when
        ``n_iter_no_change`` epochs have not improved by ``tol``."""
        model = self.model
        if self.holdout is not None:
            score = self._monitored(model.validation_loss_curve_[-1],
                                    model.validation_scores_[-1])
            best = model._best_monitored
        else:
            score, best = -model.loss_, -model.best_loss_
        if score < best + model.tol:
            model._no_improvement_count += 1
        else:
            model._no_improvement_count = 0
        if score > best:
            model._best_theta[...] = model._theta
            model._best_epoch = model.n_iter_
            if self.holdout is not None:
                model._best_monitored = score
                model.best_validation_score_ = model.validation_scores_[-1]
            else:
                model.best_loss_ = model.loss_
        return model._no_improvement_count > model.n_iter_no_change


def train(model, data, holdout, n_epochs, incremental, context, hooks, penalty):
    """Run up to ``n_epochs`` epochs, with the stopping rules; returns why it ended:
    "tol", "callback", "max_iter" or "partial_fit" (one epoch).

    Each epoch is a sub-task of ``context`` for the callbacks; ``hooks`` are the
    keyword arguments of their hooks (the user's ``X``, ``y`` and metadata).
    """
    start_time = time.perf_counter()
    patience = Patience(model, holdout)
    for _ in range(n_epochs):
        epoch = context.subcontext(task_name="epoch")
        epoch.call_on_fit_task_begin(
            estimator=model, **hooks, reconstruction_attributes=model._reconstruction_attributes
        )
        with flush_denormals():  # subnormal numbers would slow every operation down
            loss, grad_norm = run_epoch(model, data, penalty)
        model.n_iter_ += 1
        model.t_ += data.X_tm.shape[model._layout.order.samples_axis]
        model.loss_ = loss
        model.loss_curve_.append(loss)
        model.grad_norm_curve_.append(grad_norm)
        check_divergence(model, loss, model.loss_curve_[0],
                         f"in epoch {model.n_iter_} (epoch 1 to now)")
        val_loss = None
        if holdout is not None:
            val_loss, val_score = evaluate(model, holdout)
            model.validation_loss_curve_.append(val_loss)
            model.validation_scores_.append(val_score)
        if model.verbose:
            val_text = "" if val_loss is None else f", validation loss = {val_loss:.6f}"
            print(f"Epoch {model.n_iter_}: loss = {loss:.6f}{val_text}, "
                  f"{time.perf_counter() - start_time:.2f} s")
        converged = patience.update()
        stop = epoch.call_on_fit_task_end(
            estimator=model, **hooks, reconstruction_attributes=model._reconstruction_attributes
        )
        if incremental:
            continue  # partial_fit runs its one epoch whatever the rules say
        if converged:
            return "tol"
        if stop:
            return "callback"
    if incremental:
        return "partial_fit"
    warn(
        f"{type(model).__name__}: maximum iterations ({model.max_iter}) reached "
        "and the optimization has not converged yet.",
        ConvergenceWarning,
    )
    return "max_iter"


def stop_message(model, reason, use_validation):
    """Why training ended, for ``verbose``."""
    epochs = f"after epoch {model.n_iter_}"
    restored = ""
    if use_validation:
        restored = (f"; restored the weights of epoch {model._best_epoch}, the best on the "
                    "validation part")
        if model._best_epoch == model._fit_start_epoch:  # no epoch of this fit did better
            start = (f"the weights after epoch {model._best_epoch}" if model._best_epoch else
                     "the ridge fit of the linear path" if model._layout.skip_steps else
                     "the initial weights")
            restored = (f"; kept the weights it started from, {start}: no epoch improved "
                        "on them on the validation part")
    monitored = ("validation loss" if model._monitor_validation_loss else
                 "validation score") if use_validation else "training loss"
    return {
        "tol": f"Stopped {epochs}: the {monitored} did not improve by at least "
               f"tol={model.tol:g} for {model.n_iter_no_change} epochs{restored}.",
        "callback": f"Stopped {epochs}: a callback asked to stop{restored}.",
        "max_iter": f"Stopped {epochs}: max_iter={model.max_iter} reached without "
                    f"converging{restored}.",
        "partial_fit": f"partial_fit ran epoch {model.n_iter_}.",
        "interrupted": f"Interrupted in epoch {model.n_iter_ + 1}; kept the best weights "
                       "so far.",
    }[reason]


def hold_out(model, X, target, y, sample_weight, lengths, rng):
    """``((X, target, sample_weight, lengths) of the training part, HoldOut)``:
    the validation part of early stopping."""
    n_samples = X.shape[0]
    n_val = int(np.ceil(model.validation_fraction * n_samples))
    if n_val < 1 or n_val >= n_samples:
        raise ValueError(
            f"early_stopping with validation_fraction={model.validation_fraction} "
            f"leaves no training or no validation samples out of {n_samples}."
        )
    train, held_out = model._validation_split(n_samples, n_val, y, rng)
    holdout = HoldOut(
        X[held_out], target[held_out], y[held_out], sample_weight[held_out],
        None if lengths is None else lengths[held_out],
    )
    model._check_validation_part(holdout.y)
    if not np.any(sample_weight[train] > 0) or not np.any(holdout.sample_weight > 0):
        raise ValueError(
            "early_stopping: the training part or the validation part has "
            "zero total sample_weight."
        )
    part = (X[train], target[train], sample_weight[train],
            None if lengths is None else lengths[train])
    return part, holdout

"""The training state: what ``fit`` leaves on an estimator beside the weights, the
optimizer, the generator and the heads' own state, listed once.

``fit`` starts it (:func:`start`), the training loop (:mod:`skrnn._training`)
and ``BaseRNN._reset_curves`` update it, the callbacks get a copy of its curves
(:func:`copy_curves`), and a saved model stores it (:func:`to_json`,
:func:`curve_arrays`) and restores it (:func:`restore`). A field added here is
saved, restored and copied everywhere; the file's names are the second column.
"""

from numbers import Real

# attribute -> key in a saved model's "fitted": integer counters
COUNTERS = {"n_iter_": "n_iter_", "t_": "t_", "_no_improvement_count": "no_improvement_count"}
# float or None
SCORES = ("loss_", "best_loss_", "best_validation_score_")
# attribute -> array member: per-epoch curves (the validation ones None without
# early stopping)
CURVES = {"loss_curve_": "loss_curve", "grad_norm_curve_": "grad_norm_curve",
          "validation_loss_curve_": "validation_loss_curve",
          "validation_scores_": "validation_scores"}
VALIDATION_CURVES = ("validation_loss_curve_", "validation_scores_")


def start(model):
    """The state of a network before its first epoch."""
    model.n_iter_, model.t_, model._no_improvement_count = 0, 0, 0
    model.loss_curve_, model.grad_norm_curve_ = [], []
    model.best_epoch_ = None  # set when fit ends (and kept by a divergence)


def copy_curves(model):
    """The curves as new lists (None stays None): a copy that never changes."""
    out = {}
    for name in CURVES:
        value = getattr(model, name, None)
        out[name] = None if value is None else list(value)
    return out


def to_json(model):
    """The scalar state as JSON values, under the file's keys."""
    out = {key: int(getattr(model, name)) for name, key in COUNTERS.items()}
    for name in SCORES:
        value = model.__dict__.get(name)  # no loss_ if epoch 1 was interrupted
        out[name] = None if value is None else float(value)
    out["best_epoch_"] = None if model.best_epoch_ is None else int(model.best_epoch_)
    out["early_stopping_curves"] = model.validation_scores_ is not None
    return out


def curve_arrays(model):
    """The curves as float64 arrays, under the file's member names."""
    import numpy as np

    return {key: np.asarray(getattr(model, name), dtype=np.float64)
            for name, key in CURVES.items() if getattr(model, name) is not None}


def restore(model, fitted, arrays, count):
    """Set the state from a saved model's checked ``fitted`` values and arrays;
    ``count(fitted, key, minimum)`` reads a checked integer."""
    for name, key in COUNTERS.items():
        setattr(model, name, count(fitted, key, 0))
    for name, key in CURVES.items():
        setattr(model, name, arrays[key].tolist() if key in arrays else None)
    best_epoch = fitted["best_epoch_"]
    if best_epoch is not None:
        best_epoch = count(fitted, "best_epoch_", 0)
        if best_epoch > model.n_iter_:
            raise ValueError("invalid skrnn model file: best_epoch_ is beyond n_iter_")
    model.best_epoch_ = best_epoch
    for name in SCORES:
        value = fitted[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, Real)):
            raise ValueError(f"invalid skrnn model file: {name} must be a number or null")
        if value is not None or name != "loss_":  # no loss_ if epoch 1 was interrupted
            setattr(model, name, None if value is None else float(value))
    if (model.validation_scores_ is not None) != (model.best_validation_score_ is not None):
        raise ValueError(
            "invalid skrnn model file: best_validation_score_ must be set exactly "
            "when the validation curves are"
        )

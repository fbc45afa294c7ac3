"""A fitted estimator's pickle in plain data: arrays, numbers, strings and dicts.

A pickle names the class of every object in it, and whoever loads it must
trust those classes (darts' ``SKLearnModel.load`` asks for an allow-list, and
reported ``skrnn._network.Layout`` and ``skrnn._optimizers.AdamOptimizer``,
private names, one at a time). So the estimator's state is pickled with its
internal objects as dicts, and rebuilt from them on unpickling: the pickle
references no skrnn class but the estimator's own (and NumPy's arrays and
random state, and nothing of scikit-learn's). The round trip stays exact:
the same arrays, the same optimizer state, the same random state.

Pickles written before this (with the objects themselves) still load.
"""

import numpy as np
from sklearn.preprocessing import LabelBinarizer

from . import _network, _optimizers

_OPTIMIZERS = {cls.KIND: cls for cls in (_optimizers.AdamOptimizer, _optimizers.SGDOptimizer)}
_SCRATCH = ("_buffer",)  # an optimizer's work arrays: made again, not pickled


def _layout_to_plain(layout):
    names = ("cell", "n_inputs", "hidden_size", "n_layers", "n_outputs", "activation",
             "skip_steps", "patch_length", "readout")
    return dict(zip(names, layout.__reduce__()[1]))


def _optimizer_to_plain(optimizer):
    fields = {k: v for k, v in vars(optimizer).items() if k not in _SCRATCH}
    return {"kind": optimizer.KIND, "fields": fields}


def _optimizer_from_plain(plain):
    optimizer = _OPTIMIZERS[plain["kind"]].__new__(_OPTIMIZERS[plain["kind"]])
    vars(optimizer).update(plain["fields"])
    if hasattr(optimizer, "m"):  # Adam's scratch buffer
        optimizer._buffer = np.empty_like(optimizer.m)
    return optimizer


def _binarizer_from_plain(fields):
    binarizer = LabelBinarizer.__new__(LabelBinarizer)
    vars(binarizer).update(fields)
    return binarizer


# attribute -> (its type, to plain data, from plain data)
_CONVERSIONS = {
    "_layout": (_network.Layout, _layout_to_plain, lambda plain: _network.Layout(**plain)),
    "_optimizer": ((_optimizers.AdamOptimizer, _optimizers.SGDOptimizer), _optimizer_to_plain,
                   _optimizer_from_plain),
    "_label_binarizer": (LabelBinarizer, lambda b: dict(vars(b)), _binarizer_from_plain),
}


def to_plain(state):
    """``state`` (an estimator's ``__dict__``, copied) with its objects as dicts."""
    state = dict(state)
    for name, (kind, to_data, _) in _CONVERSIONS.items():
        if isinstance(state.get(name), kind):
            state[name] = to_data(state[name])
    return state


# parameters added after models were pickled, and the values those models had (not
# the current defaults, which may change)
_ADDED_PARAMETERS = {"patch_length": 1, "readout": "last", "flat_order": "time_major",
                     "loss": "squared_error", "quantile": None}


def from_plain(state, estimator_class):
    """The estimator's state with its objects rebuilt (older pickles hold the objects)
    and the parameters ``estimator_class`` added since it was pickled at the values it
    was fitted with."""
    parameters = estimator_class._get_param_names()
    state = {**{k: v for k, v in _ADDED_PARAMETERS.items() if k in parameters}, **state}
    for name, (kind, _, from_data) in _CONVERSIONS.items():
        if isinstance(state.get(name), dict):
            state[name] = from_data(state[name])
    return state

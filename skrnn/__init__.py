"""skrnn: a NumPy recurrent neural network with the scikit-learn estimator API."""

from . import datasets, exceptions, export, incremental, persistence
from ._version import __version__
from ._classifier import RNNClassifier
from ._regressor import RNNRegressor
from ._sequences import StepTransformer, pad_sequences
from ._windower import SequenceWindower, multi_step_target, predict_with_history
from .persistence import load_model, save_model

__all__ = [
    "RNNClassifier",
    "RNNRegressor",
    "SequenceWindower",
    "StepTransformer",
    "datasets",
    "exceptions",
    "export",
    "incremental",
    "load_model",
    "multi_step_target",
    "pad_sequences",
    "persistence",
    "predict_with_history",
    "save_model",
    "__version__",
]

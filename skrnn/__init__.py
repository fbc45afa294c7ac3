"""skrnn: a NumPy recurrent neural network with the scikit-learn estimator API."""

__version__ = "0.2.0"

from . import datasets, exceptions, export, incremental, persistence  # noqa: E402
from ._classifier import RNNClassifier  # noqa: E402
from ._regressor import RNNRegressor  # noqa: E402
from ._sequences import StepTransformer, pad_sequences  # noqa: E402
from ._windower import SequenceWindower, multi_step_target  # noqa: E402
from .persistence import load_model, save_model  # noqa: E402

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
    "save_model",
    "__version__",
]

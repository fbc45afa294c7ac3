"""skrnn: a NumPy recurrent neural network with the scikit-learn estimator API."""

from . import datasets
from ._regressor import RNNRegressor
from ._windower import SequenceWindower

__version__ = "0.1.0"

__all__ = ["RNNRegressor", "SequenceWindower", "datasets", "__version__"]

"""The version of skrnn (one home: the package, pickles and saved models read it)."""

__version__ = "0.3.0"

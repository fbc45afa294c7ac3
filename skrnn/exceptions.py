"""Warnings raised by skrnn."""

__all__ = ["InconsistentVersionWarning"]


class InconsistentVersionWarning(UserWarning):
    """A model is loaded under another skrnn version than the one that saved it.

    Raised when unpickling an :class:`~skrnn.RNNRegressor` (the pickle records
    the skrnn version in ``_skrnn_version``) and by
    :func:`skrnn.persistence.load_model`, as scikit-learn's own
    ``InconsistentVersionWarning`` is for its estimators. The model may load
    and predict fine, or break in subtle ways; re-fit it, or save it with
    :func:`skrnn.persistence.save_model` and load it there, to be sure.

    Parameters
    ----------
    estimator_name : str
        Name of the estimator class.
    current_version : str
        The installed skrnn version.
    original_version : str
        The skrnn version that saved the model, or "unknown" for a pickle
        written before skrnn recorded its version.
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        super().__init__(estimator_name, current_version, original_version)
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __reduce__(self):  # keyword-only __init__: rebuild from the attributes
        return (_rebuild_version_warning, self.args)

    def __str__(self):
        return (
            f"Loading {self.estimator_name} saved with skrnn version "
            f"{self.original_version} under skrnn version {self.current_version}. "
            "This might lead to breaking code or invalid results; use at your own "
            "risk, or re-fit the model with the installed version."
        )


def _rebuild_version_warning(estimator_name, current_version, original_version):
    return InconsistentVersionWarning(
        estimator_name=estimator_name,
        current_version=current_version,
        original_version=original_version,
    )

"""Sequences of different lengths: NaN right-padding, and per-step transformers.

``RNNRegressor`` and ``RNNClassifier`` read a 3-D array in which a step whose
features are all NaN is padding (trailing only). :func:`pad_sequences` builds
such an array from a list of sequences; :class:`StepTransformer` applies a
per-feature scikit-learn transformer (e.g. ``StandardScaler``) to every valid
step of it, inside a ``Pipeline``, and keeps the padding.
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_array, check_is_fitted

from ._validation import reject_masked


def pad_sequences(sequences, max_steps=None, dtype=np.float64):
    """Stack sequences of different lengths into one NaN right-padded 3-D array.

    Like ``keras.utils.pad_sequences``, but padding with NaN, after the
    sequence (the form ``RNNRegressor`` and ``RNNClassifier`` read: the state
    is carried unchanged across padding, so each sequence's prediction is made
    from its state after its last valid step).

    Parameters
    ----------
    sequences : list of array-like of shape (n_steps_i, n_features) or (n_steps_i,)
        The sequences, in time order, each with at least one step; 1-D ones
        have one feature per step. All must have the same number of features.
    max_steps : int or None, default=None
        Length of the output; None: the longest sequence's. A longer sequence is
        an error (slice it first, e.g. ``seq[-max_steps:]`` for its last steps).
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Floating dtype of the output.

    Returns
    -------
    X : ndarray of shape (n_sequences, max_steps, n_features)
        ``X[i, :n_steps_i]`` is sequence ``i``; the steps after it are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import pad_sequences
    >>> X = pad_sequences([np.ones((2, 3)), np.zeros((4, 3))])
    >>> X.shape
    (2, 4, 3)
    >>> np.isnan(X[0, 2:]).all(), np.isnan(X[1]).any()
    (np.True_, np.False_)
    """
    if np.dtype(dtype) not in (np.float64, np.float32):
        raise ValueError(f"dtype must be float64 or float32, got {np.dtype(dtype)}.")
    if isinstance(sequences, np.ndarray) and sequences.dtype != object:
        sequences = list(sequences)
    if not isinstance(sequences, (list, tuple)) or len(sequences) == 0:
        raise ValueError(
            "pad_sequences takes a non-empty list of sequences, each an array of shape "
            f"(n_steps, n_features); got {type(sequences).__name__}"
            + (" of length 0." if hasattr(sequences, "__len__") else ".")
        )
    arrays = []
    for i, seq in enumerate(sequences):
        reject_masked(seq, f"sequences[{i}]")
        a = np.asarray(seq)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(
                f"sequences[{i}] has shape {a.shape}; expected (n_steps, n_features) "
                "or (n_steps,)."
            )
        if a.shape[0] == 0:
            raise ValueError(f"sequences[{i}] has no step; every sequence needs one.")
        a = check_array(a, dtype=dtype, ensure_all_finite=False,
                        input_name=f"sequences[{i}]")
        if np.isinf(a).any():
            raise ValueError(f"sequences[{i}] contains inf.")
        if np.isnan(a).any():
            t = int(np.argwhere(np.isnan(a))[0][0])
            raise ValueError(
                f"sequences[{i}] has NaN at step {t}: NaN marks padding, so a sequence "
                "may not contain it. Fill missing values first (e.g. with sklearn.impute)."
            )
        if arrays and a.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"sequences[{i}] has {a.shape[1]} features per step, sequences[0] has "
                f"{arrays[0].shape[1]}: all sequences need the same features."
            )
        arrays.append(a)
    longest = max(len(a) for a in arrays)
    if max_steps is None:
        max_steps = longest
    elif isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) \
            or max_steps < 1:
        raise ValueError(f"max_steps must be an integer >= 1 or None, got {max_steps!r}.")
    elif longest > max_steps:
        i = next(i for i, a in enumerate(arrays) if len(a) > max_steps)
        raise ValueError(
            f"sequences[{i}] has {len(arrays[i])} steps, more than max_steps={max_steps}: "
            "slice the sequences first (e.g. seq[-max_steps:] keeps the last steps)."
        )
    out = np.full((len(arrays), max_steps, arrays[0].shape[1]), np.nan, dtype=dtype)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


class StepTransformer(TransformerMixin, BaseEstimator):
    """Apply a per-feature transformer to every step of padded 3-D sequences.

    ``fit`` fits ``transformer`` on the valid steps of all sequences stacked
    as rows (``(n_valid_steps, n_features_per_step)``: the statistics of a
    scaler come from the valid steps only, never from the padding);
    ``transform`` transforms every valid step and keeps the padding (steps
    whose features are all NaN) as NaN. So a scaler can sit before an RNN in a
    ``Pipeline`` on sequences of different lengths::

        make_pipeline(StepTransformer(StandardScaler()), RNNClassifier())

    Parameters
    ----------
    transformer : transformer, default=None
        An unfitted scikit-learn transformer that works per feature (columns
        in, the same columns out), e.g. ``StandardScaler``, ``MinMaxScaler``,
        ``RobustScaler`` or ``QuantileTransformer``. It is cloned. None means
        ``StandardScaler()``.

    Attributes
    ----------
    transformer_ : transformer
        The fitted clone.
    n_features_per_step_ : int
        Features per step of the sequences seen in ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import StepTransformer, pad_sequences
    >>> X = pad_sequences([[[1.0], [3.0]], [[5.0]]])
    >>> StepTransformer().fit_transform(X)[:, :, 0]
    array([[-1.22474487,  0.        ],
           [ 1.22474487,         nan]])
    """

    _parameter_constraints = {"transformer": [HasMethods(["fit", "transform"]), None]}

    def __init__(self, transformer=None):
        self.transformer = transformer

    def _valid_rows(self, X, reset):
        reject_masked(X, "X")
        X = check_array(X, allow_nd=True, dtype=[np.float64, np.float32],
                        ensure_all_finite="allow-nan", input_name="X")
        if X.ndim != 3:
            raise ValueError(
                f"StepTransformer takes 3-D sequences (n_samples, n_steps, "
                f"n_features_per_step), e.g. from skrnn.pad_sequences; got {X.ndim}-D."
            )
        if reset:
            self.n_features_per_step_ = X.shape[2]
        elif X.shape[2] != self.n_features_per_step_:
            raise ValueError(
                f"X has {X.shape[2]} features per step, but StepTransformer was fitted "
                f"with {self.n_features_per_step_}."
            )
        valid = ~np.isnan(X).all(axis=2)
        return X, valid

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the transformer on the valid steps of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps, n_features_per_step)
            Sequences, NaN right-padded.
        y : None
            Ignored.

        Returns
        -------
        self : StepTransformer
            The fitted transformer.
        """
        X, valid = self._valid_rows(X, reset=True)
        if not valid.any():
            raise ValueError("X has no valid step: every step is padding (all NaN).")
        base = StandardScaler() if self.transformer is None else self.transformer
        self.transformer_ = clone(base).fit(X[valid])
        return self

    def transform(self, X):
        """Transform every valid step; padding stays NaN.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps, n_features_per_step)
            Sequences, NaN right-padded; any number of steps.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_steps, n_features_per_step)
            A new array; ``X`` is not modified.
        """
        check_is_fitted(self)
        X, valid = self._valid_rows(X, reset=False)
        out = np.full(X.shape, np.nan, dtype=X.dtype)
        rows = np.asarray(self.transformer_.transform(X[valid]))
        if rows.shape != (int(valid.sum()), X.shape[2]):
            raise ValueError(
                f"the transformer {type(self.transformer_).__name__} returned "
                f"{rows.shape[1]} columns for {X.shape[2]}: StepTransformer needs a "
                "per-feature transformer (the same columns out as in)."
            )
        out[valid] = rows
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.two_d_array = False
        tags.input_tags.allow_nan = True
        return tags

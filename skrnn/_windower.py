"""SequenceWindower: tabular time-series rows to fixed-length sequences."""

from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn import get_config
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.callback import CallbackSupportMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (_check_feature_names_in, check_array, check_is_fitted,
                                      validate_data)

from ._validation import reject_datetime_columns, reject_masked
from ._window_choice import choose_window


def window_rows(rows, window_length, flatten=False):
    """All full windows of consecutive ``rows``, in one copy.

    Window ``i`` is ``rows[i : i + window_length]``, so there are
    ``n_rows - window_length + 1`` of them, of shape ``(window_length,
    n_features)`` or flattened time-major with ``flatten``. In the flat
    buffer of C-ordered ``rows``, window ``i`` is the ``window_length *
    n_features`` values from ``i * n_features`` on: one strided view of them,
    copied once, is the whole output.
    """
    rows = np.ascontiguousarray(rows)
    n_features = rows.shape[1]
    flat = sliding_window_view(rows.reshape(-1), window_length * n_features)[::n_features]
    out = flat.copy()
    return out if flatten else out.reshape(out.shape[0], window_length, n_features)


class SequenceWindower(CallbackSupportMixin, TransformerMixin, BaseEstimator):
    """Turn each row of a time series into the window of rows that ends at it.

    Row ``i`` of the output is the sequence of input rows
    ``i - window_length + 1, ..., i`` in time order (row ``i`` last). The
    output keeps ``n_samples``: the first ``window_length - 1`` rows, which
    have too little history, are padded. So ``y`` stays aligned with the
    output and the windower can sit inside a ``Pipeline``,
    ``cross_val_score`` or ``GridSearchCV``::

        make_pipeline(StandardScaler(), SequenceWindower(7), RNNRegressor())

    The rows of ``X`` must be in time order, one row per time step, without
    NaN: skrnn's estimators read NaN as the padding at the end of a shorter
    sequence, so ``fit`` and ``transform`` refuse it, with an error that names
    the rows and says how to fill or drop them.

    Parameters
    ----------
    window_length : int or "auto", default=7
        Number of time steps (rows) in each window. "auto" chooses it in
        ``fit`` from the rows and their target ``y`` (required then): the
        shortest window whose blocked cross-validation error, with a ridge
        regression on the window, is within one standard error of the best
        among 1 to 24 steps and longer ones up to a cap (a third of the rows,
        and about ``4 * sqrt(n_rows)`` columns); see the user guide, "How far
        back to look". The chosen window is ``window_length_``.
    padding : {"edge", "zeros"}, default="edge"
        What fills the missing history of the first ``window_length - 1``
        rows: "edge" repeats the first row, "zeros" pads with zeros (the mean
        of each feature after ``StandardScaler``).
    flatten : bool, default=False
        False: output of shape ``(n_samples, window_length, n_features)``, the
        3-D layout ``RNNRegressor`` reads directly. True: 2-D time-major output
        ``(n_samples, window_length * n_features)``, the layout
        ``RNNRegressor(n_features_per_step=n_features)`` reads and that
        ``Ridge`` or ``MLPRegressor`` baselines can take; it has feature names
        (``tmax_lag6, ..., rain_lag0``) and supports
        ``set_output(transform="pandas")``. ``RNNRegressor`` reads the number
        of features per step from those names when it gets the DataFrame; from
        a plain array (a pipeline's default output) it cannot know it, so give
        ``n_features_per_step``, or keep ``flatten=False``.

    Attributes
    ----------
    window_length_ : int
        The window used by ``transform``: ``window_length``, or the chosen one
        with "auto". A fitted pipeline needs the ``window_length_ - 1`` rows
        before the first row it predicts to give that row a full window
        (:func:`~skrnn.predict_with_history` passes them).
    window_scores_ : dict or None
        With "auto": ``{"window_length": candidates, "validation_mse": scores}``,
        the mean squared error of each candidate on the validation blocks (of
        the standardised target). None when ``window_length`` is an int.
    n_features_in_ : int
        Number of features per row seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` is a DataFrame with string column names.

    Notes
    -----
    **Padding caveat.** ``transform`` sees only the rows it is given. When a
    pipeline predicts on a test fold, the first ``window_length - 1`` windows
    of that fold are padded instead of reaching back into the training rows
    before them, so they are slightly worse than the rest. With
    ``TimeSeriesSplit(gap=window_length - 1)`` no test window overlaps the
    training rows either; scores of the first windows stay a little
    pessimistic. To score every test row with full history, window the whole
    series once and split the windows instead.

    The output of a row depends on the rows before it, so the transform is
    not invariant to the order of rows or to taking a subset of them.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SequenceWindower
    >>> X = np.arange(8.0).reshape(4, 2)      # 4 days, 2 features
    >>> SequenceWindower(window_length=3).fit_transform(X)[3]
    array([[2., 3.],
           [4., 5.],
           [6., 7.]])
    >>> SequenceWindower(window_length=3).fit_transform(X)[0]   # edge padding
    array([[0., 1.],
           [0., 1.],
           [0., 1.]])
    >>> w = SequenceWindower(window_length=2, flatten=True).fit(X)
    >>> w.get_feature_names_out(["tmax", "rain"]).tolist()
    ['tmax_lag1', 'rain_lag1', 'tmax_lag0', 'rain_lag0']
    """

    _parameter_constraints = {
        "window_length": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "padding": [StrOptions({"edge", "zeros"})],
        "flatten": ["boolean"],
    }

    def __init__(self, window_length=7, padding="edge", flatten=False):
        self.window_length = window_length
        self.padding = padding
        self.flatten = flatten

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number (and names) of the features; choose the window if "auto".

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of a time series, in time order.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
            The target of the window that ends at each row (e.g. the next
            row's value). Required with ``window_length="auto"``, which chooses
            the window from it (rows whose target is NaN, such as the tail of
            ``shift(-1)``, are not used); ignored otherwise.

        Returns
        -------
        self : SequenceWindower
            The fitted windower.
        """
        X = _checked_rows(self, X, reset=True)
        # a fit without sub-tasks, so that callbacks set on a Pipeline reach it
        context = self._init_callback_context()
        context.call_on_fit_task_begin(estimator=self, X=X, y=y)
        if self.window_length == "auto":
            self.window_length_, windows, scores = choose_window(X, _auto_target(y, len(X)))
            self.window_scores_ = {"window_length": windows, "validation_mse": scores}
        else:
            self.window_length_, self.window_scores_ = int(self.window_length), None
        if X.shape[0] < self.window_length_:
            n = X.shape[0]
            raise ValueError(
                f"SequenceWindower(window_length={self.window_length_}) is fitted on "
                f"{n} sample{'s' if n != 1 else ''} (rows): a window longer than the "
                "series it is fitted on would be mostly padding. Use a window_length of "
                f"at most {n}, or fit on more rows (transform may then be given fewer "
                "rows, e.g. a short test fold: their missing history is padded)."
            )
        context.call_on_fit_task_end(estimator=self, X=X, y=y, reconstruction_attributes={})
        return self

    def transform(self, X):
        """Window every row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of a time series, in time order.

        Returns
        -------
        X_windows : ndarray of shape (n_samples, window_length, n_features) \
                or (n_samples, window_length * n_features)
            The window ending at each row; 2-D time-major when ``flatten=True``.
        """
        check_is_fitted(self)
        X = _checked_rows(self, X, reset=False)
        n_samples, n_features = X.shape
        length = self.window_length_
        padded = np.empty((n_samples + length - 1, n_features), dtype=X.dtype)
        padded[: length - 1] = X[0] if self.padding == "edge" else 0.0
        padded[length - 1 :] = X
        return window_rows(padded, length, self.flatten)

    def get_feature_names_out(self, input_features=None):
        """Get the names of the flat output columns: ``<feature>_lag<k>``, oldest first.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; defaults to ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``window_length * n_features`` names in the time-major order of
            the flat output, e.g. ``tmax_lag6, tmin_lag6, ..., tmin_lag0``.
        """
        check_is_fitted(self)
        if not self.flatten:
            raise ValueError(
                "SequenceWindower(flatten=False) returns 3-D windows, which have no "
                "column names and cannot be a pandas DataFrame, so it has no "
                "get_feature_names_out and no set_output(transform='pandas'). "
                "flatten=True gives 2-D windows with names (tmax_lag6, ..., rain_lag0) "
                "and pandas output; RNNRegressor reads the 3-D windows as they are."
            )
        names = _check_feature_names_in(self, input_features)
        return np.asarray(
            [
                f"{name}_lag{self.window_length_ - 1 - step}"
                for step in range(self.window_length_)
                for name in names
            ],
            dtype=object,
        )

    def __setstate__(self, state):
        # windowers pickled before window_length="auto" have no window_length_
        if "n_features_in_" in state and "window_length_" not in state:
            state = {**state, "window_length_": state["window_length"], "window_scores_": None}
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _auto_wrap_output_keys(self):
    """The methods whose output scikit-learn wraps in a DataFrame: ``transform``,
    except for 3-D windows under a global ``set_config(transform_output=...)``,
    which stay arrays (a pipeline ``StandardScaler -> SequenceWindower ->
    RNNRegressor`` works under it); asked for explicitly (``set_output``), 3-D
    windows get the error of :meth:`SequenceWindower.get_feature_names_out`."""
    if (not self.flatten and "transform" not in getattr(self, "_sklearn_output_config", {})
            and get_config()["transform_output"] != "default"):
        return set()
    return {"transform"}


# after the class: scikit-learn's __init_subclass__ sets this attribute to a set
SequenceWindower._sklearn_auto_wrap_output_keys = property(_auto_wrap_output_keys)


def multi_step_target(series, horizon):
    """The next ``horizon`` values of a series, one row per time step.

    Row ``t`` of the result is ``series[t + 1], ..., series[t + horizon]``:
    the target for the window of rows that *ends* at row ``t``, which is what
    :class:`SequenceWindower` gives for row ``t``. So ``X`` (the feature rows)
    and the result stay row-aligned, and a pipeline
    ``make_pipeline(StandardScaler(), SequenceWindower(7), RNNRegressor())``
    fitted on ``X`` and this matrix forecasts the next ``horizon`` steps with
    one model (a multi-output regression, one output per step ahead).

    The last ``horizon`` rows have no full target: their missing values are
    NaN. Drop those rows before fitting, e.g.
    ``X[:-horizon], Y[:-horizon]``; to forecast from the last rows, predict on
    them (their windows are complete; only their future is unknown).

    Parameters
    ----------
    series : array-like of shape (n_rows,)
        The series to forecast, in time order, one value per row (a
        ``pandas.Series`` or a 1-D array).
    horizon : int
        Number of steps ahead, ``>= 1``. ``horizon=1`` gives the one-step
        target (the next row's value) as a one-column matrix.

    Returns
    -------
    Y : ndarray of shape (n_rows, horizon), or pandas.DataFrame
        Float64. A DataFrame with the series' index and columns
        ``<name>_t+1, ..., <name>_t+<horizon>`` when ``series`` is a
        ``pandas.Series`` (``y_t+1``, ... if it has no name), else an array.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import multi_step_target
    >>> multi_step_target(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), horizon=2)
    array([[ 2.,  3.],
           [ 3.,  4.],
           [ 4.,  5.],
           [ 5., nan],
           [nan, nan]])
    """
    import pandas as pd

    if isinstance(horizon, bool) or not isinstance(horizon, Integral) or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1, got {horizon!r}.")
    index = name = None
    if isinstance(series, pd.DataFrame):
        if series.shape[1] != 1:
            raise ValueError(
                f"multi_step_target takes one series; got a DataFrame with "
                f"{series.shape[1]} columns. Pass one column, e.g. df['tmax']."
            )
        series = series.iloc[:, 0]
    if isinstance(series, pd.Series):
        index, name = series.index, series.name
    values = np.asarray(series)
    if values.ndim == 2 and 1 in values.shape:
        values = values.ravel()
    if values.ndim != 1:
        raise ValueError(
            f"multi_step_target takes a 1-D series; got an array of shape {values.shape}."
        )
    if not np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.complexfloating):
        raise TypeError(
            f"multi_step_target needs real numbers; got dtype {values.dtype}."
        )
    values = values.astype(np.float64)  # a copy: the input is never modified
    n = values.shape[0]
    Y = np.full((n, horizon), np.nan)
    for k in range(1, horizon + 1):
        Y[: max(n - k, 0), k - 1] = values[k:]
    if index is None:
        return Y
    prefix = "y" if name is None else str(name)
    return pd.DataFrame(Y, index=index, columns=[f"{prefix}_t+{k}" for k in range(1, horizon + 1)])


def _fitted_window_length(model):
    """``window_length_`` of the fitted SequenceWindower in ``model`` (a Pipeline)."""
    found = []

    def visit(step):
        if isinstance(step, SequenceWindower):
            found.append(step)
        for _, inner in getattr(step, "steps", ()):
            visit(inner)

    visit(model)
    if len(found) != 1:
        raise ValueError(
            f"predict_with_history found {len(found)} SequenceWindower steps in "
            f"{type(model).__name__}; give window_length=... (the rows each window spans)."
        )
    check_is_fitted(found[0])
    return found[0].window_length_


def _auto_target(y, n_rows):
    """The target that window_length="auto" chooses from, as a float array."""
    if y is None:
        raise ValueError(
            "SequenceWindower(window_length='auto') chooses the window from the target: "
            "call fit(X, y) with y (the value each row's window predicts), or give "
            "window_length as an int."
        )
    y = check_array(y, ensure_2d=False, dtype=np.float64, ensure_all_finite="allow-nan",
                    input_name="y")
    if y.ndim > 2 or y.shape[0] != n_rows:
        raise ValueError(
            f"y has shape {y.shape}; SequenceWindower(window_length='auto') needs one "
            f"target row per row of X ({n_rows} rows)."
        )
    return y


def _checked_rows(windower, X, reset):
    """``X`` validated as rows of a series (float, no NaN or infinity), for fit
    (``reset``) and transform alike."""
    reject_masked(X, "X")
    X = _rows(X)
    # NaN passes here to get the message of _reject_nan; infinity gets scikit-learn's
    rows = validate_data(windower, X, reset=reset, dtype=[np.float64, np.float32],
                         ensure_all_finite="allow-nan")
    _reject_nan(rows, X)
    return rows


def _reject_nan(rows, X):
    """NaN in the rows: where, why a window cannot hold it, and what to do.

    scikit-learn's message advises an estimator that takes NaN; the windower's
    output goes to estimators that read NaN as the padding at the end of a
    shorter sequence, where a NaN row would be read as the end of the window.
    """
    missing = np.isnan(rows)
    if not missing.any():
        return
    bad_rows = np.flatnonzero(missing.any(axis=1))
    bad_columns = np.flatnonzero(missing.any(axis=0))
    columns = getattr(X, "columns", None)
    names = [str(columns[j]) if columns is not None else str(j) for j in bad_columns]
    where = _some(bad_rows.tolist())
    index = getattr(X, "index", None)
    if index is not None:  # a pandas DataFrame: its labels too, unless they are the positions
        import pandas as pd

        if not index.equals(pd.RangeIndex(len(rows))):
            where += f" (index {_some([index[i] for i in bad_rows])})"
    n = len(bad_rows)
    raise ValueError(
        f"X has NaN in {n} row{'s' if n > 1 else ''}, at position{'s' if n > 1 else ''} "
        f"{where}, in column{'s' if len(names) > 1 else ''} {_some(names)}. A window is a "
        "run of consecutive rows and cannot hold a missing value: skrnn's estimators read NaN "
        "only as padding at the end of a shorter sequence (a step whose features are all "
        "NaN), so a window with NaN would be refused, or read as ending early. Fill the "
        "gaps before SequenceWindower, e.g. X.ffill() (the last value carried forward) or "
        "X.interpolate() on the DataFrame, or sklearn.impute.SimpleImputer as the pipeline "
        "step before it; or drop those rows from X and y (keep = X.notna().all(axis=1); "
        "X[keep], y[keep]) if the rows on either side of a gap may join in one window."
    )


def _some(values, shown=5):
    """The first ``shown`` values, comma-separated, "..." after them if there are more."""
    return ", ".join(map(str, values[:shown])) + (", ..." if len(values) > shown else "")


def _rows(X):
    """A pandas Series (one series, one feature) as a one-column DataFrame; a 1-D
    array gets a one-line error (scikit-learn's would print the whole array)."""
    reject_datetime_columns(X, "SequenceWindower")
    if hasattr(X, "to_frame") and getattr(X, "ndim", None) == 1:
        return X.to_frame()
    if getattr(X, "ndim", None) == 1:
        raise ValueError(
            f"X is a 1-D array of shape {X.shape}; SequenceWindower takes rows of a "
            "series, (n_rows, n_features). Reshape your data with X.reshape(-1, 1) "
            "for one series, or pass a pandas Series."
        )
    return X


def predict_with_history(model, X, start, stop, window_length=None):
    """Predict rows ``start:stop`` of ``X``, each with the history its window needs.

    A pipeline that ends in ``SequenceWindower(window_length) -> estimator``
    windows only the rows it is given, so predicting rows ``start:stop`` alone
    would zero-pad the first ``window_length - 1`` windows. This passes the
    ``window_length - 1`` rows before ``start`` too (as many as exist) and drops
    their predictions. To forecast tomorrow from today, give the last rows:
    ``predict_with_history(pipe, X, len(X) - 1, len(X))``.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        Its ``predict`` takes rows of ``X`` and windows them.
    X : pandas.DataFrame or array-like of shape (n_rows, n_features)
        All the rows, in time order.
    start, stop : int
        The rows to predict, ``0 <= start < stop <= n_rows``.
    window_length : int or None, default=None
        Rows per window, ``>= 1``. None reads ``window_length_`` of the fitted
        :class:`SequenceWindower` in ``model`` (a Pipeline, searched through
        nested pipelines), so a window chosen with ``window_length="auto"``
        needs no bookkeeping.

    Returns
    -------
    y_pred : ndarray
        ``model.predict``'s output for rows ``start:stop``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from skrnn import SequenceWindower, predict_with_history
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> y = X[:, 0] + 2                       # next row's first feature
    >>> pipe = make_pipeline(SequenceWindower(3, flatten=True), Ridge(alpha=1e-6))
    >>> pipe = pipe.fit(X, y)
    >>> predict_with_history(pipe, X, 9, 10).round(3)  # tomorrow
    array([20.])
    """
    n_rows = len(X)
    if window_length is None:
        window_length = _fitted_window_length(model)
    for name, value in (("start", start), ("stop", stop), ("window_length", window_length)):
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise TypeError(f"{name} must be an integer, got {value!r}.")
    if not 0 <= start < stop <= n_rows:
        raise ValueError(
            f"start={start}, stop={stop}: need 0 <= start < stop <= len(X) = {n_rows}."
        )
    if window_length < 1:
        raise ValueError(f"window_length must be >= 1, got {window_length}.")
    first = max(start - (window_length - 1), 0)
    rows = X.iloc[first:stop] if hasattr(X, "iloc") else X[first:stop]
    return model.predict(rows)[start - first :]

"""Out-of-core training and prediction: windows of a long series, chunk by chunk.

A series too large for memory is read as *chunks*: blocks of consecutive rows
``(X_chunk, y_chunk)`` of one time series, in time order (slices of a
``numpy.memmap``, files read one by one, the blocks of a dask array or the
partitions of a dask DataFrame). :func:`window_chunks` windows each chunk with
the last ``window_length - 1`` rows of the chunks before it, so no window is
lost or padded at a chunk border: the windows it yields, concatenated, are bit
for bit the windows :class:`~skrnn.SequenceWindower` makes of the whole series
at once, and the targets are the whole series' targets. :func:`fit_chunks`
feeds them to ``estimator.partial_fit``, one call (one epoch of
:class:`~skrnn.RNNRegressor`) per chunk; :func:`predict_chunks` predicts them.

Start of the series. Its first ``window_length - 1`` rows have too little
history. ``padding="edge"`` or ``"zeros"`` pads it as ``SequenceWindower``
does (every row gets a window and keeps its target); ``padding=None`` skips
those rows and their targets, so every window is made of real rows. Only the
start of the *series* is affected, never a chunk border.

With dask installed (``pip install "skrnn[dask]"``), :func:`dask_chunks` reads
a dask array or DataFrame block by block, :func:`window_dask` makes a lazy
dask array of the windows of a dask array of rows (with the same overlap
rule), and :func:`predict_dask` predicts such an array block by block with
``map_blocks``. This module imports dask only inside those functions, and
``import skrnn`` never imports it.

What equals what (each is tested bit for bit):

- ``window_chunks``: the concatenated windows and targets equal
  ``SequenceWindower(window_length, padding=...).fit_transform(X_whole)`` and
  ``y_whole`` (rows ``window_length - 1:`` of both with ``padding=None``),
  whatever the chunk sizes, including chunks shorter than the window.
- ``fit_chunks(est, chunks, ...)`` is exactly the loop ``for X_w, y_w in
  window_chunks(...): est.partial_fit(X_w, y_w)``: the same weights as calling
  ``partial_fit`` on the corresponding row slices of the whole-series windows,
  in the same order, with or without shuffling.
- It is *not* one ``partial_fit`` over the whole series: each call is one
  epoch over its chunk (mini-batches never straddle two chunks, and
  ``shuffle=True`` permutes within a chunk), and :class:`~skrnn.RNNRegressor`
  fixes its target standardisation (``y_mean_``, ``y_scale_``) and both
  estimators their input standardisation (``x_mean_``, ``x_scale_``) at the
  first ``partial_fit`` call, from the **first chunk**, and so is its
  linear path (``skip_connection=True``, the default): the ridge fit of the
  first chunk's windows, fixed afterwards. Scale ``X`` and ``y`` beforehand (e.g. with
  statistics from a first pass) if the first chunk is not representative, and
  make the first chunk large. When the first chunk has the whole series' means and
  standard deviations, ``shuffle=False`` and ``batch_size`` divides the chunk
  size, the chunked epoch equals one ``partial_fit`` on the whole series.
- ``partial_fit`` ignores ``max_iter`` and ``early_stopping``: hold out the
  last chunks yourself and call :meth:`~skrnn.RNNRegressor.score` on them to
  choose the number of ``epochs``.

Features are best scaled on the whole series. A row-wise ``transformer`` that is already fitted
(e.g. a ``StandardScaler`` fitted in a first pass with its own
``partial_fit``) is applied to every chunk before windowing, as
``make_pipeline(scaler, SequenceWindower(...))`` would do on the whole series.

Examples
--------
>>> import numpy as np
>>> from skrnn import RNNRegressor, SequenceWindower
>>> from skrnn.incremental import array_chunks, fit_chunks, window_chunks
>>> rng = np.random.RandomState(0)
>>> X = rng.normal(size=(1000, 2))             # a long series, 2 features
>>> y = np.roll(X[:, 0], -1)                   # tomorrow's first feature
>>> chunks = array_chunks(X, y, chunk_size=250)
>>> windows = np.concatenate([Xw for Xw, _ in window_chunks(chunks, 5)])
>>> np.array_equal(windows, SequenceWindower(5).fit_transform(X))
True
>>> model = fit_chunks(RNNRegressor(random_state=0), chunks, 5, epochs=3)
>>> model.n_iter_, model.t_                    # 4 chunks x 3 epochs, 3 x 1000 windows
(12, 3000)
"""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array

from ._validation import reject_masked
from ._windower import window_rows

__all__ = [
    "array_chunks",
    "dask_chunks",
    "fit_chunks",
    "predict_chunks",
    "predict_dask",
    "window_chunks",
    "window_dask",
]

_PADDINGS = ("edge", "zeros", None)


# ---------------------------------------------------------------- validation


def _check_window_length(window_length):
    if isinstance(window_length, str) and window_length == "auto":
        raise ValueError(
            "window_length='auto' is chosen from the whole training series, which the "
            "chunked helpers never hold at once: choose it on a sample that fits in "
            "memory, w = SequenceWindower('auto').fit(X_sample, y_sample), and pass "
            "window_length=w.window_length_."
        )
    if not isinstance(window_length, Integral) or isinstance(window_length, bool) \
            or window_length < 1:
        raise ValueError(
            f"window_length must be an integer >= 1, got {window_length!r}."
        )
    return int(window_length)


def _check_padding(padding):
    if padding not in _PADDINGS:
        raise ValueError(
            f"padding must be 'edge', 'zeros' or None (skip the first "
            f"window_length - 1 rows of the series), got {padding!r}."
        )
    return padding


def _pad_rows(first_row, n_rows, padding):
    pad = np.empty((n_rows, first_row.shape[0]), dtype=first_row.dtype)
    pad[...] = first_row if padding == "edge" else 0.0
    return pad


def _as_rows(X, index):
    """Validate one chunk of rows: a 2-D float array (float32 kept)."""
    reject_masked(X, f"X of chunk {index}")
    return check_array(
        X, dtype=[np.float64, np.float32], ensure_min_samples=0,
        input_name=f"X of chunk {index}",
    )


def _split_chunk(chunk, index):
    try:
        X, y = chunk
    except (TypeError, ValueError):
        raise TypeError(
            f"chunk {index} is a {type(chunk).__name__}; every chunk must be a "
            "pair (X_chunk, y_chunk), with y_chunk None when there is no target."
        ) from None
    return X, y


def _iterate(chunks, epochs, caller):
    """A fresh iterator over ``chunks`` (a callable returning one, or an iterable)."""
    if callable(chunks):
        return iter(chunks())
    iterator = iter(chunks)
    if epochs > 1 and iterator is chunks:
        raise TypeError(
            f"{caller} with epochs={epochs} reads the chunks once per epoch, but "
            f"got a one-shot iterator ({type(chunks).__name__}). Pass a list, "
            "array_chunks(...), dask_chunks(...) or a function that returns a "
            "new iterator of chunks."
        )
    return iterator


# ------------------------------------------------------------------ chunking


class _ArrayChunks:
    """Re-iterable row slices of array-likes (see :func:`array_chunks`)."""

    def __init__(self, X, y, chunk_size):
        if not isinstance(chunk_size, Integral) or isinstance(chunk_size, bool) \
                or chunk_size < 1:
            raise ValueError(f"chunk_size must be an integer >= 1, got {chunk_size!r}.")
        if y is not None and len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
        self.X, self.y, self.chunk_size = X, y, int(chunk_size)

    def __len__(self):
        return -(-len(self.X) // self.chunk_size)

    def __iter__(self):
        for start in range(0, len(self.X), self.chunk_size):
            rows = slice(start, start + self.chunk_size)
            yield _take_rows(self.X, rows), (
                None if self.y is None else _take_rows(self.y, rows)
            )

    def __repr__(self):
        return (f"array_chunks(<{len(self.X)} rows>, chunk_size={self.chunk_size}): "
                f"{len(self)} chunks")


def _take_rows(a, rows):
    return a.iloc[rows] if hasattr(a, "iloc") else a[rows]


def array_chunks(X, y=None, chunk_size=100_000):
    """Split ``X`` and ``y`` into chunks of ``chunk_size`` consecutive rows, re-iterable.

    Each iteration slices ``X[start:start + chunk_size]`` (``.iloc`` for
    pandas) lazily, so with a ``numpy.memmap`` (``np.load(path,
    mmap_mode="r")``) only one chunk is read into memory at a time. The
    object can be iterated again, once per epoch of :func:`fit_chunks`.

    Parameters
    ----------
    X : array-like of shape (n_rows, n_features)
        Rows of the series, in time order: ndarray, memmap, DataFrame, or
        anything with ``len`` and row slicing.
    y : array-like of shape (n_rows,) or (n_rows, n_outputs), default=None
        Targets, one per row.
    chunk_size : int, default=100_000
        Rows per chunk; the last chunk may be shorter.

    Returns
    -------
    chunks : iterable of (X_chunk, y_chunk)
        ``y_chunk`` is None when ``y`` is None. ``len(chunks)`` is the
        number of chunks.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn.incremental import array_chunks
    >>> chunks = array_chunks(np.zeros((10, 2)), np.arange(10.0), chunk_size=4)
    >>> [(X.shape, y.tolist()) for X, y in chunks]
    [((4, 2), [0.0, 1.0, 2.0, 3.0]), ((4, 2), [4.0, 5.0, 6.0, 7.0]), ((2, 2), [8.0, 9.0])]
    """
    return _ArrayChunks(X, y, chunk_size)


def window_chunks(chunks, window_length, *, padding="edge", flatten=False, transformer=None):
    """Window each chunk of a series with the history of the chunks before it.

    The window of a row is the ``window_length`` rows ending at it, as in
    :class:`~skrnn.SequenceWindower`. Each chunk is windowed together with
    the last ``window_length - 1`` rows seen before it (kept from earlier
    chunks, however short), so windows never stop at a chunk border:
    concatenated, the yielded windows and targets are bit for bit those of
    the whole series windowed at once.

    Parameters
    ----------
    chunks : iterable of (X_chunk, y_chunk), or a callable returning one
        Consecutive blocks of rows of one series, in time order. ``X_chunk``
        is array-like of shape (n_rows, n_features); ``y_chunk`` of shape
        (n_rows,) or (n_rows, n_outputs), or None. Empty chunks are skipped.
    window_length : int
        Number of time steps in each window.
    padding : {"edge", "zeros"} or None, default="edge"
        The first ``window_length - 1`` rows of the series: "edge" pads their
        missing history with the series' first row and "zeros" with zeros,
        as ``SequenceWindower(padding=...)`` does; None skips these rows and
        their targets (the first window yielded ends at row
        ``window_length - 1``).
    flatten : bool, default=False
        Yield 2-D time-major windows ``(n, window_length * n_features)``, as
        ``SequenceWindower(flatten=True)``, instead of 3-D ones.
    transformer : fitted transformer or None, default=None
        Applied to each ``X_chunk`` (``transformer.transform``) before
        windowing, e.g. a ``StandardScaler`` fitted in a first pass over the
        chunks with its ``partial_fit``. It must transform row by row.

    Returns
    -------
    windows : iterator of (X_windows, y_windows)
        One pair per chunk, produced as the chunks are read:

        - ``X_windows``, ndarray of shape (n, window_length, n_features), or
          (n, window_length * n_features) with ``flatten``: the windows
          ending at the rows of the chunk. ``n`` is the chunk's number of
          rows, fewer at the start of the series with ``padding=None``; a
          chunk with no window yields nothing. The dtype is float32 if the
          first chunk is float32, else float64; later chunks take the first
          chunk's dtype.
        - ``y_windows``, ndarray of shape (n,) or (n, n_outputs), or None:
          the targets of these rows.

    Raises
    ------
    ValueError
        While iterating, if a chunk's ``X`` and ``y`` differ in length, or
        its number of features differs from the first chunk's.

    Examples
    --------
    Chunks of 3 rows, windows of 4 rows: every window reaches back into the
    chunks before its own.

    >>> import numpy as np
    >>> from skrnn.incremental import array_chunks, window_chunks
    >>> X = np.arange(8.0).reshape(8, 1)
    >>> chunks = array_chunks(X, X[:, 0] + 100, chunk_size=3)
    >>> for Xw, yw in window_chunks(chunks, 4, padding=None):
    ...     print(Xw[:, :, 0].tolist(), yw.tolist())
    [[0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0], [2.0, 3.0, 4.0, 5.0]] [103.0, 104.0, 105.0]
    [[3.0, 4.0, 5.0, 6.0], [4.0, 5.0, 6.0, 7.0]] [106.0, 107.0]
    """
    window_length = _check_window_length(window_length)
    padding = _check_padding(padding)
    if transformer is not None and not hasattr(transformer, "transform"):
        raise TypeError(
            f"transformer must have a transform method; got {type(transformer).__name__}."
        )
    return _generate_windows(chunks, window_length, padding, flatten, transformer)


def _generate_windows(chunks, window_length, padding, flatten, transformer):
    n_history = window_length - 1
    history = None  # the last n_history rows seen (fewer at the start, with padding=None)
    for index, chunk in enumerate(_iterate(chunks, 1, "window_chunks")):
        X, y = _split_chunk(chunk, index)
        if transformer is not None:
            X = transformer.transform(X)
        X = _as_rows(X, index)
        if y is not None:
            y = np.asarray(y)
            if y.shape[0] != X.shape[0]:
                raise ValueError(
                    f"chunk {index}: X has {X.shape[0]} rows but y has {y.shape[0]}."
                )
        if X.shape[0] == 0:
            continue
        if history is None:
            n_features, dtype = X.shape[1], X.dtype
            history = (
                X[:0] if padding is None else _pad_rows(X[0], n_history, padding)
            )
        elif X.shape[1] != n_features:
            raise ValueError(
                f"chunk {index} has {X.shape[1]} features but the first chunk had "
                f"{n_features}: every chunk must hold the same columns."
            )
        buf = np.concatenate([history, X.astype(dtype, copy=False)])
        n_windows = buf.shape[0] - n_history
        if n_windows > 0:
            yield (
                window_rows(buf, window_length, flatten),
                None if y is None else y[y.shape[0] - n_windows :],
            )
        history = buf[max(0, buf.shape[0] - n_history) :].copy()


def fit_chunks(estimator, chunks, window_length, *, epochs=1, padding="edge",
               flatten=False, transformer=None):
    """Train ``estimator`` on a long series chunk by chunk, with ``partial_fit``.

    For each epoch, the chunks are read again and windowed by
    :func:`window_chunks` (with the overlap of the previous chunk's last
    ``window_length - 1`` rows), and ``estimator.partial_fit(X_windows,
    y_windows)`` is called once per chunk, in time order. Only one chunk and
    its windows are in memory at a time.

    With :class:`~skrnn.RNNRegressor` each call runs one epoch over its
    chunk, continuing the optimizer state; so one epoch of ``fit_chunks`` is
    one pass over the series. Note:

    - the target and input standardisations (``y_mean_``, ``y_scale_``,
      ``x_mean_``, ``x_scale_``) are fixed by the first ``partial_fit`` call,
      from the **first chunk**: scale ``X`` and ``y`` beforehand if the first
      chunk is not representative;
    - ``max_iter`` and ``early_stopping`` do not apply (``partial_fit``
      ignores them); choose ``epochs`` on held-out chunks;
    - ``shuffle=True`` permutes the windows within each chunk, not across
      chunks, and mini-batches never straddle two chunks.

    Training continues from the estimator's current state: pass a fresh
    estimator (or ``sklearn.base.clone(estimator)``) to start from scratch.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        Typically :class:`~skrnn.RNNRegressor` (3-D windows), or
        ``RNNRegressor(n_features_per_step=n_features)`` with ``flatten=True``.
    chunks : iterable of (X_chunk, y_chunk), or a callable returning one
        As in :func:`window_chunks`; every ``y_chunk`` must be given. With
        ``epochs > 1`` it must be re-iterable (a list, :func:`array_chunks`,
        :func:`dask_chunks`) or a callable, not a one-shot generator.
    window_length : int
        Number of time steps in each window.
    epochs : int, default=1
        Number of passes over the chunks.
    padding : {"edge", "zeros"} or None, default="edge"
        Start of the series, as in :func:`window_chunks`.
    flatten : bool, default=False
        Pass 2-D time-major windows instead of 3-D ones.
    transformer : fitted transformer or None, default=None
        Applied to each ``X_chunk`` before windowing.

    Returns
    -------
    estimator : estimator
        The same object, trained.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor
    >>> from skrnn.incremental import array_chunks, fit_chunks, predict_chunks
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(2000, 1))
    >>> y = X[:, 0] + np.concatenate([[0.0], X[:-1, 0]])  # today + yesterday
    >>> chunks = array_chunks(X, y, chunk_size=500)
    >>> model = fit_chunks(RNNRegressor(random_state=0), chunks, 3, epochs=5)
    >>> pred = predict_chunks(model, chunks, 3)
    >>> float(np.mean((pred - y) ** 2)) < 0.05 * float(np.var(y))
    True
    """
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(
            f"fit_chunks needs an estimator with partial_fit; "
            f"{type(estimator).__name__} has none."
        )
    if not isinstance(epochs, Integral) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}.")
    _check_window_length(window_length)
    _check_padding(padding)
    for _ in range(epochs):
        windows = window_chunks(
            _iterate(chunks, epochs, "fit_chunks"), window_length,
            padding=padding, flatten=flatten, transformer=transformer,
        )
        for X_windows, y_windows in windows:
            if y_windows is None:
                raise ValueError("fit_chunks needs targets: a chunk has y_chunk None.")
            estimator.partial_fit(X_windows, y_windows)
    return estimator


def predict_chunks(estimator, chunks, window_length, *, padding="edge", flatten=False,
                   transformer=None):
    """Predict every row of a long series, chunk by chunk.

    The chunks are windowed as by :func:`window_chunks` (``y_chunk`` may be
    None), and ``estimator.predict`` is called on each chunk's windows; only
    the predictions of all chunks are kept.

    Parameters
    ----------
    estimator : fitted estimator
        Trained on windows of the same ``window_length`` and layout.
    chunks : iterable of (X_chunk, y_chunk), or a callable returning one
        As in :func:`window_chunks`; ``y_chunk`` is not used and may be None.
    window_length : int
        Number of time steps in each window.
    padding : {"edge", "zeros"} or None, default="edge"
        Start of the series, as in :func:`window_chunks`.
    flatten : bool, default=False
        Predict 2-D time-major windows instead of 3-D ones.
    transformer : fitted transformer or None, default=None
        Applied to each ``X_chunk`` before windowing.

    Returns
    -------
    y_pred : ndarray of shape (n_rows,) or (n_rows, n_outputs)
        One prediction per row of the series (per row from row
        ``window_length - 1`` on with ``padding=None``), equal to
        ``estimator.predict`` on the whole series' windows.
    """
    parts = [
        estimator.predict(X_windows)
        for X_windows, _ in window_chunks(
            chunks, window_length, padding=padding, flatten=flatten, transformer=transformer
        )
    ]
    if not parts:
        raise ValueError("predict_chunks: the chunks hold no window to predict.")
    return np.concatenate(parts)


# ---------------------------------------------------------------------- dask


class _DaskChunks:
    """Re-iterable computed blocks of dask collections (see :func:`dask_chunks`)."""

    def __init__(self, X, y):
        if hasattr(X, "blocks") and hasattr(X, "chunks"):  # dask array
            if X.ndim != 2:
                raise ValueError(
                    f"X must be a 2-D dask array of rows (n_rows, n_features), got "
                    f"{X.ndim} dimensions."
                )
            X = X.rechunk({1: -1})
            if y is not None:
                if not (hasattr(y, "blocks") and hasattr(y, "chunks")):
                    raise ValueError("X is a dask array; y must be a dask array too.")
                if y.shape[0] != X.shape[0]:
                    raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}.")
                y = y.rechunk({0: X.chunks[0], **{k: -1 for k in range(1, y.ndim)}})
            self._n, self._is_array = X.numblocks[0], True
        elif hasattr(X, "partitions") and hasattr(X, "npartitions"):  # dask DataFrame
            if y is not None and not (
                hasattr(y, "partitions") and y.npartitions == X.npartitions
            ):
                raise ValueError(
                    f"X is a dask DataFrame of {X.npartitions} partitions; y must be "
                    "a dask Series or DataFrame with the same partitions."
                )
            self._n, self._is_array = X.npartitions, False
        else:
            raise TypeError(
                f"dask_chunks takes a dask array or DataFrame, got {type(X).__name__}; "
                "use array_chunks for in-memory or memory-mapped arrays."
            )
        self.X, self.y = X, y

    def __len__(self):
        return self._n

    def _part(self, collection, i):
        return collection.blocks[i] if self._is_array else collection.partitions[i]

    def __iter__(self):
        import dask

        for i in range(self._n):
            x_block = self._part(self.X, i)
            if self.y is None:
                yield x_block.compute(), None
            else:
                yield dask.compute(x_block, self._part(self.y, i))

    def __repr__(self):
        return f"dask_chunks(<{type(self.X).__name__}>): {self._n} chunks"


def dask_chunks(X, y=None):
    """The blocks of a dask array, or partitions of a dask DataFrame, as chunks.

    A re-iterable for :func:`fit_chunks`, :func:`window_chunks` and
    :func:`predict_chunks`: iterating computes one block of ``X`` (and the
    matching block of ``y``) at a time, in order, with the current dask
    scheduler (on a ``dask.distributed`` cluster when a ``Client`` is
    active); training itself runs here, in this process, because each
    ``partial_fit`` needs the state the previous one left.

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features) or dask.dataframe.DataFrame
        Rows of the series in time order, split along the rows. An array's
        columns are merged into one chunk; its blocks are the chunks.
    y : dask array or dask Series/DataFrame, default=None
        Targets: for an array ``X`` an array (rechunked to ``X``'s row
        blocks); for a DataFrame ``X`` a Series with the same partitions.

    Returns
    -------
    chunks : iterable of (X_chunk, y_chunk)
        Computed NumPy arrays (pandas objects for a DataFrame); ``len(chunks)``
        is the number of blocks.

    Examples
    --------
    Ten blocks of a million rows, trained one block at a time::

        import dask.array as da
        from skrnn import RNNRegressor
        from skrnn.incremental import dask_chunks, fit_chunks

        X = da.random.normal(size=(10_000_000, 3), chunks=(1_000_000, 3))
        y = X[:, 0] * 2
        model = fit_chunks(RNNRegressor(), dask_chunks(X, y), 7, epochs=2)
    """
    return _DaskChunks(X, y)


def _window_block(rows, n_out, window_length, padding, flatten):
    """Windows of the last ``n_out`` rows of ``rows`` (padded at the series start)."""
    missing = n_out + window_length - 1 - rows.shape[0]
    if missing > 0:  # only the block that starts the series, with padding
        rows = np.concatenate([_pad_rows(rows[0], missing, padding), rows])
    return window_rows(rows, window_length, flatten)[-n_out:]


def window_dask(X, window_length, *, padding="edge", flatten=False):
    """Lazy windows of a dask array of rows, with the overlap of the blocks before.

    Each output block holds the windows ending at the rows of one row block
    of ``X``; it reads that block and the ``window_length - 1`` rows before
    it (from as many earlier blocks as needed), so computed, the result
    equals ``SequenceWindower(window_length, padding=...).fit_transform(X)``
    bit for bit (its rows ``window_length - 1:`` with ``padding=None``).

    Parameters
    ----------
    X : dask.array.Array of shape (n_rows, n_features)
        Rows of the series in time order, chunked along the rows. Integer
        input is converted to float64.
    window_length : int
        Number of time steps in each window.
    padding : {"edge", "zeros"} or None, default="edge"
        Start of the series, as in :func:`window_chunks`.
    flatten : bool, default=False
        2-D time-major windows instead of 3-D ones.

    Returns
    -------
    X_windows : dask.array.Array of shape (n, window_length, n_features) or \
            (n, window_length * n_features)
        With the row blocks of ``X`` (the first ones shorter, or absent, with
        ``padding=None``).
    """
    window_length = _check_window_length(window_length)
    padding = _check_padding(padding)
    if not (hasattr(X, "chunks") and hasattr(X, "map_blocks")) or X.ndim != 2:
        raise ValueError(
            "window_dask takes a 2-D dask array of rows (n_rows, n_features); got "
            f"{type(X).__name__} with shape {getattr(X, 'shape', None)}."
        )
    import dask.array as da

    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    X = X.rechunk({1: -1})
    n_features, n_history = X.shape[1], window_length - 1
    blocks, stop = [], 0
    for size in X.chunks[0]:
        start, stop = stop, stop + size
        n_out = size if padding is not None else stop - max(start, n_history)
        if n_out <= 0:
            continue
        low = max(0, start - n_history)
        rows = X[low:stop].rechunk({0: -1})
        out_chunks = (
            ((n_out,), (window_length * n_features,)) if flatten
            else ((n_out,), (window_length,), (n_features,))
        )
        blocks.append(rows.map_blocks(
            _window_block, n_out=n_out, window_length=window_length, padding=padding,
            flatten=flatten, dtype=X.dtype, chunks=out_chunks,
            **({} if flatten else {"new_axis": [1]}),
        ))
    if not blocks:
        raise ValueError(
            f"window_dask: X has {X.shape[0]} rows, too few for one window of "
            f"{window_length} rows with padding=None."
        )
    return da.concatenate(blocks, axis=0)


def _predict_block(block, estimator):
    return estimator.predict(block)


def predict_dask(estimator, X):
    """Predict a dask array of windows block by block, with ``map_blocks``.

    Parameters
    ----------
    estimator : fitted estimator
        E.g. a fitted :class:`~skrnn.RNNRegressor`; it is shipped with the
        task graph (to the workers, on a cluster), so it should be small,
        as a fitted ``RNNRegressor`` is.
    X : dask.array.Array of shape (n, n_steps, n_features) or (n, n_columns)
        Windows (e.g. from :func:`window_dask`), chunked along the first axis
        only (other axes are merged into one chunk).

    Returns
    -------
    y_pred : dask.array.Array of shape (n,) or (n, n_outputs)
        Lazy predictions with the row blocks of ``X``; computed, each block
        equals ``estimator.predict`` on that block of windows.
    """
    if not (hasattr(X, "chunks") and hasattr(X, "map_blocks")) or X.ndim not in (2, 3):
        raise ValueError(
            "predict_dask takes a 2-D or 3-D dask array of windows; got "
            f"{type(X).__name__} with shape {getattr(X, 'shape', None)}."
        )
    X = X.rechunk({k: -1 for k in range(1, X.ndim)})
    # one window, predicted here, gives the output's dtype and shape
    probe = np.asarray(estimator.predict(np.zeros((1, *X.shape[1:]), dtype=X.dtype)))
    if probe.ndim == 1:
        return X.map_blocks(
            _predict_block, estimator, dtype=probe.dtype, drop_axis=list(range(1, X.ndim)),
            chunks=(X.chunks[0],),
        )
    out_chunks = (X.chunks[0], (probe.shape[1],))
    if X.ndim == 3:
        return X.map_blocks(
            _predict_block, estimator, dtype=probe.dtype, drop_axis=[2], chunks=out_chunks,
        )
    return X.map_blocks(_predict_block, estimator, dtype=probe.dtype, chunks=out_chunks)

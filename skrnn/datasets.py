"""Loaders for the daily weather data sets used in skrnn's examples and tests.

Both loaders return the same shape of data: a :class:`pandas.DataFrame`
indexed by date (a :class:`pandas.DatetimeIndex` named ``"date"``) with the
float64 columns ``tmax, tmin, rain, tmax_tomorrow``; the task is to predict
``tmax_tomorrow`` from ``tmax, tmin, rain``.

- :func:`load_weather` reads the tutorial's ``clean_weather.csv`` (°F and
  inches) from a path, the environment, a local cache, or downloads it once.
- :func:`load_seattle_weather` works offline from the Seattle weather series
  bundled with the optional ``vega_datasets`` package (°C and mm).
"""

import hashlib
import http.client
import io
import os
import re
import tempfile
import urllib.error
import urllib.request

import pandas as pd

__all__ = [
    "ChecksumError",
    "DatasetUnavailableError",
    "WEATHER_FEATURES",
    "WEATHER_SHA256",
    "WEATHER_TARGET",
    "WEATHER_URL",
    "chronological_split",
    "get_data_home",
    "load_seattle_weather",
    "load_weather",
]

#: Public location of the tutorial's data set, downloaded by :func:`load_weather`.
WEATHER_URL = (
    "https://raw.githubusercontent.com/VikParuchuri/zero_to_gpt/master/data/clean_weather.csv"
)
#: SHA-256 of the file at :data:`WEATHER_URL`; a download must match it.
WEATHER_SHA256 = "70d75ac02ccf0c0f45aed0077919fee302c6428b9f3c3401aadf090b0f6dfc8c"
#: File name of the cached copy inside the data home.
WEATHER_FILENAME = "clean_weather.csv"

_WEATHER_CSV_ENV = "SKRNN_WEATHER_CSV"
_DATA_HOME_ENV = "SKRNN_DATA_HOME"
_DEFAULT_DATA_HOME = os.path.join("~", "skrnn_data")

#: The weather task's feature columns (what the tutorial forecasts from).
WEATHER_FEATURES = ("tmax", "tmin", "rain")
#: Its target column: the next day's ``tmax``.
WEATHER_TARGET = "tmax_tomorrow"
_COLUMNS = [*WEATHER_FEATURES, WEATHER_TARGET]

# Seconds before a stalled connection or read gives up.
_DOWNLOAD_TIMEOUT = 30.0
_CHUNK_SIZE = 1 << 16


class DatasetUnavailableError(OSError):
    """The data set is not on disk and could not be downloaded.

    Subclass of :class:`OSError`. Its message says how to provide the file.
    """


class ChecksumError(DatasetUnavailableError):
    """A downloaded file does not have the expected SHA-256 checksum.

    Subclass of :class:`DatasetUnavailableError` (hence of :class:`OSError`).
    Nothing is cached when it is raised.
    """


def get_data_home(data_home=None):
    """Return the folder where skrnn caches downloaded data sets.

    The folder is, in order of precedence: the ``data_home`` argument; the
    environment variable ``SKRNN_DATA_HOME``; ``~/skrnn_data``. A leading
    ``~`` is expanded. The folder is not created here: :func:`load_weather`
    creates it only when it downloads a file.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder to use instead of the environment variable or the default.

    Returns
    -------
    data_home : str
        Path of the data home.

    Examples
    --------
    >>> import os
    >>> from skrnn.datasets import get_data_home
    >>> os.path.basename(get_data_home("~/my_skrnn_data"))
    'my_skrnn_data'
    """
    if data_home is None:
        data_home = os.environ.get(_DATA_HOME_ENV) or _DEFAULT_DATA_HOME
    return os.path.expanduser(os.fspath(data_home))


def _how_to_provide(cache_path):
    return (
        "Provide the file in one of these ways: pass its path, "
        "load_weather('path/to/clean_weather.csv'); set the environment "
        f"variable {_WEATHER_CSV_ENV} to its path; or place it at {cache_path!r} "
        f"(the data home is set by the data_home argument or {_DATA_HOME_ENV}, "
        f"default {_DEFAULT_DATA_HOME!r})."
    )


def _download_weather(url, expected_sha256, data_home, cache_path):
    """Download ``url`` into ``cache_path``, atomically, only if its hash matches."""
    os.makedirs(data_home, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=data_home, prefix=f".{WEATHER_FILENAME}.", suffix=".part"
    )
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            # A fresh opener reads the proxy settings of the environment now.
            opener = urllib.request.build_opener()
            with opener.open(url, timeout=_DOWNLOAD_TIMEOUT) as response:
                while chunk := response.read(_CHUNK_SIZE):
                    digest.update(chunk)
                    out.write(chunk)
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise ChecksumError(
                f"Checksum mismatch for the weather data downloaded from {url!r}: "
                f"its sha256 is {actual}, expected {expected_sha256}. The download "
                "is corrupted or the file has changed upstream; nothing was cached. "
                + _how_to_provide(cache_path)
            )
        os.replace(tmp_path, cache_path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)


# The first bytes of file types that are often passed by mistake.
_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx / OpenDocument file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls (or other Office) file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "an executable program"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"PAR1", "a Parquet file"),
]
# Suffixes that pandas.read_csv decompresses itself ("infer" compression).
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar", ".tgz")
_SNIFF_BYTES = 1 << 13
# Bytes read to locate a decoding error for its message.
_MAX_DECODE_CHECK = 1 << 26
_EXPECTED_LAYOUT = (
    "expected a CSV with a header line, a date as the first column, then the "
    f"columns {', '.join(_COLUMNS)}"
)


def _one_line(text):
    return " ".join(str(text).split())


def _looks_like(head):
    """A guess at what a non-CSV text starts with, for error messages."""
    start = head.lstrip()[:1]
    if start in (b"{", b"["):
        return "JSON"
    if start == b"<":
        return "HTML or XML"
    return None


def _sniff(path, name):
    """Reject files that are empty or plainly not text; return their first bytes."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if os.fspath(path).lower().endswith(_COMPRESSED_SUFFIXES):
        return b""  # pandas decompresses it; its content is checked after reading
    if not head:
        raise ValueError(f"The weather CSV {name} is empty; {_EXPECTED_LAYOUT}.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError(
            f"The weather CSV {name} is UTF-16 text (as Excel's \"Unicode Text\" saves "
            f"it), not UTF-8: save it as a UTF-8 CSV; {_EXPECTED_LAYOUT}."
        )
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            raise ValueError(
                f"The weather CSV {name} is {kind}, not a CSV (text) file; {_EXPECTED_LAYOUT}."
            )
    if b"\x00" in head:
        raise ValueError(
            f"The weather CSV {name} is a binary file (it contains NUL bytes), not a "
            f"CSV (text) file; {_EXPECTED_LAYOUT}."
        )
    return head


def _where_not_utf8(path, exc):
    """Where the first byte that is not UTF-8 is, in words."""
    with open(path, "rb") as f:
        data = f.read(_MAX_DECODE_CHECK)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return (
            f"byte 0x{data[error.start]:02x} on line {line}, at byte offset "
            f"{error.start}, is not valid UTF-8"
        )
    return f"byte 0x{exc.object[exc.start]:02x} is not valid UTF-8"


def _parse_error_message(name, exc, head):
    """Say, in words, why pandas could not tokenize the file."""
    kind = _looks_like(head)
    if kind:
        return (
            f"The weather CSV {name} looks like {kind}, not a CSV file "
            f"({_EXPECTED_LAYOUT})."
        )
    match = re.search(r"Expected (\d+) fields? in line (\d+), saw (\d+)", str(exc))
    if match:
        expected, line, saw = match.groups()
        return (
            f"The weather CSV {name} is not a CSV in the expected format: its line "
            f"{line} has {saw} comma-separated fields, but its header line has "
            f"{expected}; {_EXPECTED_LAYOUT}."
        )
    return (
        f"The weather CSV {name} could not be read as a CSV ({_one_line(exc)}); "
        f"{_EXPECTED_LAYOUT}."
    )


def _read_weather_csv(path):
    """Read, validate and forward-fill a CSV in the tutorial's format."""
    name = repr(os.fspath(path))
    head = _sniff(path, name)
    try:
        df = pd.read_csv(path, index_col=0)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"The weather CSV {name} cannot be decoded as UTF-8 text ("
            f"{_where_not_utf8(path, exc)}): it is not a CSV (text) file, or its text "
            f"is not UTF-8 (save it as UTF-8); {_EXPECTED_LAYOUT}."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise ValueError(
            f"The weather CSV {name} has no header line and no data (it is empty or "
            f"blank); {_EXPECTED_LAYOUT}."
        ) from exc
    except pd.errors.ParserError as exc:
        raise ValueError(_parse_error_message(name, exc, head)) from exc
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        kind = _looks_like(head)
        if kind:
            raise ValueError(
                f"The weather CSV {name} looks like {kind}, not a CSV file "
                f"({_EXPECTED_LAYOUT})."
            )
        header = [df.index.name, *df.columns]
        found = ", ".join(repr(str(c)) for c in header if c is not None) or "nothing"
        hint = ""
        if df.index.name in missing:
            hint = (
                f" Its first column, {df.index.name!r}, is read as the dates: the "
                "file needs a date column before it."
            )
        raise ValueError(
            f"The weather CSV {name} is missing the column(s) {', '.join(missing)}; "
            f"{_EXPECTED_LAYOUT}. Its header line has: {found}.{hint}"
        )
    try:
        index = pd.DatetimeIndex(pd.to_datetime(df.index), name="date")
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"The first column of the weather CSV {name} must hold dates: "
            f"{_one_line(exc)}"
        ) from exc
    values = {}
    for column in _COLUMNS:
        numbers = pd.to_numeric(df[column], errors="coerce")
        bad = (numbers.isna() & df[column].notna()).to_numpy()
        if bad.any():
            row = int(bad.argmax())
            raise ValueError(
                f"The column {column} of the weather CSV {name} must be numeric: its "
                f"value {df[column].iloc[row]!r} on data row {row + 1} (date "
                f"{df.index[row]}) is not a number."
            )
        values[column] = numbers.to_numpy(dtype="float64")
    values = pd.DataFrame(values, index=index)
    # As the tutorial does: a missing value takes the previous day's.
    return values.ffill()


def _check_path(path, named_by=""):
    """The file to read must exist and be a regular file; say which is wrong."""
    name = repr(os.fspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"The weather CSV path {name}{named_by} is a directory, not a file: give "
            "the path of the CSV file itself."
        )
    if not os.path.exists(path):
        raise FileNotFoundError(f"Weather CSV not found: {name}{named_by}.")
    if not os.path.isfile(path):
        raise OSError(
            f"The weather CSV path {name}{named_by} is not a regular file (it is a "
            "device, a pipe or a socket): give the path of a CSV file."
        )
    if not os.access(path, os.R_OK):
        raise PermissionError(
            f"The weather CSV {name}{named_by} cannot be read: permission denied."
        )


def _split(df, return_X_y):
    if return_X_y:
        return df[list(WEATHER_FEATURES)], df[WEATHER_TARGET]
    return df


def load_weather(path=None, *, return_X_y=False, data_home=None, download_if_missing=True):
    """Load the daily weather series of the "zero to GPT" RNN tutorial.

    13,509 days from 1970-01-01 with the daily maximum and minimum temperature
    (°F) and the rain (inches); the target ``tmax_tomorrow`` is the next day's
    maximum temperature. The first column of the CSV is the date, parsed into
    a :class:`pandas.DatetimeIndex` named ``"date"``. Missing values are
    forward-filled (``DataFrame.ffill``), as in the tutorial; a value missing
    on the first row, with nothing before it, stays NaN. Columns other than
    ``tmax, tmin, rain, tmax_tomorrow`` are dropped.

    The file is looked for, in this order:

    1. ``path``, when given;
    2. the environment variable ``SKRNN_WEATHER_CSV``, when set;
    3. ``clean_weather.csv`` in the data home (see :func:`get_data_home`);
    4. otherwise it is downloaded from :data:`WEATHER_URL` (only when
       ``download_if_missing``), checked against :data:`WEATHER_SHA256` and
       only then moved, atomically, to the data home, so later calls read the
       cached copy. Proxies set in the environment are honoured.

    The data come from the public repository VikParuchuri/zero_to_gpt
    (``data/clean_weather.csv``), licensed CC BY-NC 4.0 by its author, Vik
    Paruchuri. That licence, which forbids commercial use, covers the data,
    not skrnn; the file is not shipped with skrnn.

    Parameters
    ----------
    path : str or path-like, default=None
        CSV file to read. When given it takes precedence over everything else.
    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of the whole frame.
    data_home : str or path-like, default=None
        Folder of the cached copy; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        If False, raise instead of downloading when no file is found.

    Returns
    -------
    data : pandas.DataFrame of shape (n_days, 4)
        Float64 columns ``tmax, tmin, rain, tmax_tomorrow``, indexed by date.
        Returned when ``return_X_y`` is False.
    (X, y) : tuple of pandas.DataFrame of shape (n_days, 3) and pandas.Series
        ``X`` holds ``tmax, tmin, rain``; ``y`` is ``tmax_tomorrow``.
        Returned when ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``path``, or the file named by ``SKRNN_WEATHER_CSV``, does not exist.
    IsADirectoryError
        If that path is a directory (:class:`OSError` if it is another kind of
        non-regular file, :class:`PermissionError` if it cannot be read).
    ValueError
        If the file is not a CSV in the expected format; the message names the
        file and says what is wrong: it is empty, binary (an image, an archive,
        ...), not UTF-8 text, JSON or HTML, or its lines do not have the
        header's number of fields; it lacks one of the columns (the message
        lists the columns it has); its first column does not hold dates; or a
        column is not numeric.
    DatasetUnavailableError
        Subclass of :class:`OSError`: no file was found and the download was
        disabled or failed (no network, HTTP error, timeout). The message says
        how to provide the file.
    ChecksumError
        Subclass of :class:`DatasetUnavailableError`: the downloaded file does
        not match :data:`WEATHER_SHA256`. Nothing is cached.

    See Also
    --------
    load_seattle_weather : Same shape of data, offline, in metric units.

    Examples
    --------
    A file in the tutorial's format, with one missing value:

    >>> import os, tempfile
    >>> from skrnn.datasets import load_weather
    >>> csv = (",tmax,tmin,rain,tmax_tomorrow\\n"
    ...        "1970-01-01,60.0,35.0,0.0,52.0\\n"
    ...        "1970-01-02,52.0,,0.0,52.0\\n")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "weather.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write(csv)
    ...     X, y = load_weather(path, return_X_y=True)
    >>> X  # doctest: +NORMALIZE_WHITESPACE
                tmax  tmin  rain
    date
    1970-01-01  60.0  35.0   0.0
    1970-01-02  52.0  35.0   0.0
    >>> y.tolist()
    [52.0, 52.0]

    The full data set, downloaded on first use:

    >>> data = load_weather()  # doctest: +SKIP
    >>> data.shape  # doctest: +SKIP
    (13509, 4)
    """
    if path is not None:
        _check_path(path)
        return _split(_read_weather_csv(path), return_X_y)

    env_path = os.environ.get(_WEATHER_CSV_ENV)
    if env_path:
        _check_path(env_path, f", named by the environment variable {_WEATHER_CSV_ENV},")
        return _split(_read_weather_csv(env_path), return_X_y)

    home = get_data_home(data_home)
    cache_path = os.path.join(home, WEATHER_FILENAME)
    if os.path.exists(cache_path) and not os.path.isfile(cache_path):
        _check_path(cache_path, " (the cached copy in the data home)")
    if not os.path.isfile(cache_path):
        # Read the module constants now, so that they can be overridden.
        url, expected = WEATHER_URL, WEATHER_SHA256
        if not download_if_missing:
            raise DatasetUnavailableError(
                "The weather data set is not available: no path was given, "
                f"{_WEATHER_CSV_ENV} is not set, there is no cached copy at "
                f"{cache_path!r} and download_if_missing is False. "
                + _how_to_provide(cache_path)
            )
        try:
            _download_weather(url, expected, home, cache_path)
        except ChecksumError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise DatasetUnavailableError(
                "The weather data set is not available: no path was given, "
                f"{_WEATHER_CSV_ENV} is not set, there is no cached copy at "
                f"{cache_path!r}, and downloading {url!r} failed ({reason}). "
                + _how_to_provide(cache_path)
            ) from exc
    return _split(_read_weather_csv(cache_path), return_X_y)


def load_seattle_weather(*, return_X_y=False):
    """Load the Seattle daily weather bundled with ``vega_datasets``, offline.

    1,460 days from 2012-01-01 to 2015-12-30, in the same shape as
    :func:`load_weather`: float64 columns ``tmax, tmin, rain, tmax_tomorrow``
    indexed by a :class:`pandas.DatetimeIndex` named ``"date"``. ``tmax`` is
    the source's ``temp_max``, ``tmin`` its ``temp_min``, ``rain`` its
    ``precipitation`` and ``tmax_tomorrow`` the next day's ``tmax`` (the
    series has no gaps); the last day, which has no next day, is dropped.

    Units are metric, as in the source: temperatures in **degrees Celsius**
    and precipitation in **millimetres**, unlike :func:`load_weather` (°F,
    inches).

    The file is the copy shipped inside the ``vega_datasets`` package, read
    through its local-only loader: no network is used. The data are NOAA
    daily observations for Seattle, as distributed by the vega-datasets
    project. ``vega_datasets`` is an optional dependency, installed with
    ``pip install "skrnn[demo]"``.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of the whole frame.

    Returns
    -------
    data : pandas.DataFrame of shape (1460, 4)
        Returned when ``return_X_y`` is False.
    (X, y) : tuple of pandas.DataFrame of shape (1460, 3) and pandas.Series
        Returned when ``return_X_y`` is True.

    Raises
    ------
    ImportError
        If ``vega_datasets`` is not installed.

    See Also
    --------
    load_weather : The tutorial's data set, in °F and inches.

    Examples
    --------
    >>> from skrnn.datasets import load_seattle_weather
    >>> X, y = load_seattle_weather(return_X_y=True)  # doctest: +SKIP
    >>> X.shape, y.shape  # doctest: +SKIP
    ((1460, 3), (1460,))
    """
    try:
        from vega_datasets import local_data
    except ImportError as exc:
        raise ImportError(
            "load_seattle_weather needs the optional package vega_datasets: "
            'pip install "skrnn[demo]" (or pip install vega_datasets).'
        ) from exc

    # local_data only knows the bundled data sets and never downloads.
    raw = local_data.seattle_weather.raw(use_local=True)
    source = pd.read_csv(io.BytesIO(raw))
    df = pd.DataFrame(
        {
            "tmax": source["temp_max"].to_numpy(dtype="float64"),
            "tmin": source["temp_min"].to_numpy(dtype="float64"),
            "rain": source["precipitation"].to_numpy(dtype="float64"),
        },
        index=pd.DatetimeIndex(pd.to_datetime(source["date"]), name="date"),
    )
    df[WEATHER_TARGET] = df["tmax"].shift(-1)
    df = df.iloc[:-1]
    return _split(df, return_X_y)


def chronological_split(n_samples, train=0.70, valid=0.15):
    """Row boundaries ``(a, b)`` of the weather task's chronological split.

    Rows ``:a`` train, ``a:b`` validation, ``b:`` test (70/15/15 by default).

    Examples
    --------
    >>> from skrnn.datasets import chronological_split
    >>> chronological_split(100)
    (70, 85)
    """
    if not (0 < train and 0 <= valid and train + valid < 1):
        raise ValueError(f"train={train}, valid={valid}: need 0 < train, 0 <= valid, "
                         "train + valid < 1.")
    return int(train * n_samples), int((train + valid) * n_samples)

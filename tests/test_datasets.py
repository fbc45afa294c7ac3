"""Tests of skrnn.datasets: the weather loaders, their cache and their download."""

import hashlib
import http.server
import os
import socket
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skrnn import datasets
from skrnn.datasets import (
    ChecksumError,
    DatasetUnavailableError,
    get_data_home,
    load_seattle_weather,
    load_weather,
)

COLUMNS = ["tmax", "tmin", "rain", "tmax_tomorrow"]
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_WEATHER_CSV = REPO_ROOT.parent / "shared" / "data" / "clean_weather.csv"

SMALL_CSV = (
    ",tmax,tmin,rain,tmax_tomorrow\n"
    "1970-01-01,60.0,35.0,0.0,52.0\n"
    "1970-01-02,52.0,39.0,0.0,52.0\n"
    "1970-01-03,52.0,35.0,0.0,53.0\n"
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """No test sees the caller's settings, proxies, or home folder."""
    for name in ("SKRNN_WEATHER_CSV", "SKRNN_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(datasets, "_DOWNLOAD_TIMEOUT", 5.0)


def write_csv(path, text=SMALL_CSV):
    path.write_text(text)
    return path


def _shared_weather_csv():
    env = os.environ.get("SKRNN_WEATHER_CSV")
    if env and os.path.isfile(env):
        return Path(env)
    if SHARED_WEATHER_CSV.is_file():
        return SHARED_WEATHER_CSV
    return None


# Resolved at import, before the autouse fixture clears the variable.
SHARED_CSV = _shared_weather_csv()


# --------------------------------------------------------------------------
# The real data set


@pytest.mark.skipif(SHARED_CSV is None, reason="shared clean_weather.csv not found")
def test_load_weather_real_file(monkeypatch, tmp_path):
    monkeypatch.setenv("SKRNN_WEATHER_CSV", str(SHARED_CSV))
    monkeypatch.setenv("SKRNN_DATA_HOME", str(tmp_path / "empty"))
    assert hashlib.sha256(SHARED_CSV.read_bytes()).hexdigest() == datasets.WEATHER_SHA256

    data = load_weather()
    assert data.shape == (13509, 4)
    assert list(data.columns) == COLUMNS
    assert (data.dtypes == np.float64).all()
    assert isinstance(data.index, pd.DatetimeIndex)
    assert data.index.name == "date"
    assert data.index[0] == pd.Timestamp("1970-01-01")
    assert data.index.is_monotonic_increasing
    assert not data.isna().any().any()

    # The raw file has gaps; ffill takes the previous day's value.
    raw = pd.read_csv(SHARED_CSV, index_col=0)
    assert raw.isna().any().any()
    expected = raw.ffill().to_numpy()
    np.testing.assert_array_equal(data.to_numpy(), expected)

    X, y = load_weather(return_X_y=True)
    assert X.shape == (13509, 3)
    assert list(X.columns) == ["tmax", "tmin", "rain"]
    assert y.shape == (13509,)
    assert y.name == "tmax_tomorrow"
    assert X.index.equals(data.index) and y.index.equals(data.index)
    assert not (tmp_path / "empty").exists()


# --------------------------------------------------------------------------
# Reading and validating a file


def test_missing_columns_error_names_columns_and_file(tmp_path):
    path = write_csv(tmp_path / "bad.csv", ",tmax,tmin\n1970-01-01,60.0,35.0\n")
    with pytest.raises(ValueError, match="missing the column") as info:
        load_weather(path)
    message = str(info.value)
    assert "rain" in message and "tmax_tomorrow" in message
    assert "bad.csv" in message


def test_non_date_index_is_rejected(tmp_path):
    path = write_csv(tmp_path / "nodate.csv", ",tmax,tmin,rain,tmax_tomorrow\nabc,1,2,3,4\n")
    with pytest.raises(ValueError, match="must hold dates"):
        load_weather(path)


def test_forward_fill_and_dtypes(tmp_path):
    text = (
        ",tmax,tmin,rain,tmax_tomorrow,extra\n"
        "1970-01-01,,35,0,52,x\n"
        "1970-01-02,52,39,,52,x\n"
        "1970-01-03,,,,53,x\n"
        "1970-01-04,50,30,1,54,x\n"
    )
    data = load_weather(write_csv(tmp_path / "gaps.csv", text))
    assert list(data.columns) == COLUMNS  # "extra" dropped
    assert (data.dtypes == np.float64).all()  # integers become float64
    assert isinstance(data.index, pd.DatetimeIndex)
    assert list(data.index) == list(pd.date_range("1970-01-01", periods=4, freq="D"))
    # A leading gap has nothing to fill from and stays NaN.
    assert np.isnan(data["tmax"].iloc[0])
    np.testing.assert_array_equal(data["tmax"].iloc[1:], [52.0, 52.0, 50.0])
    np.testing.assert_array_equal(data["tmin"], [35.0, 39.0, 39.0, 30.0])
    np.testing.assert_array_equal(data["rain"], [0.0, 0.0, 0.0, 1.0])


def test_return_X_y_small(tmp_path):
    X, y = load_weather(write_csv(tmp_path / "w.csv"), return_X_y=True)
    assert X.shape == (3, 3) and y.shape == (3,)
    np.testing.assert_array_equal(y, [52.0, 52.0, 53.0])


def test_missing_columns_error_lists_the_header_it_found(tmp_path):
    path = write_csv(tmp_path / "other.csv", "date,temp_max,temp_min\n2000-01-01,1,2\n")
    with pytest.raises(ValueError, match="missing the column") as info:
        load_weather(path)
    assert "Its header line has: 'date', 'temp_max', 'temp_min'." in str(info.value)
    # No date column: the first of the expected columns is read as the dates.
    path = write_csv(tmp_path / "noindex.csv", "tmax,tmin,rain,tmax_tomorrow\n1,2,3,4\n")
    with pytest.raises(ValueError, match="Its first column, 'tmax', is read as the dates"):
        load_weather(path)


def _png_bytes():
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256))


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("figure.png", _png_bytes(), "is a PNG image, not a CSV"),
        ("book.xlsx", b"PK\x03\x04" + bytes(100), r"is a ZIP archive \(or an Excel \.xlsx"),
        ("data.bin", b"tmax" + bytes(range(256)), r"is a binary file \(it contains NUL bytes\)"),
        # no NUL byte, not UTF-8 either: what the report's file gave
        ("blob.dat", b"\x86\x86" + bytes(range(1, 256)) * 4,
         r"cannot be decoded as UTF-8 text \(byte 0x86 on line 1, at byte offset 0,"),
        ("excel.txt", ",tmax,tmin,rain,tmax_tomorrow\n".encode("utf-16"),
         "is UTF-16 text .*not UTF-8: save it as a UTF-8 CSV"),
        ("latin1.csv", ",tmax,tmin,rain,tmax_tomorrow\n1970-01-01,1,2,3,4\n"
         "1970-01-02,caf\xe9,2,3,4\n".encode("latin-1"),
         r"cannot be decoded as UTF-8 text \(byte 0xe9 on line 3, at byte offset 63, is "
         r"not valid UTF-8\).*\(save it as UTF-8\)"),
        ("README.md", b"# Weather\n\nSome notes.\n| a | b, c | d, e |\n",
         "is not a CSV in the expected format: its line 4 has 3 comma-separated fields, "
         "but its header line has 1"),
        ("weather.json", b'{"tmax": [60, 52], "tmin": [35, 39]}\n', "looks like JSON, not a CSV"),
        ("records.json", b'[\n {"tmax": 1, "tmin": 0},\n {"tmax": 2, "tmin": 1}\n]\n',
         "looks like JSON, not a CSV"),
        ("page.csv", b"<!DOCTYPE html>\n<html><body>a, b</body></html>\n",
         "looks like HTML or XML, not a CSV"),
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"\n\n\n", "has no header line and no data"),
    ],
)
def test_a_file_that_is_not_a_weather_csv_is_explained(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        load_weather(path)
    text = str(info.value)
    assert repr(str(path)) in text  # names the file
    assert "\n" not in text  # one line
    assert "tmax, tmin, rain, tmax_tomorrow" in text  # and what was expected
    for jargon in ("codec", "C error", "Error tokenizing", "Found: ."):
        assert jargon not in text


def test_non_numeric_value_is_named(tmp_path):
    path = write_csv(tmp_path / "text.csv", SMALL_CSV.replace("52.0,39.0", "hot,39.0"))
    with pytest.raises(ValueError, match=r"column tmax .*'hot' on data row 2 "
                                         r"\(date 1970-01-02\) is not a number"):
        load_weather(path)


def test_compressed_csv_still_loads(tmp_path):
    import gzip

    path = tmp_path / "weather.csv.gz"
    path.write_bytes(gzip.compress(SMALL_CSV.encode()))
    assert load_weather(path).shape == (3, 4)


def test_directory_is_not_reported_as_missing(monkeypatch, tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory, not a file") as info:
        load_weather(tmp_path)
    assert repr(str(tmp_path)) in str(info.value)
    assert "not found" not in str(info.value)
    monkeypatch.setenv("SKRNN_WEATHER_CSV", str(tmp_path))
    with pytest.raises(IsADirectoryError, match="named by the environment variable"):
        load_weather()


def test_cache_path_that_is_a_directory(monkeypatch, tmp_path, no_download):
    (tmp_path / "clean_weather.csv").mkdir()
    with pytest.raises(IsADirectoryError, match="cached copy"):
        load_weather(data_home=tmp_path)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_device_is_not_a_regular_file():
    with pytest.raises(OSError, match="is not a regular file"):
        load_weather("/dev/null")


def test_missing_path_argument_raises_file_not_found(tmp_path):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        load_weather(missing)


def test_env_var_pointing_nowhere_raises_file_not_found(monkeypatch, tmp_path):
    monkeypatch.setenv("SKRNN_WEATHER_CSV", str(tmp_path / "gone.csv"))
    with pytest.raises(FileNotFoundError, match="gone.csv.*SKRNN_WEATHER_CSV"):
        load_weather()


# --------------------------------------------------------------------------
# Where the file comes from


def _csv_with_tmax(path, tmax):
    return write_csv(path, f",tmax,tmin,rain,tmax_tomorrow\n1970-01-01,{tmax},1,2,3\n")


@pytest.fixture
def no_download(monkeypatch):
    """Any download attempt fails the test."""

    def fail(*args, **kwargs):
        raise AssertionError("load_weather tried to download")

    monkeypatch.setattr(datasets, "_download_weather", fail)


def test_path_argument_beats_env_var(monkeypatch, tmp_path, no_download):
    arg = _csv_with_tmax(tmp_path / "arg.csv", 1.0)
    env = _csv_with_tmax(tmp_path / "env.csv", 2.0)
    monkeypatch.setenv("SKRNN_WEATHER_CSV", str(env))
    assert load_weather(arg)["tmax"].iloc[0] == 1.0
    assert load_weather(str(arg))["tmax"].iloc[0] == 1.0


def test_env_var_beats_cache(monkeypatch, tmp_path, no_download):
    home = tmp_path / "data_home"
    home.mkdir()
    _csv_with_tmax(home / "clean_weather.csv", 3.0)
    env = _csv_with_tmax(tmp_path / "env.csv", 2.0)
    monkeypatch.setenv("SKRNN_DATA_HOME", str(home))
    monkeypatch.setenv("SKRNN_WEATHER_CSV", str(env))
    assert load_weather()["tmax"].iloc[0] == 2.0
    # An empty variable counts as unset.
    monkeypatch.setenv("SKRNN_WEATHER_CSV", "")
    assert load_weather()["tmax"].iloc[0] == 3.0


def test_cache_used_when_present(monkeypatch, tmp_path, no_download):
    _csv_with_tmax(tmp_path / "clean_weather.csv", 3.0)
    monkeypatch.setenv("SKRNN_DATA_HOME", str(tmp_path))
    assert load_weather()["tmax"].iloc[0] == 3.0


def test_data_home_argument_beats_env(monkeypatch, tmp_path, no_download):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _csv_with_tmax(tmp_path / "a" / "clean_weather.csv", 4.0)
    _csv_with_tmax(tmp_path / "b" / "clean_weather.csv", 5.0)
    monkeypatch.setenv("SKRNN_DATA_HOME", str(tmp_path / "b"))
    assert load_weather(data_home=tmp_path / "a")["tmax"].iloc[0] == 4.0


def test_get_data_home(monkeypatch, tmp_path):
    assert get_data_home() == str(tmp_path / "home" / "skrnn_data")
    monkeypatch.setenv("SKRNN_DATA_HOME", str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")
    assert get_data_home(tmp_path / "arg") == str(tmp_path / "arg")
    assert get_data_home("~/x") == str(tmp_path / "home" / "x")
    assert not (tmp_path / "env").exists()  # not created


# --------------------------------------------------------------------------
# Download, against a local HTTP server


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        with server.lock:
            server.requests.append(self.path)
        if self.path != "/clean_weather.csv":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(server.payload)))
        self.end_headers()
        self.wfile.write(server.payload)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.timeout = 5
    server.payload = SMALL_CSV.encode()
    server.requests = []
    server.lock = threading.Lock()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/clean_weather.csv"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _closed_port_url():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/clean_weather.csv"


def test_download_verifies_and_caches(monkeypatch, tmp_path, http_server):
    home = tmp_path / "new_home"  # created by the download
    monkeypatch.setenv("SKRNN_DATA_HOME", str(home))
    monkeypatch.setattr(datasets, "WEATHER_URL", http_server.url)
    monkeypatch.setattr(
        datasets, "WEATHER_SHA256", hashlib.sha256(http_server.payload).hexdigest()
    )

    first = load_weather()
    assert len(http_server.requests) == 1
    assert first.shape == (3, 4)
    assert os.listdir(home) == ["clean_weather.csv"]  # no temp file left
    assert (home / "clean_weather.csv").read_bytes() == http_server.payload

    second = load_weather()
    assert len(http_server.requests) == 1  # read from the cache
    pd.testing.assert_frame_equal(first, second)


def test_corrupted_download_leaves_no_file(monkeypatch, tmp_path, http_server):
    monkeypatch.setenv("SKRNN_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(datasets, "WEATHER_URL", http_server.url)
    # The real checksum, which the served small file does not match.
    with pytest.raises(ChecksumError, match="[Cc]hecksum") as info:
        load_weather()
    assert isinstance(info.value, OSError)
    assert "nothing was cached" in str(info.value)
    assert len(http_server.requests) == 1
    assert os.listdir(tmp_path) == []


def test_http_error_is_unavailable(monkeypatch, tmp_path, http_server):
    monkeypatch.setenv("SKRNN_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(datasets, "WEATHER_URL", http_server.url.replace(".csv", ".txt"))
    with pytest.raises(DatasetUnavailableError, match="SKRNN_WEATHER_CSV"):
        load_weather()
    assert os.listdir(tmp_path) == []


def test_unreachable_server_says_how_to_provide_file(monkeypatch, tmp_path):
    monkeypatch.setenv("SKRNN_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(datasets, "WEATHER_URL", _closed_port_url())
    with pytest.raises(DatasetUnavailableError) as info:
        load_weather()
    assert isinstance(info.value, OSError)
    assert not isinstance(info.value, ChecksumError)
    message = str(info.value)
    assert "load_weather('path/to/clean_weather.csv')" in message
    assert "SKRNN_WEATHER_CSV" in message
    assert str(tmp_path / "clean_weather.csv") in message
    assert "SKRNN_DATA_HOME" in message
    assert os.listdir(tmp_path) == []


def test_download_if_missing_false(monkeypatch, tmp_path, no_download):
    monkeypatch.setenv("SKRNN_DATA_HOME", str(tmp_path / "h"))
    with pytest.raises(DatasetUnavailableError, match="download_if_missing is False"):
        load_weather(download_if_missing=False)
    assert not (tmp_path / "h").exists()


# --------------------------------------------------------------------------
# Seattle weather, offline from vega_datasets


def test_load_seattle_weather_offline(monkeypatch):
    pytest.importorskip("vega_datasets")

    def no_network(*args, **kwargs):
        raise AssertionError("load_seattle_weather opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    data = load_seattle_weather()
    X, y = load_seattle_weather(return_X_y=True)
    monkeypatch.undo()

    assert data.shape == (1460, 4)
    assert list(data.columns) == COLUMNS
    assert (data.dtypes == np.float64).all()
    assert isinstance(data.index, pd.DatetimeIndex)
    assert data.index.name == "date"
    assert data.index[0] == pd.Timestamp("2012-01-01")
    assert (np.diff(data.index.to_numpy()) == np.timedelta64(1, "D")).all()
    assert not data.isna().any().any()
    # First day of the source: temp_max 12.8 °C, temp_min 5.0 °C, 0.0 mm.
    np.testing.assert_array_equal(data.iloc[0, :3], [12.8, 5.0, 0.0])
    np.testing.assert_array_equal(data["tmax_tomorrow"].iloc[:-1], data["tmax"].iloc[1:])

    assert X.shape == (1460, 3) and y.shape == (1460,)
    assert list(X.columns) == ["tmax", "tmin", "rain"]
    pd.testing.assert_series_equal(y, data["tmax_tomorrow"])


def test_load_seattle_weather_without_vega(monkeypatch):
    monkeypatch.setitem(sys.modules, "vega_datasets", None)
    with pytest.raises(ImportError, match=r'pip install "skrnn\[demo\]"'):
        load_seattle_weather()

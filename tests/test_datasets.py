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

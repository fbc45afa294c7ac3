"""``python -m skrnn demo`` as a new user runs it (issue 17, items 1-5).

Each report is reproduced through a subprocess, ``python -m skrnn demo ...``,
with a time bound; a few checks that need no new process (the figure's axes,
the units of the full tutorial file, more --plot destinations) run in this
one. The runs that must fail before fitting are independent and are started
together, as many at a time as there are cores; the full runs use the
default data or a 60-day file.
"""

import importlib.util
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from .conftest import weather_csv

TIMEOUT = 60  # seconds for any demo run
QUICK = 20  # seconds for a run that must fail before fitting anything
PREFIX = "python -m skrnn: error: "
LAYOUT = "a date as the first column, then the columns tmax, tmin, rain, tmax_tomorrow"
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg"}
ENV.pop("SKRNN_WEATHER_CSV", None)

needs_vega = pytest.mark.skipif(
    importlib.util.find_spec("vega_datasets") is None,
    reason="the demo's default data needs vega_datasets",
)
needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason="--plot needs matplotlib"
)
needs_tutorial_csv = pytest.mark.skipif(
    not weather_csv().is_file(), reason="the tutorial's clean_weather.csv not found"
)


def run_skrnn(args, timeout=TIMEOUT):
    """Run ``python -m skrnn *args``; the result has ``.seconds``, its wall time."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "skrnn", *args], capture_output=True, text=True,
        encoding="utf-8", env=ENV, timeout=timeout,
    )
    result.seconds = time.perf_counter() - start
    return result


def demo(*args, timeout=TIMEOUT):
    return run_skrnn(["demo", *args], timeout)


def run_all(commands):
    """Run the independent ``{name: args}`` commands in parallel; ``{name: result}``."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        return dict(zip(commands, pool.map(run_skrnn, commands.values())))


def assert_one_line_error(result, *fragments, code=None):
    """A failed run: nothing on stdout, one line on stderr with the prefix."""
    assert result.returncode != 0, result.stdout
    if code is not None:
        assert result.returncode == code, result.stderr
    assert result.stdout == "", result.stdout  # nothing was fitted or printed
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(PREFIX), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def small_csv(path, n_days=60):
    """A short daily series in the tutorial's format (unknown units)."""
    days = np.arange(n_days)
    rng = np.random.RandomState(0)
    tmax = 60 + 15 * np.sin(2 * np.pi * days / 365) + rng.normal(0, 3, n_days)
    data = pd.DataFrame(
        {
            "tmax": tmax,
            "tmin": tmax - 12 + rng.normal(0, 2, n_days),
            "rain": rng.exponential(0.1, n_days),
            "tmax_tomorrow": np.append(tmax[1:], tmax[-1]),
        },
        index=pd.date_range("2000-01-01", periods=n_days, freq="D", name="date"),
    )
    data.to_csv(path)
    return path


# --------------------------------------------------------------------------
# The runs that must fail before fitting: all started at once, for items 1-4


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo_files")
    png = folder / "figure.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256)))
    markdown = folder / "README.md"
    markdown.write_text("# Weather\n\nSome notes.\n| a | b, c | d, e |\n")
    json_file = folder / "weather.json"
    json_file.write_text('{"tmax": [60, 52], "tmin": [35, 39]}\n')
    directory = folder / "data"
    directory.mkdir()
    small = small_csv(folder / "small.csv")  # 60 days: 42 training days
    return dict(folder=folder, png=png, markdown=markdown, json=json_file,
                directory=directory, small=small)


@pytest.fixture(scope="module")
def failures(files):
    commands = {
        # 1. windows (the default data has 1021 training days)
        "window 100000": ["demo", "--quiet", "--window-length", "100000"],
        "window 1400": ["demo", "--quiet", "--window-length", "1400"],
        "window 22 of 42": ["demo", "--quiet", "--csv", str(files["small"]),
                            "--window-length", "22"],
        # 2. --csv files that are not weather CSVs
        "csv png": ["demo", "--quiet", "--csv", str(files["png"])],
        "csv markdown": ["demo", "--quiet", "--csv", str(files["markdown"])],
        "csv json": ["demo", "--quiet", "--csv", str(files["json"])],
        "csv directory": ["demo", "--quiet", "--csv", str(files["directory"])],
        # 3. --plot where no file can be written
        "plot": ["demo", "--quiet", "--csv", str(files["small"]), "--plot",
                 "/no/such/dir/x.png"],
        # 4. option errors (of the demo's parser and of the top-level one)
        "window 0": ["demo", "--window-length", "0"],
        "seeds x": ["demo", "--seeds", "x"],
        # 1. again: the default data allows 510, the demo at most 365
        "window 400": ["demo", "--quiet", "--window-length", "400"],
    }
    return run_all(commands)


# --------------------------------------------------------------------------
# 1. A window longer than the training data is an error before any fit


@needs_vega
def test_window_longer_than_the_training_days_fails_at_once(failures):
    for name in ("window 100000", "window 1400"):
        assert failures[name].seconds < QUICK, failures[name].seconds
    assert_one_line_error(failures["window 100000"], "--window-length 100000",
                          "longer than the 1021 training days",
                          "at most half of them (510)", code=2)
    assert_one_line_error(failures["window 1400"], "--window-length 1400",
                          "longer than the 1021 training days", code=2)


@needs_vega
def test_window_longer_than_a_year_fails_at_once(failures):
    result = failures["window 400"]
    assert result.seconds < QUICK
    assert_one_line_error(result, "--window-length 400", "limit of 365 days", code=2)


def test_window_of_half_the_training_days_is_the_longest(files, failures):
    too_long = failures["window 22 of 42"]
    assert too_long.seconds < QUICK
    assert_one_line_error(too_long, "--window-length 22", "more than half the 42 training "
                          "days", "at most half of them (21)", code=2)
    path = files["small"]
    longest = demo("--quiet", "--csv", str(path), "--window-length", "21")
    assert longest.returncode == 0, longest.stderr
    assert longest.seconds < TIMEOUT
    assert "from the last 21 days" in longest.stdout
    # 5. the data and their (unknown) units, and early stopping off on 42 days
    assert f"Data: {path}: 60 days, 2000-01-01 to 2000-02-29; units as in the file" \
        in longest.stdout
    assert "MSE and MAE are in the file's temperature unit" in longest.stdout
    assert "RNNRegressor (seed 0): " in longest.stdout
    assert "early stopping was off" in longest.stdout
    assert "| model | valid MSE | valid MAE | test MSE | test MAE | fit s |" in longest.stdout


# --------------------------------------------------------------------------
# 2. --csv on a file that is not a CSV names it and says what is wrong


def test_csv_that_is_not_a_csv_is_explained(files, failures):
    # (load_weather's messages for more kinds of files: tests/test_datasets.py)
    expected = {
        "csv png": ["figure.png", "is a PNG image, not a CSV", LAYOUT],
        "csv markdown": ["README.md", "is not a CSV in the expected format",
                         "its line 4 has 3 comma-separated fields, but its header line has 1",
                         LAYOUT],
        "csv json": ["weather.json", "looks like JSON, not a CSV", LAYOUT],
        "csv directory": [f"{str(files['directory'])!r} is a directory, not a file"],
    }
    for name, fragments in expected.items():
        result = failures[name]
        assert result.seconds < QUICK
        assert_one_line_error(result, *fragments, code=1)
        for jargon in ("codec", "C error", "Error tokenizing", "Found: .", "not found"):
            assert jargon not in result.stderr


# --------------------------------------------------------------------------
# 3. --plot to a place it cannot be written fails before fitting


@needs_matplotlib
def test_plot_destination_is_checked_before_fitting(failures):
    result = failures["plot"]
    assert result.seconds < QUICK
    assert_one_line_error(result, "--plot '/no/such/dir/x.png'",
                          "the folder '/no/such/dir' does not exist", code=1)


def test_plot_destination_checks(tmp_path):
    pytest.importorskip("matplotlib")
    from skrnn._demo import check_plot_destination

    with pytest.raises(IsADirectoryError, match="is a directory; give a file name"):
        check_plot_destination(str(tmp_path))
    with pytest.raises(ValueError, match=r"cannot write \.txt files; use a name ending in \.png"):
        check_plot_destination(str(tmp_path / "figure.txt"))
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        check_plot_destination(str(small_csv(tmp_path / "file.csv") / "x.png"))
    existing = tmp_path / "old.png"
    existing.write_bytes(b"old")
    check_plot_destination(str(existing))
    check_plot_destination(str(tmp_path / "new.png"))
    check_plot_destination(str(tmp_path / "no_extension"))
    assert existing.read_bytes() == b"old"  # left as it was
    assert sorted(os.listdir(tmp_path)) == ["file.csv", "old.png"]  # nothing created


# --------------------------------------------------------------------------
# 4. One prefix for every error


def test_every_error_has_the_same_prefix(failures, capsys):
    for name in ("window 0", "seeds x"):
        result = failures[name]
        assert result.seconds < QUICK
        assert_one_line_error(result, "(see python -m skrnn demo --help)", code=2)
    assert_one_line_error(failures["window 0"], "--window-length: must be at least 1")
    assert_one_line_error(failures["seeds x"], "--seeds: must be whole numbers, got 'x'")
    # the errors found after parsing (items 1-3) have the same prefix
    for result in failures.values():
        assert result.stderr.startswith(PREFIX)
        assert "python -m skrnn demo: error" not in result.stderr
    # and so do the other option errors (the same parser, run in this process)
    from skrnn._demo import main

    for argv, help_of in ((["demo", "--seeds", "-1"], "python -m skrnn demo"),
                          (["demo", "--no-such-option"], "python -m skrnn"),
                          ([], "python -m skrnn")):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(PREFIX) and err.endswith(f"(see {help_of} --help)\n"), err
        assert err.count("\n") == 1


def test_data_the_demo_cannot_split_is_refused_before_fitting(tmp_path, capsys):
    # In this process (the same main() as the runs above): data that load but
    # that the demo cannot split chronologically.
    from skrnn._demo import main

    days = pd.date_range("2000-01-01", periods=30, name="date")
    data = pd.DataFrame({"tmax": np.arange(30.0), "tmin": 1.0, "rain": 0.0,
                         "tmax_tomorrow": 2.0}, index=days)
    gap = data.copy()
    gap.iloc[0, 0] = np.nan
    cases = {
        "few.csv": (data.iloc[:5], "the data has 5 days; the demo needs at least 20"),
        "gap.csv": (gap, "forward-filling cannot fill: tmax on 2000-01-01 (row 1)"),
        "reversed.csv": (data.iloc[::-1], "not in increasing order (2000-01-30 is "
                         "followed by 2000-01-29, row 2)"),
    }
    for name, (frame, message) in cases.items():
        frame.to_csv(tmp_path / name)
        assert main(["demo", "--quiet", "--csv", str(tmp_path / name)]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith(f"{PREFIX}{tmp_path / name}: ") and err.count("\n") == 1
        assert message in err, err


# --------------------------------------------------------------------------
# 5. What the output says: data, units, split first, early stopping, labels


@needs_vega
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_the_demo_draws_progress_bars_in_a_terminal():
    """With stdout a terminal (a pseudo-terminal here) and rich installed (the test
    extra), scikit-learn's ProgressBar shows the pipeline's steps and the epochs."""
    pytest.importorskip("rich")
    primary, secondary = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "skrnn", "demo"], stdout=secondary,
                               stderr=subprocess.PIPE, env={**ENV, "COLUMNS": "120"})
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed: the demo has ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=TIMEOUT) == 0, process.stderr.read()
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "RNNRegressor - fit" in text and "100%" in text
    assert "Epoch 1: loss" not in text  # the bars, not the lines


@needs_vega
def test_without_rich_the_demo_prints_one_line_per_epoch():
    """No progress bar without rich: the RNN's own verbose lines, and why it stopped."""
    code = ("import runpy, sys; sys.modules['rich'] = None; sys.argv = ['skrnn', 'demo']; "
            "runpy.run_module('skrnn', run_name='__main__')")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            encoding="utf-8", env=ENV, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert time.perf_counter() - start < TIMEOUT
    lines = result.stdout.splitlines()
    assert any(line.startswith("Fitting RNNRegressor (seed 0), one line per epoch") for line in lines)
    assert any(line.startswith("Epoch 1: loss = ") for line in lines)
    assert any(line.startswith("Stopped after epoch ") for line in lines)
    assert not any("RNNRegressor - fit" in line for line in lines)


@needs_vega
@needs_matplotlib
def test_default_demo_says_what_it_used(tmp_path):
    figure = tmp_path / "demo.png"
    result = demo("--seeds", "0", "1", "--plot", str(figure))  # not --quiet: epochs too
    assert result.returncode == 0, result.stderr
    assert result.seconds < TIMEOUT
    out = result.stdout
    lines = out.splitlines()
    assert lines[0] == (
        "Data: the Seattle daily weather (NOAA) bundled with vega_datasets: 1460 days, "
        "2012-01-01 to 2015-12-30; temperatures in °C, rain in mm."
    )
    split = next(i for i, line in enumerate(lines) if line.startswith("Chronological split"))
    assert "1021 train days (2012-01-01 to" in lines[split]
    # stdout is a pipe here: one line per epoch (a progress bar would be cut to
    # "100% 0…"); in a terminal, the bars (test_the_demo_draws_progress_bars_in_a_terminal)
    first_epoch = next(i for i, line in enumerate(lines) if line.startswith("Epoch 1:"))
    assert not any("| RNNRegressor - fit" in line for line in lines)
    stops = [i for i, line in enumerate(lines)
             if line.startswith("RNNRegressor (seed ") and "epochs" in line]
    table = lines.index("|---|---:|---:|---:|---:|---:|") - 1
    assert split < first_epoch < stops[0] < stops[1] < table  # the split before fitting
    for seed, i in zip((0, 1), stops):
        assert lines[i].startswith(f"RNNRegressor (seed {seed}): early stopping ended the "
                                   "fit after ")
        assert "held-out last 103 train days" in lines[i]
    assert lines[table] == ("| model | valid MSE (°C²) | valid MAE (°C) | test MSE (°C²) "
                            "| test MAE (°C) | fit s |")
    labels = [line.split(" | ")[0][2:] for line in lines[table + 2:] if line.startswith("| ")]
    assert labels == [
        "persistence (tmax today)",
        "Ridge (flattened window)",
        "MLPRegressor(32) (flattened window)",
        "RNNRegressor (seed 0)",
        "RNNRegressor (seed 1)",
        "RNNRegressor, median of 2 seeds",
    ]
    assert lines[-1] == f"Figure written to {figure}"
    assert figure.stat().st_size > 10_000


@needs_tutorial_csv
def test_tutorial_csv_is_in_fahrenheit(tmp_path):
    # In this process: a full run on the 13509 days would take the time of the
    # whole file; the printing is the one the default run above goes through.
    from skrnn._demo import describe_csv, describe_data, format_table
    from skrnn.datasets import load_weather

    data = load_weather(weather_csv())
    source = describe_csv(weather_csv())
    assert (source.temperature_unit, source.rain_unit) == ("°F", "inches")
    assert describe_data(data, source) == (
        f"Data: {weather_csv()} (the tutorial's clean_weather.csv): 13509 days, "
        "1970-01-01 to 2022-11-26; temperatures in °F, rain in inches."
    )
    assert format_table([], "°F").startswith(
        "| model | valid MSE (°F²) | valid MAE (°F) | test MSE (°F²) | test MAE (°F) |"
    )
    # a part of the file is not the tutorial's file: its units are not assumed
    data.iloc[:100].to_csv(tmp_path / "part.csv")
    assert describe_csv(tmp_path / "part.csv").temperature_unit is None


def test_plot_axes_have_units():
    pytest.importorskip("matplotlib")
    from sklearn.pipeline import make_pipeline

    from skrnn import RNNRegressor, SequenceWindower
    from skrnn._demo import make_figure

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model = make_pipeline(SequenceWindower(3), RNNRegressor(max_iter=3, early_stopping=True,
                                                            random_state=0))
    model.fit(X, y)
    dates = pd.date_range("2015-01-01", periods=40, freq="D")
    for unit, expected in (("°C", "(°C)"), (None, "(unit of the file)")):
        fig = make_figure(model, y, model.predict(X), dates=dates, unit=unit)
        ax_loss, ax_pred = fig.axes
        assert ax_loss.get_xlabel() == "epoch"
        assert "standardised target (no unit)" in ax_loss.get_ylabel()
        assert ax_pred.get_ylabel().endswith(expected)
        assert ax_pred.get_xlabel().startswith("date")
        import matplotlib.pyplot as plt

        plt.close(fig)

"""The demo: forecast tomorrow's maximum temperature with a plain pipeline.

Run it with ``python -m skrnn demo`` (``--help`` lists the options).

Everything that can be checked without fitting is checked before the first
fit: the ``--plot`` destination, the data, and the window length against the
training days. Every error is one line, ``python -m skrnn: error: ...``.
"""

import argparse
import hashlib
import os
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import RNNRegressor, SequenceWindower, predict_with_history
from .datasets import (WEATHER_FEATURES, WEATHER_SHA256, WEATHER_TARGET, chronological_split,
                       load_seattle_weather, load_weather)

FEATURES, TARGET = list(WEATHER_FEATURES), WEATHER_TARGET


PROG = "python -m skrnn"
#: The longest window the demo accepts, whatever the data: a year of days.
MAX_WINDOW_DAYS = 365
#: The fewest days the demo accepts (70/15/15 split: 14 train, 3 valid, 3 test).
MIN_DAYS = 20
#: random_state of the MLPRegressor baseline (--seeds are the RNN's).
BASELINE_SEED = 0
# Labels of the baselines of make_models in the result table.
_BASELINE_LABELS = {
    "Ridge (flattened window)": "Ridge (flattened window)",
    "MLPRegressor(32) (window)": "MLPRegressor(32) (flattened window)",
}


@dataclass(frozen=True)
class DataSource:
    """What the demo's data are, for its output: a description and the units."""

    description: str
    temperature_unit: str = None  # None: unknown (a user's CSV)
    rain_unit: str = None


SEATTLE = DataSource("the Seattle daily weather (NOAA) bundled with vega_datasets", "°C", "mm")


def describe_csv(path):
    """The :class:`DataSource` of a ``--csv`` file: °F and inches for the tutorial's file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() == WEATHER_SHA256:
        return DataSource(f"{os.fspath(path)} (the tutorial's clean_weather.csv)", "°F", "inches")
    return DataSource(os.fspath(path))


def make_models(window_length, random_state, verbose):
    """The compared pipelines, all behind the same scaler and windower."""

    def windowed(estimator, flatten):
        return make_pipeline(
            StandardScaler(), SequenceWindower(window_length, flatten=flatten), estimator
        )

    return {
        "Ridge (flattened window)": windowed(Ridge(), True),
        "MLPRegressor(32) (window)": windowed(
            MLPRegressor(hidden_layer_sizes=(32,), random_state=random_state, max_iter=500),
            True,
        ),
        "RNNRegressor": windowed(RNNRegressor(random_state=random_state, verbose=verbose), False),
    }


# ---------------------------------------------------------------------- checks


def max_window_length(n_train):
    """The longest window the demo accepts with ``n_train`` training days.

    At most half the training days, so that at least half of the training
    windows hold real history (the first ``window_length - 1`` are padded),
    and at most :data:`MAX_WINDOW_DAYS`, which bounds the fit time: the
    flattened baselines get ``3 * window_length`` features per day and the
    RNN backpropagates through every step.
    """
    return min(n_train // 2, MAX_WINDOW_DAYS)


def window_length_problem(window_length, n_train):
    """Why ``window_length`` does not suit ``n_train`` training days, or None."""
    if window_length <= max_window_length(n_train):
        return None
    if window_length > n_train // 2:
        where = "longer than the" if window_length > n_train else "more than half the"
        return (
            f"--window-length {window_length} is {where} {n_train} training days of "
            f"this data: the demo accepts at most half of them ({n_train // 2}), so that "
            "most training windows hold real days rather than padding"
        )
    return (
        f"--window-length {window_length} is more than the demo's limit of "
        f"{MAX_WINDOW_DAYS} days (a year), which keeps a run to minutes; use "
        "skrnn's estimators directly for longer windows"
    )


def data_problem(data):
    """Why the demo cannot use ``data``, or None."""
    if len(data) < MIN_DAYS:
        return (
            f"the data has {len(data)} days; the demo needs at least {MIN_DAYS} to split "
            "them 70/15/15 into train, valid and test days"
        )
    missing = data[[*FEATURES, TARGET]].isna()
    if missing.any().any():
        row = int(missing.any(axis=1).to_numpy().argmax())
        columns = ", ".join(missing.columns[missing.iloc[row].to_numpy()])
        return (
            f"the data has missing values that forward-filling cannot fill: {columns} "
            f"on {_day(data.index, row)} (row {row + 1}), with no earlier value; remove the "
            "first rows up to the first complete one"
        )
    if isinstance(data.index, pd.DatetimeIndex) and not data.index.is_monotonic_increasing:
        row = int((np.diff(data.index.asi8) < 0).argmax()) + 1
        return (
            f"the dates are not in increasing order ({_day(data.index, row - 1)} is "
            f"followed by {_day(data.index, row)}, row {row + 1}); sort the rows by "
            "date, since the demo splits them chronologically"
        )
    return None


def check_plot_destination(path):
    """Raise now, before any fit, if the figure could not be written to ``path``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError as exc:
        raise ImportError(
            'The --plot option needs matplotlib: pip install "skrnn[demo]" '
            "(or pip install matplotlib)."
        ) from exc
    name = repr(os.fspath(path))
    extension = os.path.splitext(path)[1][1:].lower()
    supported = FigureCanvasAgg.get_supported_filetypes()
    if extension and extension not in supported:
        raise ValueError(
            f"--plot {name}: matplotlib cannot write .{extension} files; use a name "
            f"ending in .png (or .{', .'.join(sorted(supported))})."
        )
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"--plot {name} is a directory; give a file name, such as "
            f"{os.path.join(path, 'demo.png')!r}."
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise FileNotFoundError(f"--plot {name}: the folder {folder!r} {what}.")
    existed = os.path.exists(path)
    try:
        with open(path, "ab"):  # appends nothing: an existing file is unchanged
            pass
        if not existed:
            os.remove(path)
    except OSError as exc:
        raise PermissionError(
            f"--plot {name} cannot be written: {exc.strerror or exc}."
        ) from exc


# ---------------------------------------------------------------------- output


def _say(text, out):
    """Print ``text``; in ASCII where the stream cannot encode °, ² or ×."""
    encoding = getattr(out, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        for symbol, ascii_text in (("°", "deg "), ("²", "^2"), ("×", "x"), ("–", "-")):
            text = text.replace(symbol, ascii_text)
        text = text.encode("ascii", "replace").decode("ascii")
    print(text, file=out)


def _day(index, row):
    day = index[row]
    return day.date() if isinstance(day, pd.Timestamp) else day


def _span(index):
    if isinstance(index, pd.DatetimeIndex) and len(index):
        return f"{_day(index, 0)} to {_day(index, -1)}"
    return f"rows {index[0]} to {index[-1]}" if len(index) else "none"


def describe_data(data, source):
    unit, rain = source.temperature_unit, source.rain_unit
    if unit:
        units = f"temperatures in {unit}, rain in {rain}"
    else:
        units = (
            "units as in the file (it is not the tutorial's clean_weather.csv, "
            "which is in °F and inches)"
        )
    return f"Data: {source.description}: {len(data)} days, {_span(data.index)}; {units}."


def describe_split(index, a, b):
    return (
        f"Chronological split (70/15/15): {a} train days ({_span(index[:a])}), "
        f"{b - a} valid days ({_span(index[a:b])}), "
        f"{len(index) - b} test days ({_span(index[b:])})."
    )


def describe_stop(name, rnn, n_train):
    """One line: how the RNN's fit on ``n_train`` days ended (early stopping or not)."""
    epochs, limit = rnn.n_iter_, rnn.max_iter
    if rnn.validation_scores_ is not None:
        n_val = int(np.ceil(rnn.validation_fraction * n_train))
        kept = (f"the weights of its best validation epoch ({rnn.best_epoch_}) were kept"
                if rnn.best_epoch_ else "no epoch did better than the ridge fit it started "
                "from, which was kept")
        if epochs < limit:
            return (
                f"{name}: early stopping ended the fit after {epochs} of at most {limit} "
                f"epochs, when the R² on the held-out last {n_val} train days had stopped "
                f"improving; {kept}."
            )
        return (
            f"{name}: ran all {limit} epochs (max_iter) without early stopping "
            f"ending the fit; {kept}."
        )
    why = (
        f"early stopping was off (it holds out validation days from "
        f"{rnn._auto_early_stopping_min_samples} train days on)"
    )
    if epochs < limit:
        return (
            f"{name}: stopped after {epochs} of at most {limit} epochs, when the "
            f"training loss had stopped improving; {why}."
        )
    return f"{name}: ran all {limit} epochs (max_iter) without converging; {why}."


def format_table(rows, unit=None):
    """The result table (Markdown), with the units of MSE and MAE in its header."""
    mse, mae = (f" ({unit}²)", f" ({unit})") if unit else ("", "")
    lines = [
        f"| model | valid MSE{mse} | valid MAE{mae} | test MSE{mse} | test MAE{mae} | fit s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['valid_mse']:.2f} | {r['valid_mae']:.2f} | "
            f"{r['test_mse']:.2f} | {r['test_mae']:.2f} | {r['fit_seconds']:.2f} |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------- run


def _progress_bar():
    """scikit-learn's ProgressBar if ``rich`` (which draws it) is installed, else None."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return None
    from sklearn.callback import ProgressBar

    return ProgressBar()


def run(data, window_length=7, seeds=(0,), verbose=True, plot=None, out=None, source=None):
    """Fit and score every model; returns the rows of the result table.

    Prints the data, the split, how each RNN fit ended and the table to
    ``out``. ``source`` (a :class:`DataSource`) names the data and their
    units; None means unknown.
    """
    out = out or sys.stdout
    source = source or DataSource("the given data")
    problem = data_problem(data)
    X, y = data[FEATURES], data[TARGET].to_numpy()
    a, b = chronological_split(len(data))
    problem = problem or window_length_problem(window_length, a)
    if problem:
        raise ValueError(problem[0].upper() + problem[1:] + ".")
    if plot:
        check_plot_destination(plot)
    unit = source.temperature_unit
    _say(describe_data(data, source), out)
    _say(
        f"Task: forecast tomorrow's maximum temperature ({TARGET}) from the last "
        f"{window_length} days of {', '.join(FEATURES)}; the models fit on the train "
        "days and are scored on the valid and test days.",
        out,
    )
    _say(describe_split(data.index, a, b), out)
    task = _Task(X, y, a, b, window_length)
    tmax = X["tmax"].to_numpy()  # persistence: tomorrow's maximum is today's
    rows = [task.row("persistence (tmax today)", 0.0, tmax[a:b], tmax[b:])]
    baselines = make_models(window_length, BASELINE_SEED, False)
    for key, label in _BASELINE_LABELS.items():
        if verbose:
            _say(f"Fitting {label}...", out)
        rows.append(task.evaluate(label, baselines[key]))
    rnn_runs = _fit_rnns(task, seeds, verbose, out, rows)
    if len(seeds) > 1:
        runs = rows[-len(seeds):]
        median = {k: float(np.median([r[k] for r in runs])) for k in runs[0] if k != "model"}
        rows.append(dict(model=f"RNNRegressor, median of {len(seeds)} seeds", **median))
    _say("", out)
    _say(format_table(rows, unit), out)
    if not unit:
        _say("MSE and MAE are in the file's temperature unit (squared for MSE).", out)
    if plot:
        save_plot(
            plot, rnn_runs[0], y[b:],
            predict_with_history(rnn_runs[0], X, b, len(X), window_length),
            dates=data.index[b:], unit=unit, label=f"RNNRegressor (seed {seeds[0]})",
        )
        _say(f"Figure written to {plot}", out)
    return rows


class _Task:
    """The split task: fit a model on the train days, score it on valid and test."""

    def __init__(self, X, y, a, b, window_length):
        self.X, self.y, self.a, self.b, self.window_length = X, y, a, b, window_length

    def row(self, name, fit_seconds, valid_pred, test_pred):
        y, a, b = self.y, self.a, self.b
        return dict(
            model=name,
            valid_mse=mean_squared_error(y[a:b], valid_pred),
            valid_mae=mean_absolute_error(y[a:b], valid_pred),
            test_mse=mean_squared_error(y[b:], test_pred),
            test_mae=mean_absolute_error(y[b:], test_pred),
            fit_seconds=fit_seconds,
        )

    def evaluate(self, name, model):
        """Fit ``model`` on the train days and return its row."""
        X, a, b = self.X, self.a, self.b
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X.iloc[:a], self.y[:a])
        seconds = time.perf_counter() - start
        return self.row(
            name, seconds,
            predict_with_history(model, X, a, b, self.window_length),
            predict_with_history(model, X, b, len(X), self.window_length),
        )


def _fit_rnns(task, seeds, verbose, out, rows):
    """Fit the RNN pipeline once per seed, with a progress bar or epoch lines;
    appends their rows and returns the fitted pipelines."""
    # a bar redraws itself in a terminal; written to a file or a pipe it is cut to
    # "100% 0…", so there the RNN prints one line per epoch instead
    in_terminal = out is sys.stdout and getattr(out, "isatty", lambda: False)()
    progress_bar = _progress_bar() if verbose and in_terminal else None
    runs = []
    for seed in seeds:
        label = f"RNNRegressor (seed {seed})"
        model = make_models(task.window_length, seed,
                            verbose and progress_bar is None)["RNNRegressor"]
        if progress_bar is not None:  # scikit-learn's ProgressBar, set on the pipeline
            model.set_callbacks(progress_bar)
            _say(f"Fitting {label}, a progress bar of the pipeline's steps and of the "
                 "RNN's epochs:", out)
        elif verbose:
            _say(f"Fitting {label}, one line per epoch (loss: ½ × MSE of the "
                 "standardised target, no unit):", out)
        out.flush()
        rows.append(task.evaluate(label, model))
        runs.append(model)
        _say(describe_stop(label, model[-1], task.a), out)
    return runs


# ------------------------------------------------------------------------ plot


def make_figure(model, y_test, test_pred, dates=None, unit=None, label="RNNRegressor"):
    """The loss curves of the pipeline's RNN and its last 120 test forecasts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rnn = model[-1]
    fig, (ax_loss, ax_pred) = plt.subplots(1, 2, figsize=(12, 4.5))
    epochs = np.arange(1, len(rnn.loss_curve_) + 1)
    ax_loss.plot(epochs, rnn.loss_curve_, label="training loss (with the L2 penalty)")
    if rnn.validation_loss_curve_ is not None:
        ax_loss.plot(epochs, rnn.validation_loss_curve_,
                     label="validation loss (held-out end of the train days)")
        best = int(np.argmax(rnn.validation_scores_)) + 1
        ax_loss.axvline(best, color="grey", linestyle=":",
                        label=f"best validation epoch ({best}), kept")
    ax_loss.set(
        xlabel="epoch",
        ylabel="loss: ½ × MSE of the standardised target (no unit)",
        title=f"{label}: training",
    )
    ax_loss.legend()

    days = slice(-120, None)
    unit_text = unit or "unit of the file"
    if isinstance(dates, pd.DatetimeIndex):
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        x = (dates + pd.Timedelta(days=1))[days]
        xlabel = "date (last 120 days of the test split)"
        locator = AutoDateLocator()
        ax_pred.xaxis.set_major_locator(locator)
        ax_pred.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    else:
        x = np.arange(len(y_test))[days]
        xlabel = "test day (last 120 of the test split)"
    ax_pred.plot(x, y_test[days], label="observed tmax")
    ax_pred.plot(x, test_pred[days], label=f"{label}, forecast the day before")
    ax_pred.set(
        xlabel=xlabel,
        ylabel=f"daily maximum temperature ({unit_text})",
        title="Test days: tmax and its forecast",
    )
    ax_pred.legend()
    fig.tight_layout()
    return fig


def save_plot(path, model, y_test, test_pred, dates=None, unit=None, label="RNNRegressor"):
    """Write :func:`make_figure` to ``path``."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            'The --plot option needs matplotlib: pip install "skrnn[demo]"'
        ) from exc
    fig = make_figure(model, y_test, test_pred, dates, unit, label)
    try:
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)


# ------------------------------------------------------------------------- CLI


def _one_line(text):
    return " ".join(str(text).split())


class _OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit status 2).

    Every error of ``python -m skrnn``, of any subcommand, starts with the
    same prefix, ``python -m skrnn: error:``.
    """

    def error(self, message):
        self.exit(2, f"{PROG}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _window_length(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of days, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be whole numbers, got {text!r}")
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be from 0 to {2**32 - 1}, got {value}")
    return value


def build_parser():
    parser = _OneLineErrorParser(
        prog=PROG,
        description="skrnn: a recurrent neural network for scikit-learn, in NumPy.",
    )
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"skrnn {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_OneLineErrorParser
    )
    demo = commands.add_parser(
        "demo",
        help="forecast tomorrow's maximum temperature and compare with baselines",
        description=(
            "Forecast tomorrow's maximum temperature from the last days of weather "
            "(tmax, tmin, rain) with make_pipeline(StandardScaler(), "
            "SequenceWindower(), RNNRegressor()). Splits the days chronologically "
            "70/15/15 (train/valid/test), fits on train (RNNRegressor holds out the "
            "chronological tail of train for early stopping), and prints a table of "
            "validation and test errors against persistence, Ridge and MLPRegressor, "
            "in the data's units."
        ),
    )
    demo.add_argument(
        "--csv", metavar="PATH",
        help="a CSV in the seed tutorial's format (date index, tmax, tmin, rain, "
             "tmax_tomorrow), such as clean_weather.csv (degrees F, inches); default: "
             "the Seattle daily weather bundled with vega_datasets (degrees C, mm)",
    )
    demo.add_argument("--window-length", type=_window_length, default=7, metavar="N",
                      help="days in each input window (default: 7); at most half the "
                           f"training days and at most {MAX_WINDOW_DAYS}")
    demo.add_argument("--seeds", type=_seed, nargs="+", default=[0], metavar="SEED",
                      help="random_state of the RNN; several seeds add their median "
                           f"(default: 0; the MLPRegressor baseline uses {BASELINE_SEED})")
    demo.add_argument("--plot", metavar="PNG",
                      help="write the loss curves and the test predictions to this "
                           "PNG file (needs matplotlib; checked before fitting)")
    demo.add_argument("--quiet", action="store_true",
                      help="do not show the RNN's progress (in a terminal with rich "
                           "installed a progress bar of its epochs, else one line per "
                           "epoch)")
    parser.demo_parser = demo
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.plot:
            check_plot_destination(args.plot)
        if args.csv:
            data = load_weather(args.csv)
            source = describe_csv(args.csv)
        else:
            data, source = load_seattle_weather(), SEATTLE
        problem = data_problem(data)
        if problem:
            raise ValueError(f"{source.description}: {problem}")
        n_train, _ = chronological_split(len(data))
        problem = window_length_problem(args.window_length, n_train)
        if problem:
            parser.demo_parser.error(problem)
        run(data, args.window_length, tuple(args.seeds), verbose=not args.quiet,
            plot=args.plot, source=source)
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        # Python's advice: point stdout at devnull, so the flush at exit is silent
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, ImportError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    return 0

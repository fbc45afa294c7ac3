"""The demo: forecast tomorrow's maximum temperature with a plain pipeline.

Run it with ``python -m skrnn demo`` (``--help`` lists the options).
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import RNNRegressor, SequenceWindower
from .datasets import load_seattle_weather, load_weather

FEATURES = ["tmax", "tmin", "rain"]
TARGET = "tmax_tomorrow"


def chronological_split(n_samples, train=0.70, valid=0.15):
    """Row boundaries of a chronological train / valid / test split."""
    return int(train * n_samples), int((train + valid) * n_samples)


def predict_with_history(model, X, start, stop, window_length):
    """Predict rows ``start:stop`` of ``X`` with the rows before them as history.

    The pipeline windows only the rows it is given; feeding it the
    ``window_length - 1`` rows before ``start`` too, and dropping their
    predictions, gives every evaluated row its full window.
    """
    first = max(start - (window_length - 1), 0)
    return model.predict(X.iloc[first:stop])[start - first :]


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


def run(data, window_length=7, seeds=(0,), verbose=True, plot=None, out=None):
    """Fit and score every model; returns the rows of the result table."""
    out = out or sys.stdout
    X, y = data[FEATURES], data[TARGET].to_numpy()
    a, b = chronological_split(len(data))
    rows, rnn_runs = [], []

    def score(name, fit_seconds, valid_pred, test_pred):
        rows.append(
            dict(
                model=name,
                valid_mse=mean_squared_error(y[a:b], valid_pred),
                valid_mae=mean_absolute_error(y[a:b], valid_pred),
                test_mse=mean_squared_error(y[b:], test_pred),
                test_mae=mean_absolute_error(y[b:], test_pred),
                fit_seconds=fit_seconds,
            )
        )

    # persistence: tomorrow's maximum is today's
    score("persistence (tmax today)", 0.0, X["tmax"].to_numpy()[a:b], X["tmax"].to_numpy()[b:])
    for seed in seeds:
        for name, model in make_models(window_length, seed, verbose).items():
            if name != "RNNRegressor" and seed != seeds[0]:
                continue  # the baselines once; the RNN for every seed
            if verbose and name == "RNNRegressor":
                print(f"Fitting RNNRegressor (random_state={seed}):", file=out)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X.iloc[:a], y[:a])
            seconds = time.perf_counter() - start
            label = name if len(seeds) == 1 else f"{name} (seed {seed})"
            score(
                label, seconds,
                predict_with_history(model, X, a, b, window_length),
                predict_with_history(model, X, b, len(X), window_length),
            )
            if name == "RNNRegressor":
                rnn_runs.append((model, rows[-1]))
    if len(seeds) > 1:
        runs = [r for _, r in rnn_runs]
        median = {k: float(np.median([r[k] for r in runs])) for k in runs[0] if k != "model"}
        rows.append(dict(model=f"RNNRegressor, median of {len(seeds)} seeds", **median))
    print(format_table(rows, len(y[:a]), b - a, len(y) - b), file=out)
    if plot:
        best_rnn = rnn_runs[0][0]
        save_plot(plot, best_rnn, y[b:], predict_with_history(best_rnn, X, b, len(X), window_length))
        print(f"Figure written to {plot}", file=out)
    return rows


def format_table(rows, n_train, n_valid, n_test):
    lines = [
        f"Chronological split: {n_train} train / {n_valid} valid / {n_test} test days.",
        "",
        "| model | valid MSE | valid MAE | test MSE | test MAE | fit s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['valid_mse']:.2f} | {r['valid_mae']:.2f} | "
            f"{r['test_mse']:.2f} | {r['test_mae']:.2f} | {r['fit_seconds']:.2f} |"
        )
    return "\n".join(lines)


def save_plot(path, model, y_test, test_pred):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            'The --plot option needs matplotlib: pip install "skrnn[demo]"'
        ) from exc
    rnn = model[-1]
    fig, (ax_loss, ax_pred) = plt.subplots(1, 2, figsize=(12, 4))
    ax_loss.plot(rnn.loss_curve_, label="training loss")
    if rnn.validation_loss_curve_ is not None:
        ax_loss.plot(rnn.validation_loss_curve_, label="validation loss")
    ax_loss.set(xlabel="epoch", ylabel="loss (standardised target)", title="RNNRegressor training")
    ax_loss.legend()
    days = slice(-120, None)
    ax_pred.plot(y_test[days], label="truth")
    ax_pred.plot(test_pred[days], label="RNNRegressor")
    ax_pred.set(xlabel="day (last 120 of the test split)", ylabel="tmax tomorrow",
                title="Test predictions")
    ax_pred.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


class _OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser():
    parser = _OneLineErrorParser(
        prog="python -m skrnn",
        description="skrnn: a recurrent neural network for scikit-learn, in NumPy.",
    )
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
            "validation and test errors against persistence, Ridge and MLPRegressor."
        ),
    )
    demo.add_argument(
        "--csv", metavar="PATH",
        help="a CSV in the seed tutorial's format (date index, tmax, tmin, rain, "
             "tmax_tomorrow), such as clean_weather.csv; default: the Seattle daily "
             "weather bundled with vega_datasets (degrees C, mm)",
    )
    demo.add_argument("--window-length", type=int, default=7, metavar="N",
                      help="days in each input window (default: 7)")
    demo.add_argument("--seeds", type=int, nargs="+", default=[0], metavar="SEED",
                      help="random_state of the RNN; several seeds add their median "
                           "(default: 0)")
    demo.add_argument("--plot", metavar="PNG",
                      help="write the loss curves and the test predictions to this "
                           "PNG file (needs matplotlib)")
    demo.add_argument("--quiet", action="store_true",
                      help="do not print the per-epoch progress of the RNN")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.window_length < 1:
        parser.error("--window-length must be at least 1")
    try:
        data = load_weather(args.csv) if args.csv else load_seattle_weather()
        run(data, args.window_length, tuple(args.seeds), verbose=not args.quiet,
            plot=args.plot)
    except (OSError, ValueError, ImportError) as exc:
        print(f"python -m skrnn demo: error: {exc}", file=sys.stderr)
        return 1
    return 0

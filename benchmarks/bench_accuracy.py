"""The weather task: every model on the same split, scaler and windows.

    python benchmarks/bench_accuracy.py [--csv path/to/clean_weather.csv]

Data: the seed tutorial's ``clean_weather.csv`` (path argument, else
``$SKRNN_WEATHER_CSV``, else ``skrnn.datasets.load_weather``'s cache or
download). Protocol: window 7, chronological 70/15/15 split, StandardScaler
fitted on train, every evaluated day predicted with the 6 days before it.
Prints valid/test MSE and fit seconds for persistence, Ridge,
HistGradientBoosting, MLPRegressor, RNNRegressor (defaults, seeds 0-4) and,
if installed, torch.nn.RNN trained with Adam; then the time to accuracy of
RNNRegressor (fit seconds until the validation MSE first reaches 20.3), and
against the seed tutorial: the tutorial's loop needs 250 epochs (259 s on the
machine of the issue that asked for this figure) to reach a validation MSE of
21.4; here the default RNNRegressor's seconds to 21.4 are set against 250
epochs of the loop-per-window reimplementation ``_naive.py`` (hidden 4, one
window at a time), timed on this machine over 2 epochs and multiplied.
Results go to ``benchmarks/results/accuracy.json``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import _naive
import _torch_peer
from _common import machine_info, write_results
from skrnn import RNNRegressor, SequenceWindower
from skrnn import predict_with_history
from skrnn._demo import make_models
from skrnn.datasets import WEATHER_FEATURES, WEATHER_TARGET, chronological_split
from skrnn.datasets import load_weather

WINDOW = 7
SEEDS = range(5)


def evaluate(name, model, X, y, a, b, rows):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X.iloc[:a], y[:a])
    seconds = time.perf_counter() - start
    valid = mean_squared_error(y[a:b], predict_with_history(model, X, a, b, WINDOW))
    test = mean_squared_error(y[b:], predict_with_history(model, X, b, len(X), WINDOW))
    rows.append(dict(model=name, valid_mse=valid, test_mse=test, fit_seconds=seconds))
    print(f"| {name} | {valid:.2f} | {test:.2f} | {seconds:.2f} |", flush=True)
    return model


def torch_rnn(X, y, a, b, seed, hidden=8, epochs=30, lr=3e-3, batch=64):
    """torch.nn.RNN + Linear (``_torch_peer``), Adam, mean squared error on the
    standardised target, no clipping, same windows; no early stopping."""
    import torch

    torch.manual_seed(seed)
    scaler = StandardScaler().fit(X.iloc[:a])
    windows = SequenceWindower(WINDOW).fit_transform(scaler.transform(X))
    mu, sd = y[:a].mean(), y[:a].std()
    Xt = torch.from_numpy(windows)
    yt = torch.from_numpy((y - mu) / sd).reshape(-1, 1)
    model = _torch_peer.build("elman", windows.shape[2], hidden, dtype=np.float64)
    start = time.perf_counter()
    _torch_peer.fit(model, Xt[:a], yt[:a], epochs=epochs, batch_size=batch, learning_rate=lr,
                    loss="mse")
    seconds = time.perf_counter() - start
    with torch.no_grad():
        pred = model(Xt).numpy().ravel() * sd + mu
    return (mean_squared_error(y[a:b], pred[a:b]), mean_squared_error(y[b:], pred[b:]), seconds)


def time_to_accuracy(X, y, a, b, seed, target=20.3, max_epochs=60):
    """Fit seconds (evaluation excluded) until the validation MSE first reaches target."""
    scaler = StandardScaler().fit(X.iloc[:a])
    windows = SequenceWindower(WINDOW).fit_transform(scaler.transform(X))
    model = RNNRegressor(random_state=seed)
    fit_seconds = 0.0
    for epoch in range(1, max_epochs + 1):
        start = time.perf_counter()
        model.partial_fit(windows[:a], y[:a])
        fit_seconds += time.perf_counter() - start
        mse = mean_squared_error(y[a:b], model.predict(windows[a:b]))
        if mse <= target:
            return dict(seed=seed, epochs=epoch, fit_seconds=fit_seconds, valid_mse=mse)
    return dict(seed=seed, epochs=None, fit_seconds=fit_seconds, valid_mse=mse)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="path to clean_weather.csv")
    args = parser.parse_args()
    data = load_weather(args.csv)
    X, y = data[list(WEATHER_FEATURES)], data[WEATHER_TARGET].to_numpy()
    a, b = chronological_split(len(data))
    rows = []
    print("| model | valid MSE | test MSE | fit s |\n|---|---:|---:|---:|")
    tmax = X["tmax"].to_numpy()
    rows.append(dict(model="persistence", valid_mse=mean_squared_error(y[a:b], tmax[a:b]),
                     test_mse=mean_squared_error(y[b:], tmax[b:]), fit_seconds=0.0))
    print(f"| persistence | {rows[-1]['valid_mse']:.2f} | {rows[-1]['test_mse']:.2f} | 0.00 |")
    baselines = make_models(WINDOW, 0, verbose=False)
    evaluate("Ridge (flattened window)", baselines["Ridge (flattened window)"], X, y, a, b, rows)
    evaluate("HistGradientBoosting (flattened window)",
             make_pipeline(StandardScaler(), SequenceWindower(WINDOW, flatten=True),
                           HistGradientBoostingRegressor(random_state=0)), X, y, a, b, rows)
    evaluate("MLPRegressor(32) (flattened window)", baselines["MLPRegressor(32) (window)"],
             X, y, a, b, rows)
    rnn_rows = []
    for seed in SEEDS:
        evaluate(f"RNNRegressor (seed {seed})", make_models(WINDOW, seed, False)["RNNRegressor"],
                 X, y, a, b, rnn_rows)
    med = {k: float(np.median([r[k] for r in rnn_rows])) for k in ("valid_mse", "test_mse",
                                                                  "fit_seconds")}
    rows += rnn_rows + [dict(model="RNNRegressor, median of seeds 0-4", **med)]
    print(f"| **RNNRegressor, median of seeds 0-4** | **{med['valid_mse']:.2f}** "
          f"| **{med['test_mse']:.2f}** | {med['fit_seconds']:.2f} |")
    try:
        import torch  # noqa: F401

        runs = [torch_rnn(X, y, a, b, seed) for seed in SEEDS]
        v, t, s = (float(np.median(c)) for c in zip(*runs))
        rows.append(dict(model="torch nn.RNN(8), Adam, 30 epochs, median of seeds 0-4",
                         valid_mse=v, test_mse=t, fit_seconds=s))
        print(f"| torch nn.RNN(8), Adam, 30 epochs, median of seeds 0-4 | {v:.2f} | {t:.2f} "
              f"| {s:.2f} |")
    except ImportError:
        print("(torch not installed: no torch row)")
    tta = [time_to_accuracy(X, y, a, b, seed) for seed in SEEDS]
    print("\nTime to accuracy (valid MSE <= 20.3), RNNRegressor defaults, partial_fit epochs:")
    for r in tta:
        print(f"  seed {r['seed']}: {r['epochs']} epochs, {r['fit_seconds']:.2f} s fit, "
              f"valid MSE {r['valid_mse']:.2f}")
    tutorial = tutorial_comparison(X, y, a, b)
    write_results("accuracy", dict(machine=machine_info(), rows=rows, time_to_accuracy=tta,
                                   tutorial=tutorial))


def tutorial_comparison(X, y, a, b, target=21.4, tutorial_epochs=250):
    """Seconds to a validation MSE of ``target``: skrnn's defaults against the tutorial's loop."""
    runs = [time_to_accuracy(X, y, a, b, seed, target=target) for seed in SEEDS]
    skrnn_seconds = float(np.median([r["fit_seconds"] for r in runs]))
    scaler = StandardScaler().fit(X.iloc[:a])
    windows = SequenceWindower(WINDOW).fit_transform(scaler.transform(X))[:a]
    p = _naive.init(windows.shape[2], 4, np.random.RandomState(0))
    times = []
    for _ in range(2):
        start = time.perf_counter()
        _naive.train_epoch(p, windows, y[:a])
        times.append(time.perf_counter() - start)
    loop_seconds = float(np.median(times)) * tutorial_epochs
    print(f"\nTo a validation MSE of {target}: RNNRegressor defaults, median of seeds "
          f"{SEEDS[0]}-{SEEDS[-1]}: {skrnn_seconds:.2f} s fit "
          f"({', '.join(str(r['epochs']) for r in runs)} epochs); the tutorial's loop, "
          f"{tutorial_epochs} epochs of the loop-per-window reimplementation here: "
          f"{loop_seconds:.0f} s ({np.median(times):.2f} s per epoch); ratio "
          f"{loop_seconds / skrnn_seconds:.0f}x (259 s on the issue's machine: "
          f"{259 / skrnn_seconds:.0f}x)")
    return dict(target=target, skrnn_runs=runs, skrnn_seconds=skrnn_seconds,
                loop_epoch_seconds=times, loop_seconds=loop_seconds,
                ratio=loop_seconds / skrnn_seconds, quoted_tutorial_seconds=259.0)


if __name__ == "__main__":
    main()

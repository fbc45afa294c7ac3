"""How RNNRegressor's fit time grows, and how much memory predict needs.

    python benchmarks/bench_scaling.py [--plot]
    python benchmarks/bench_scaling.py --default-fit   # the default path only

``--default-fit`` times the public ``fit`` at the defaults (early stopping on
from 1000 samples, so every epoch also scores the validation tail; shuffled
mini-batches of 64), three epochs, for every cell, on 5 thousand to 500
thousand windows of 7 steps x 3 features, and prints the seconds per epoch and
sample and the exponent of time against n_samples (1 = linear); then the same
for the other default code paths, one change each: sample weights, shuffle
off, early stopping off, float32 input. It writes
``benchmarks/results/scaling_default_fit.json``.

Fit time is the median time of one training epoch (``partial_fit``) while one
of n_samples, n_steps and hidden_size grows and the others stay fixed; the
printed exponent is the slope of log(time) against log(size) (1 = linear,
2 = quadratic). Peak memory of ``predict`` is measured with tracemalloc (NumPy
reports its allocations to it) on 500 thousand and 5 million windows:
``predict`` works in chunks, so beyond its output the peak should not grow
with n_samples.
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np

from _common import RESULTS, machine_info, write_results
from skrnn import RNNRegressor

BASE = dict(n_samples=4096, n_steps=16, hidden_size=32)
GRID = dict(
    n_samples=[1024, 2048, 4096, 8192, 16384],
    n_steps=[4, 8, 16, 32, 64],
    hidden_size=[16, 32, 64, 128, 256],
)


def epoch_seconds(n_samples, n_steps, hidden_size, repeats, features=3):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, n_steps, features))
    y = X[:, -1, 0]
    model = RNNRegressor(hidden_size=hidden_size, batch_size=64, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.partial_fit(X, y)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model.partial_fit(X, y)
            times.append(time.perf_counter() - start)
    return float(np.median(times))


DEFAULT_FIT_SIZES = [5_000, 50_000, 500_000]


# the default code path and each of the other paths a default fit can take
PATHS = {
    "defaults": {},
    "sample weights": dict(weighted=True),
    "shuffle=False": dict(params=dict(shuffle=False)),
    "early_stopping=False": dict(params=dict(early_stopping=False)),
    "float32": dict(dtype=np.float32),
}


def default_fit_epoch_seconds(n_samples, cell, epochs=3, n_steps=7, features=3,
                              params=None, weighted=False, dtype=np.float64):
    """Seconds per epoch of ``fit`` at the defaults (three epochs, no tol stop)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, n_steps, features)).astype(dtype)
    y = X[:, -1, 0] + 0.5 * X[:, -3, 1]
    w = rng.uniform(0.5, 2.0, size=n_samples) if weighted else None
    model = RNNRegressor(cell=cell, max_iter=epochs, n_iter_no_change=10**6, random_state=0,
                         **(params or {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X, y, sample_weight=w)
    assert model.n_iter_ == epochs
    return (time.perf_counter() - start) / epochs


def default_fit_scaling():
    rows = {}
    print("| path | cell | windows | seconds per epoch | us per sample and epoch |")
    print("|---|---|---:|---:|---:|")
    for path, options in PATHS.items():
        for cell in ("elman", "gru", "lstm"):
            seconds = [default_fit_epoch_seconds(n, cell, **options) for n in DEFAULT_FIT_SIZES]
            for n, t in zip(DEFAULT_FIT_SIZES, seconds):
                print(f"| {path} | {cell} | {n:,} | {t:.3f} | {1e6 * t / n:.2f} |", flush=True)
            slope = float(np.polyfit(np.log(DEFAULT_FIT_SIZES), np.log(seconds), 1)[0])
            row = dict(sizes=DEFAULT_FIT_SIZES, epoch_seconds=seconds, exponent=slope)
            rows.setdefault(path, {})[cell] = row
            print(f"| {path} | {cell} | exponent | {slope:.3f} | |", flush=True)
    # "cells" keeps the defaults' rows where the docs' table reads them
    write_results("scaling_default_fit", dict(machine=machine_info(), cells=rows["defaults"],
                                              paths=rows))


def predict_peak_bytes(n_windows, model, n_steps=7, features=3):
    X = np.random.RandomState(0).normal(size=(n_windows, n_steps, features))
    tracemalloc.start()
    tracemalloc.reset_peak()
    y = model.predict(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, y.nbytes, X.nbytes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--default-fit", action="store_true",
                        help="only the scaling of fit at the defaults, every cell")
    args = parser.parse_args()
    if args.default_fit:
        default_fit_scaling()
        return
    scaling = {}
    print("| grows | sizes | epoch seconds | exponent |")
    print("|---|---|---|---:|")
    for name, values in GRID.items():
        times = [epoch_seconds(**{**BASE, name: v}, repeats=args.repeats) for v in values]
        slope = float(np.polyfit(np.log(values), np.log(times), 1)[0])
        scaling[name] = dict(sizes=values, seconds=times, exponent=slope)
        print(f"| {name} | {values} | {[round(t, 4) for t in times]} | {slope:.2f} |",
              flush=True)

    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 7, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = RNNRegressor(hidden_size=16, max_iter=2, random_state=0).fit(X, X[:, -1, 0])
    memory = []
    print("\n| windows | input MB | output MB | predict peak MB | peak beyond output MB |")
    print("|---:|---:|---:|---:|---:|")
    for n in (500_000, 5_000_000):
        peak, out_bytes, in_bytes = predict_peak_bytes(n, model)
        memory.append(dict(n_windows=n, input_bytes=in_bytes, output_bytes=out_bytes,
                           peak_bytes=peak, peak_beyond_output_bytes=peak - out_bytes))
        print(f"| {n:,} | {in_bytes / 1e6:.0f} | {out_bytes / 1e6:.1f} | {peak / 1e6:.1f} "
              f"| {(peak - out_bytes) / 1e6:.1f} |", flush=True)
    write_results("scaling", dict(machine=machine_info(), scaling=scaling, predict_memory=memory))
    if args.plot:
        plot(scaling)


def plot(scaling):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, (name, r) in zip(axes, scaling.items()):
        ax.loglog(r["sizes"], r["seconds"], "o-")
        ax.set(xlabel=name, ylabel="seconds per epoch",
               title=f"{name}: exponent {r['exponent']:.2f}")
        # label the measured sizes only: log-scale minor labels overlap
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks(r["sizes"], [f"{s:,}" for s in r["sizes"]])
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    fig.savefig(RESULTS / "scaling.png", dpi=100)


if __name__ == "__main__":
    main()

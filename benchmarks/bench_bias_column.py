"""Does the bias column pay? Layer 0's ``b_h`` folded into its input product, or added.

    git checkout 27fe27e   # the one commit with both ways (Layout.bias_column)
    python benchmarks/bench_bias_column.py [--csv path/to/clean_weather.csv] [--quick]

A record: the measurement that decided to keep the column (see the comment
"the bias column" in ``skrnn/_network.py``). Later commits have the column
only; there the script says so and stops.

Two ways to compute the first layer's input projection ``Z[t] = x_t W_xh + b_h``:

* column: the time-major input carries a last feature of ones, so that
  ``[x_t, 1] [W_xh; b_h]`` is the projection and its bias in one product,
  and ``[dW_xh; db_h]`` is one product in backward;
* separate: ``x_t W_xh``, then ``+ b_h``; ``db_h`` is the sum of ``dZ`` (what
  the layers above always did).

For each case (cell, hidden size, steps; batches of 64, the seed tutorial's
standardised weather features, 3 per step), both arms run in the same
process, alternating, and the medians are compared:

* one forward + backward pass over one batch (``skrnn._network``), repeated;
* one epoch of ``RNNRegressor.partial_fit`` (validation, batching, clipping
  and Adam included), from the same fitted state.

Saving = (separate - column) / separate: positive when the column is faster.
The script also reports how far the two arms' results are apart: the output
and gradient of one pass, and the weights and predictions after one
epoch from the same state (the sums are done in another order, so they may
differ in the last bits).
BLAS runs on one thread (the machine is shared; at these sizes the products
are too small for a second thread to matter). ``--quick`` takes 3 repeats
instead of 7. Results: ``benchmarks/results/bias_column.json``.
"""

import argparse
import copy
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
from _common import machine_info, write_results
from threadpoolctl import threadpool_limits

from skrnn import RNNRegressor, _network
from skrnn.datasets import WEATHER_FEATURES, WEATHER_TARGET, load_weather

TUTORIAL_WINDOWS = 9450  # the seed tutorial's training windows (7 steps)
CASES = [  # name, RNNRegressor parameters beyond its defaults, steps, windows
    ("tutorial (Elman 16)", {"cell": "elman", "hidden_size": 16, "skip_connection": False}, 7,
     TUTORIAL_WINDOWS),
    ("tutorial size, GRU 16", {"cell": "gru", "hidden_size": 16}, 7, TUTORIAL_WINDOWS),
    ("tutorial size, LSTM 16", {"cell": "lstm", "hidden_size": 16}, 7, TUTORIAL_WINDOWS),
    ("RNNRegressor defaults (LSTM 8)", {}, 7, TUTORIAL_WINDOWS),
    ("hidden 64, LSTM", {"hidden_size": 64}, 7, TUTORIAL_WINDOWS),
    ("hidden 128, LSTM", {"hidden_size": 128}, 7, TUTORIAL_WINDOWS),
    ("hidden 128, Elman", {"cell": "elman", "hidden_size": 128}, 7, TUTORIAL_WINDOWS),
    ("200 steps, LSTM 16", {"hidden_size": 16}, 200, 2560),
    ("200 steps, Elman 16", {"cell": "elman", "hidden_size": 16}, 200, 2560),
]
BATCH = 64


def weather_windows(csv, steps, n_windows):
    """``(X, y)``: windows of the standardised features and the next day's target."""
    data = load_weather(csv)
    features = data[list(WEATHER_FEATURES)].to_numpy(dtype=float)
    features = (features - features.mean(axis=0)) / features.std(axis=0)
    target = data[WEATHER_TARGET].to_numpy(dtype=float)
    X = np.lib.stride_tricks.sliding_window_view(features, steps, axis=0).transpose(0, 2, 1)
    return np.ascontiguousarray(X[:n_windows]), target[steps - 1 :][:n_windows]


def alternate(fns, repeats):
    """Seconds of each run of each function: the functions run in turn, first one
    first, then the other (so that neither always runs after the other)."""
    times = [[] for _ in fns]
    for repeat in range(repeats):
        for k in range(len(fns))[:: 1 if repeat % 2 == 0 else -1]:
            start = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - start)
    return np.array(times)


def timed(fns, repeats, seconds=0.2):
    """Seconds per call of each function, over runs of about ``seconds`` each:
    (an array of repeats per function, calls per run)."""
    calls = max(1, int(seconds / min(alternate(fns, 1).ravel())))
    runs = alternate([lambda f=f: [f() for _ in range(calls)] for f in fns], repeats)
    return runs / calls, calls


def summary(times):
    """Medians (column, separate), the saving in % and its range over the pairs."""
    column, separate = np.median(times, axis=1)
    pairs = (times[1] - times[0]) / times[1] * 100
    return {"column": float(column), "separate": float(separate),
            "saving_pct": float((separate - column) / separate * 100),
            "saving_pct_range": [float(pairs.min()), float(pairs.max())]}


def relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(a)))


def without_column(layout):
    """The same network, computing layer 0's bias as the layers above do."""
    other = copy.copy(layout)
    other.bias_column = False
    return other


def pass_arms(model, X):
    """One forward + backward pass over a batch, in each arm: (functions, differences)."""
    batch = X[:BATCH]
    d_y_hat = np.random.RandomState(0).normal(size=(BATCH, model._layout.n_outputs))
    arms, results = [], []
    for layout in (model._layout, without_column(model._layout)):
        params = layout.params(model._theta)
        ws = _network.Workspace(layout, batch.shape[1], BATCH, model._theta.dtype)
        ws.X[...] = _network.time_major(batch, layout)

        def run(params=params, ws=ws):
            _network.forward(params, workspace=ws)
            return _network.backward(params, ws, d_y_hat)

        run()
        results.append((ws.y_hat.copy(), run().copy()))
        arms.append(run)
    (y1, g1), (y2, g2) = results
    return arms, {"output": relative(y1, y2), "gradient": relative(g1, g2)}


def epoch_arms(model, X, y):
    """A partial_fit epoch in each arm: (functions, differences after one epoch
    from the same state)."""
    other = copy.deepcopy(model)
    other._layout = without_column(model._layout)
    other._params = other._layout.params(other._theta)
    models = (model, other)
    for m in models:
        m.partial_fit(X, y)
    differences = {
        "weights_after_an_epoch": relative(model._theta, other._theta),
        "predictions_after_an_epoch": relative(model.predict(X), other.predict(X)),
    }
    return [lambda m=m: m.partial_fit(X, y) for m in models], differences


def run_case(name, params, steps, n_windows, csv, repeats):
    X, y = weather_windows(csv, steps, n_windows)
    model = RNNRegressor(batch_size=BATCH, random_state=0, **params)
    model.partial_fit(X, y)  # initialisation and a warm-up epoch
    passes, differences = pass_arms(model, X)
    pass_times, n_passes = timed(passes, repeats)
    epochs, after_an_epoch = epoch_arms(model, X, y)
    differences.update(after_an_epoch)
    epoch_times, n_epochs = timed(epochs, repeats)
    layout = model._layout
    row = {"case": name, "cell": layout.cell_name, "hidden": layout.hidden_size, "steps": steps,
           "features": layout.n_inputs, "batch": BATCH, "windows": n_windows,
           "skip_connection": bool(layout.skip_steps), "passes_per_timing": n_passes,
           "epochs_per_timing": n_epochs,
           "forward_backward_s": summary(pass_times), "epoch_s": summary(epoch_times),
           "relative_differences": differences}
    f, e = row["forward_backward_s"], row["epoch_s"]
    print(f"| {name} | {f['column'] * 1e3:.3f} | {f['separate'] * 1e3:.3f} "
          f"| {f['saving_pct']:+.1f} | {e['column']:.3f} | {e['separate']:.3f} "
          f"| {e['saving_pct']:+.1f} ({e['saving_pct_range'][0]:+.1f} to "
          f"{e['saving_pct_range'][1]:+.1f}) | {differences['predictions_after_an_epoch']:.1e} |",
          flush=True)
    return row


def commit():
    """The commit measured (``-dirty``: with changes not committed)."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=40"],
                              capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="path to clean_weather.csv")
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--repeats", type=int, help="repeats of each timing (default 7)")
    args = parser.parse_args()
    if not hasattr(_network.Layout, "bias_column"):
        raise SystemExit(f"this skrnn ({_network.__file__}) has one way to add b_h: "
                         "nothing to compare (see the docstring)")
    repeats = args.repeats or (3 if args.quick else 7)
    print("| case | pass, column ms | pass, separate ms | saving % | epoch, column s "
          "| epoch, separate s | saving % (pairs) | predictions apart |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of one-epoch partial_fit
        for name, params, steps, n_windows in CASES:
            rows.append(run_case(name, params, steps, n_windows, args.csv, repeats))
    write_results("bias_column", {
        "machine": machine_info({"blas_threads_used": 1}), "commit": commit(), "repeats": repeats,
        "rows": rows,
    })


if __name__ == "__main__":
    main()

"""Training and prediction throughput of RNNRegressor against torch.nn.RNN, GRU and LSTM.

    pip install -e ".[bench]"
    python benchmarks/bench_speed.py [--quick] [--cells elman gru lstm] [--plot]
    python benchmarks/bench_speed.py --default-fit [--cells ...]

``--default-fit`` times the public ``fit`` at its defaults instead, for every
cell and dtype against a torch loop training the same model (the measurement
of ``bench_default_fit.py``, whose docstring says what both sides do; results
in ``benchmarks/results/default_fit.json``). Without it:

For every cell, size (hidden, steps, batch, features) and dtype, one epoch of
mini-batch training (forward, BPTT, gradient clipping, Adam step) of
``RNNRegressor(cell=...).partial_fit`` — the estimator's public path,
validation included — is timed against the same epoch of the cell's torch
counterpart, the module with the same equations (``cell="elman"``:
``torch.nn.RNN``, ``"gru"``: ``torch.nn.GRU``, ``"lstm"``: ``torch.nn.LSTM``),
with ``torch.nn.Linear`` + ``torch.optim.Adam`` + ``clip_grad_norm_``, the
same sizes, data, batch size and shuffling, in the same process, alternating
runs. The medians and their ratio (torch time / skrnn time: above 1 means skrnn
is faster) are printed as a markdown table and written to
``benchmarks/results/speed.json``, one row per cell, dtype and size; ``--plot``
also draws ``benchmarks/results/speed.png``. torch runs with as many threads as
NumPy's BLAS. ``--cells`` restricts the comparison to some cells (default: all
three); ``--quick`` takes 3 repeats instead of 7.

Two more figures, for the Elman cell only (measured whatever ``--cells`` says):
the speed-up over a loop-per-window NumPy RNN trained as the seed tutorial
trains (``_naive.py``, one sequence at a time), and the GFLOP/s that the
recurrent matrix products reach at hidden 256 / batch 256 against a plain large
``A @ B``.
"""

import argparse
import itertools
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_info

from skrnn import RNNRegressor

import _naive
import _torch_peer
from _common import RESULTS, machine_info, write_results
from _torch_peer import TORCH_MODULES

SIZES = [  # hidden, steps, batch, features
    (4, 7, 64, 3),
    (16, 7, 64, 3),
    (64, 32, 128, 8),
    (256, 64, 256, 16),
]


def n_windows_for(hidden, steps, batch):
    """Enough windows for a measurable epoch, few enough to keep the run short."""
    work = hidden * hidden * steps
    return batch * int(np.clip(2e7 / (work * batch), 4, 100))


def blas_threads():
    return max((i.get("num_threads", 1) for i in threadpool_info()), default=1)


def skrnn_epoch(X, y, hidden, batch, dtype, cell="elman"):
    model = RNNRegressor(
        cell=cell, hidden_size=hidden, batch_size=batch, max_iter=1, early_stopping=False,
        learning_rate_init=1e-3, alpha=0.0, clip_grad_norm=5.0, random_state=0,
    )
    model.partial_fit(X, y)  # warm-up and initialisation

    def epoch():
        model.partial_fit(X, y)

    def predict():
        model.predict(X)

    return epoch, predict


def torch_epoch(X, y, hidden, batch, dtype, cell="elman"):
    import torch

    torch.manual_seed(0)
    model = _torch_peer.build(cell, X.shape[2], hidden, dtype=dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.reshape(-1, 1))
    generator = torch.Generator().manual_seed(0)

    def epoch():
        _torch_peer.train_epoch(model, optimizer, Xt, yt, batch, loss="half_mse", clip=5.0,
                                generator=generator)

    def predict():
        with torch.no_grad():
            for start in range(0, Xt.shape[0], 4096):
                model(Xt[start : start + 4096])

    return epoch, predict


def alternate(fns, repeats, all_times=None):
    """Median seconds of each function, run in turn ``repeats`` times.

    If ``all_times`` is a list, every run's seconds are appended to it, one
    list per function, so that the spread can be reported too.
    """
    times = [[] for _ in fns]
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - start)
    if all_times is not None:
        all_times.extend(times)
    return [float(np.median(t)) for t in times]


def pair_ratios(times):
    """Ratio torch / skrnn of each alternating pair of runs: (min, max)."""
    ratios = np.array(times[1]) / np.array(times[0])
    return float(ratios.min()), float(ratios.max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument(
        "--cells", nargs="+", choices=list(TORCH_MODULES), default=list(TORCH_MODULES),
        metavar="CELL",
        help="cells to compare with their torch counterpart: any of elman, gru, lstm "
        "(default: all three)",
    )
    parser.add_argument("--plot", action="store_true", help="draw results/speed.png")
    parser.add_argument("--default-fit", action="store_true",
                        help="time the public fit at its defaults (bench_default_fit.py)")
    args = parser.parse_args()
    cells = list(dict.fromkeys(args.cells))  # de-duplicated, in the order given
    if args.default_fit:
        import bench_default_fit

        bench_default_fit.run(cells)
        return
    import torch

    threads = blas_threads()
    torch.set_num_threads(threads)
    repeats = 3 if args.quick else 7
    rows = []
    for cell, dtype, (hidden, steps, batch, features) in itertools.product(
        cells, (np.float32, np.float64), SIZES
    ):
        # the same windows for every cell, so that rows differ only in the cell
        rng = np.random.RandomState(0)
        n = n_windows_for(hidden, steps, batch)
        X = rng.normal(size=(n, steps, features)).astype(dtype)
        y = (X[:, -1, 0] + 0.1 * rng.normal(size=n)).astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s_fit, s_pred = skrnn_epoch(X, y, hidden, batch, dtype, cell)
            t_fit, t_pred = torch_epoch(X, y, hidden, batch, dtype, cell)
            fit_times = []
            s_fit_t, t_fit_t = alternate([s_fit, t_fit], repeats, fit_times)
            s_pred_t, t_pred_t = alternate([s_pred, t_pred], repeats)
        row = dict(
            cell=cell, torch_module=f"torch.nn.{TORCH_MODULES[cell]}",
            dtype=np.dtype(dtype).name, hidden=hidden, steps=steps, batch=batch,
            features=features, n_windows=n,
            skrnn_train_windows_per_s=n / s_fit_t, torch_train_windows_per_s=n / t_fit_t,
            train_ratio=t_fit_t / s_fit_t,
            train_pair_ratios=pair_ratios(fit_times),
            skrnn_train_seconds=fit_times[0], torch_train_seconds=fit_times[1],
            skrnn_predict_windows_per_s=n / s_pred_t,
            torch_predict_windows_per_s=n / t_pred_t,
            predict_ratio=t_pred_t / s_pred_t,
        )
        rows.append(row)
        print(
            f"{cell} vs {row['torch_module']} {row['dtype']} h={hidden} T={steps} B={batch} "
            f"F={features}: train x{row['train_ratio']:.2f} "
            f"(pairs {row['train_pair_ratios'][0]:.2f}-{row['train_pair_ratios'][1]:.2f}), "
            f"predict x{row['predict_ratio']:.2f}",
            flush=True,
        )
    info = machine_info(extra=dict(torch=torch.__version__, torch_threads=torch.get_num_threads()))
    lines = [
        "| cell | dtype | hidden | steps | batch | feat | skrnn train win/s "
        "| torch train win/s | train ratio | pairs min-max | skrnn predict win/s "
        "| torch predict win/s | predict ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['cell']} | {r['dtype']} | {r['hidden']} | {r['steps']} | {r['batch']} "
            f"| {r['features']} "
            f"| {r['skrnn_train_windows_per_s']:,.0f} | {r['torch_train_windows_per_s']:,.0f} "
            f"| **{r['train_ratio']:.2f}×** "
            f"| {r['train_pair_ratios'][0]:.1f}–{r['train_pair_ratios'][1]:.1f}× "
            f"| {r['skrnn_predict_windows_per_s']:,.0f} "
            f"| {r['torch_predict_windows_per_s']:,.0f} | {r['predict_ratio']:.2f}× |"
        )
    print()
    print("\n".join(lines))
    naive = naive_speedups(repeats)
    gflops = recurrent_gflops(repeats)
    write_results("speed", dict(machine=info, cells=cells, rows=rows, naive=naive,
                                gflops=gflops, repeats=repeats))
    if args.plot:
        plot(rows)


def naive_speedups(repeats):
    """skrnn's epoch against the loop-per-window baseline at the tutorial's scale."""
    out = []
    print("\n| hidden | steps | batch | skrnn win/s | loop-per-window win/s | speed-up "
          "| pairs min-max |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for hidden, steps, batch, features in SIZES[:2]:
        rng = np.random.RandomState(0)
        X = rng.normal(size=(batch * 50, steps, features))
        y = X[:, -1, 0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s_fit, _ = skrnn_epoch(X, y, hidden, batch, np.float64)
            p = _naive.init(features, hidden, rng)
            X_few, y_few = X[:500], y[:500]  # the baseline is slow: time 500 windows
            runs = []
            s_t, n_t = alternate(
                [s_fit, lambda: _naive.train_epoch(p, X_few, y_few)], repeats, runs
            )
        row = dict(hidden=hidden, steps=steps, batch=batch,
                   skrnn_windows_per_s=len(X) / s_t, naive_windows_per_s=len(X_few) / n_t)
        row["speedup"] = row["skrnn_windows_per_s"] / row["naive_windows_per_s"]
        per_window = np.array(runs[1]) / len(X_few) / (np.array(runs[0]) / len(X))
        row["speedup_pairs"] = (float(per_window.min()), float(per_window.max()))
        out.append(row)
        print(f"| {hidden} | {steps} | {batch} | {row['skrnn_windows_per_s']:,.0f} "
              f"| {row['naive_windows_per_s']:,.0f} | **{row['speedup']:.0f}×** "
              f"| {row['speedup_pairs'][0]:.0f}–{row['speedup_pairs'][1]:.0f}× |")
    return out


def recurrent_gflops(repeats, hidden=256, steps=64, batch=256, features=16):
    """GFLOP/s of the recurrence's matrix products, and of a plain large A @ B."""
    results = {}
    for dtype in (np.float32, np.float64):
        rng = np.random.RandomState(0)
        A = rng.normal(size=(2048, 2048)).astype(dtype)
        h = rng.normal(size=(batch, hidden)).astype(dtype)
        W = rng.normal(size=(hidden, hidden)).astype(dtype)

        def recurrence_products():
            for _ in range(steps):  # the per-step product h_{t-1} W_hh, as in the loop
                h @ W

        big_t, rec_t = alternate([lambda: A @ A, recurrence_products], repeats)
        big = 2 * 2048**3 / big_t / 1e9
        rec = 2 * batch * hidden * hidden * steps / rec_t / 1e9
        # whole training epoch: every matrix product of forward + BPTT, over its time
        X = rng.normal(size=(batch * 8, steps, features)).astype(dtype)
        y = X[:, -1, 0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit, _ = skrnn_epoch(X, y, hidden, batch, dtype)
            (epoch_t,) = alternate([fit], repeats)
        per_batch = (
            2 * steps * batch * features * hidden  # input projection
            + 2 * steps * batch * hidden * hidden  # forward recurrence
            + 2 * (steps - 1) * batch * hidden * hidden  # backward recurrence
            + 2 * steps * batch * hidden * (hidden + features)  # dW_hh, dW_xh
        )
        epoch = per_batch * 8 / epoch_t / 1e9
        name = np.dtype(dtype).name
        results[name] = dict(large_matmul=big, recurrent_products=rec, training_epoch=epoch)
    print("\n| dtype | plain 2048² A @ B GFLOP/s | recurrent h W_hh (256×256, batch 256) GFLOP/s "
          "| ratio | whole training epoch, matmul FLOPs / time GFLOP/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['large_matmul']:.1f} | {r['recurrent_products']:.1f} "
              f"| {r['recurrent_products'] / r['large_matmul']:.2f} "
              f"| {r['training_epoch']:.1f} | {r['training_epoch'] / r['large_matmul']:.2f} |")
    return results


def plot(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = list(dict.fromkeys(r.get("cell", "elman") for r in rows))
    fig, axes = plt.subplots(
        1, len(cells), figsize=(4.2 * len(cells) + 1, 4), sharey=True, squeeze=False
    )
    for ax, cell in zip(axes[0], cells):
        for dtype in ("float32", "float64"):
            sel = [r for r in rows if r["dtype"] == dtype and r.get("cell", "elman") == cell]
            labels = [f"h{r['hidden']} T{r['steps']} B{r['batch']}" for r in sel]
            ax.plot(labels, [r["train_ratio"] for r in sel], "o-", label=f"training, {dtype}")
            ax.plot(labels, [r["predict_ratio"] for r in sel], "s--",
                    label=f"prediction, {dtype}")
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_yscale("log")
        ax.set_title(f"{cell} vs torch.nn.{TORCH_MODULES[cell]}")
        ax.tick_params(axis="x", labelrotation=30)
    axes[0][0].set_ylabel("throughput skrnn / torch")
    axes[0][0].legend(fontsize="small")
    fig.suptitle("RNNRegressor against torch (CPU)")
    fig.tight_layout()
    fig.savefig(RESULTS / "speed.png", dpi=100)


if __name__ == "__main__":
    main()

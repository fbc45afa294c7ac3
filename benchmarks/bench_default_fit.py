"""The public ``fit`` at its defaults against the same model trained by a PyTorch loop.

    python benchmarks/bench_default_fit.py [--repeats 3] [--epochs 3] [--cells ...]

What a user calls: ``RNNRegressor(cell=..., hidden_size=H, batch_size=B).fit(X, y)``
with every other setting at its default (the linear path, ``alpha``, the
cell's ``learning_rate_init="auto"``, clipping at 5, early stopping "auto",
on from 1000 windows: 10 % held out, scored after every epoch, the best
weights kept), except that ``tol=0`` and a large ``n_iter_no_change`` make
every fit run ``--epochs`` epochs, so both sides do the same work. Input
validation, target standardisation, the ridge start of the linear path and the
time-major copy are inside the timed ``fit``.

The torch side (``_torch_peer.py``) builds the same model from scratch for
every fit, the module ``skrnn.export`` exports to: the cell's module
(``torch.nn.RNN``/``GRU``/``LSTM``) + ``Linear`` on the last state + a
bias-free ``Linear`` on the flattened window (the linear path); Adam at the
same step on the same loss (half the mean squared error of the standardised
target), ``clip_grad_norm_(5)``, the same mini-batches of the first 90 % of
the windows, after every epoch the loss on the last 10 % with a copy of the
best weights, restored at the end. Same thread count as NumPy's BLAS.
Alternating runs, median; every run is recorded. Sizes: the tutorial's (hidden
16, 7 steps, 3 features, batch 64, 9450 windows), hidden 64 / 32 steps / batch
128 and hidden 256 / 64 steps / batch 256. Results: ``benchmarks/results/default_fit.json``.
"""

import argparse
import itertools
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_info

import _torch_peer
from _common import machine_info, write_results
from skrnn import RNNRegressor
from skrnn._cells import get_cell

SIZES = [  # hidden, steps, batch, features, windows
    (16, 7, 64, 3, 9450),
    (64, 32, 128, 8, 2560),
    (256, 64, 256, 16, 1280),
]


def skrnn_fit(X, y, cell, hidden, batch, epochs):
    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            RNNRegressor(cell=cell, hidden_size=hidden, batch_size=batch, max_iter=epochs,
                         tol=0.0, n_iter_no_change=10**6, random_state=0).fit(X, y)
    return fit


def torch_fit(X, y, cell, hidden, batch, epochs):
    import torch

    lr = get_cell(cell).AUTO_LEARNING_RATE
    n_val = int(np.ceil(0.1 * len(X)))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(((y - y.mean()) / y.std()).reshape(-1, 1))
    X_tr, y_tr, X_val, y_val = Xt[:-n_val], yt[:-n_val], Xt[-n_val:], yt[-n_val:]
    generator = torch.Generator().manual_seed(0)

    def fit():
        torch.manual_seed(0)
        model = _torch_peer.build(cell, X.shape[2], hidden, dtype=X.dtype,
                                  skip_steps=X.shape[1])
        return _torch_peer.fit(model, X_tr, y_tr, epochs=epochs, batch_size=batch,
                               learning_rate=lr, loss="half_mse", clip=5.0,
                               generator=generator, validation=(X_val, y_val))

    return fit


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--cells", nargs="+", choices=list(_torch_peer.TORCH_MODULES),
                        default=list(_torch_peer.TORCH_MODULES))
    args = parser.parse_args()
    run(args.cells, args.repeats, args.epochs)


def run(cells, repeats=3, epochs=3):
    """Time every cell, dtype and size; print the table, write results/default_fit.json."""
    import torch

    threads = max((i.get("num_threads", 1) for i in threadpool_info()), default=1)
    torch.set_num_threads(threads)
    rows = []
    print("| cell | dtype | hidden | steps | batch | windows | skrnn fit s | torch fit s "
          "| ratio | pairs min-max |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cell, dtype, (hidden, steps, batch, features, n) in itertools.product(
        cells, (np.float32, np.float64), SIZES
    ):
        rng = np.random.RandomState(0)
        X = rng.normal(size=(n, steps, features)).astype(dtype)
        y = (X[:, -1, 0] + 0.1 * rng.normal(size=n)).astype(dtype)
        fns = [skrnn_fit(X, y, cell, hidden, batch, epochs),
               torch_fit(X, y, cell, hidden, batch, epochs)]
        for fn in fns:  # warm-up: imports, first allocations
            fn()
        times = [[], []]
        for _ in range(repeats):
            for k, fn in enumerate(fns):
                start = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - start)
        s, t = (float(np.median(v)) for v in times)
        pairs = np.array(times[1]) / np.array(times[0])
        row = dict(cell=cell, dtype=np.dtype(dtype).name, hidden=hidden, steps=steps,
                   batch=batch, features=features, n_windows=n, epochs=epochs,
                   skrnn_seconds=s, torch_seconds=t, ratio=t / s,
                   pair_ratios=(float(pairs.min()), float(pairs.max())),
                   skrnn_runs=times[0], torch_runs=times[1])
        rows.append(row)
        print(f"| {cell} | {row['dtype']} | {hidden} | {steps} | {batch} | {n} | {s:.3f} "
              f"| {t:.3f} | **{t / s:.2f}×** | {pairs.min():.2f}–{pairs.max():.2f}× |",
              flush=True)
    info = machine_info(extra=dict(torch=torch.__version__, torch_threads=torch.get_num_threads()))
    write_results("default_fit", dict(machine=info, repeats=repeats, rows=rows))


if __name__ == "__main__":
    main()

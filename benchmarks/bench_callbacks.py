"""What scikit-learn's callback machinery costs a fit, at the tutorial's scale.

    python benchmarks/bench_callbacks.py [--repeats 15]

An epoch of ``RNNRegressor.partial_fit`` (Elman cell, hidden 16, 7 steps x 3
features, batches of 64, 9450 windows: the tutorial's sizes) and a whole
``fit`` of 10 epochs, timed three ways, alternating, median of ``--repeats``:

- *as shipped*: no callbacks set (the task tree is still built: a root task and
  one sub-task per epoch);
- *without the machinery*: ``_init_callback_context`` replaced by a context
  that does nothing, i.e. the fit as it was before callbacks;
- *with a no-op callback*: a callback whose hooks return at once (it asks for
  no ``fitted_estimator``, so no copy of the weights is made).

Results go to ``benchmarks/results/callbacks.json``.
"""

import argparse
import time
import warnings

import numpy as np

from _common import machine_info, write_results
from skrnn import RNNRegressor
from skrnn._base import BaseRNN


class _NoContext:
    """A callback context that does nothing: the fit without the machinery."""

    def subcontext(self, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False


class NoOp:
    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.RandomState(0)
    X = rng.normal(size=(9450, 7, 3))
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1] + 0.1 * rng.normal(size=9450)
    params = dict(cell="elman", hidden_size=16, batch_size=64, random_state=0,
                  early_stopping=False, tol=0.0, n_iter_no_change=10_000)
    original = BaseRNN._init_callback_context

    def timed(mode, what):
        model = RNNRegressor(max_iter=10, **params)
        if mode == "no-op callback":
            model.set_callbacks(NoOp())
        if mode == "without the machinery":
            BaseRNN._init_callback_context = lambda self, **kwargs: _NoContext()
        try:
            model.partial_fit(X, y)  # warm: buffers, first-call work
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.partial_fit(X, y) if what == "epoch" else model.fit(X, y)
            return time.perf_counter() - start
        finally:
            BaseRNN._init_callback_context = original

    modes = ["as shipped", "without the machinery", "no-op callback"]
    rows = []
    for what in ("epoch", "fit of 10 epochs"):
        times = {m: [] for m in modes}
        for _ in range(args.repeats):
            for m in modes:
                times[m].append(timed(m, what))
        med = {m: float(np.median(t)) for m, t in times.items()}
        base = med["without the machinery"]
        for m in modes:
            rows.append(dict(what=what, mode=m, median_seconds=med[m], ratio=med[m] / base,
                             seconds=times[m]))
            print(f"{what:>16} | {m:>22} | {med[m] * 1e3:8.2f} ms | {med[m] / base:.3f}x")
    write_results("callbacks", dict(machine=machine_info(), repeats=args.repeats, rows=rows))


if __name__ == "__main__":
    main()

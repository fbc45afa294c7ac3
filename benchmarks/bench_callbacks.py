"""What scikit-learn's callback machinery costs a fit, at the tutorial's scale.

    python benchmarks/bench_callbacks.py [--repeats 15]

An epoch of ``RNNRegressor.partial_fit`` (Elman cell, hidden 16, 7 steps x 3
features, batches of 64, 9450 windows: the tutorial's sizes) and a whole
``fit`` of 10 epochs, timed three ways, alternating, median of ``--repeats``:

- *as shipped*: no callbacks set (the task tree is still built: a root task and
  one sub-task per epoch);
- *without the machinery*: the fit as it was before callbacks, by
  ``WithoutMachinery``, a subclass defined here whose root callback context
  does nothing;
- *with a no-op callback*: a callback whose hooks return at once (it asks for
  no ``fitted_estimator``, so no copy of the weights is made), set with the
  public ``set_callbacks``.

Why a subclass: the public means (no callbacks, or a callback that does
nothing) measure what a callback adds to the shipped fit, not what the
machinery costs a fit that sets none, which is the figure this script is for
(the user guide's callbacks page quotes it); no public setting turns the
machinery off. The subclass overrides the one method a fit calls to build its
task tree, ``_init_callback_context`` (the hook scikit-learn's
``CallbackSupportMixin`` documents for estimator authors), and nothing else;
the two other modes run ``RNNRegressor`` itself, untouched (no library
attribute is replaced, not even for a moment).

Results go to ``benchmarks/results/callbacks.json``.
"""
import argparse
import time
import warnings

import numpy as np

from _common import machine_info, write_results
from skrnn import RNNRegressor


class _NoContext:
    """A callback context that does nothing: the fit without the machinery."""

    def subcontext(self, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False


class WithoutMachinery(RNNRegressor):
    """RNNRegressor fitting as before callbacks: its root callback context does nothing."""

    def _init_callback_context(self, **kwargs):
        return _NoContext()


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
    estimators = {"as shipped": RNNRegressor, "without the machinery": WithoutMachinery,
                  "no-op callback": RNNRegressor}

    def timed(mode, what):
        model = estimators[mode](max_iter=10, **params)
        if mode == "no-op callback":
            model.set_callbacks(NoOp())
        model.partial_fit(X, y)  # warm: buffers, first-call work
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.partial_fit(X, y) if what == "epoch" else model.fit(X, y)
        return time.perf_counter() - start

    modes = list(estimators)
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

"""How long SequenceWindower takes beyond the unavoidable copy of its output.

    python benchmarks/bench_windower.py [--rows 10000000]

The output of windowing n rows x f features with window L is n x L x f
values; copying that many values is the floor. The script prints the median
of 5 runs of the transform and of that floor (``ndarray.copy`` of a
contiguous array of the output's size), and the overhead between them.

It also prints what ``window_length="auto"`` costs ``fit``: the median of 5 fits
of ``SequenceWindower("auto")`` on ``--auto-rows`` rows (default 10,000) of 4
features of a seasonal autoregression, the size the window issue budgets at 2 s.
"""

import argparse
import platform
import time

import numpy as np

from skrnn import SequenceWindower


def median_seconds(fn, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=3)
    parser.add_argument("--window-length", type=int, default=7)
    parser.add_argument("--auto-rows", type=int, default=10_000)
    args = parser.parse_args()
    X = np.random.RandomState(0).normal(size=(args.rows, args.features))
    windower = SequenceWindower(args.window_length).fit(X)
    shape = (args.rows, args.window_length, args.features)

    same_size = np.ones(shape)

    def floor():
        same_size.copy()

    t_transform = median_seconds(lambda: windower.transform(X))
    t_floor = median_seconds(floor)
    print(f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}")
    print(f"{args.rows:,} rows x {args.features} features, window {args.window_length}: "
          f"output {np.prod(shape) * 8 / 1e9:.2f} GB")
    print("| step | median s |")
    print("|---|---:|")
    print(f"| SequenceWindower.transform | {t_transform:.3f} |")
    print(f"| floor: copy an array of the output's size | {t_floor:.3f} |")
    print(f"| overhead beyond the copy | {t_transform - t_floor:.3f} |")
    auto_cost(args.auto_rows)


def auto_cost(n_rows, n_features=4, period=12):
    """Seconds of ``SequenceWindower("auto").fit`` on a seasonal series of ``n_rows`` rows."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_rows + 1, n_features))
    for t in range(period, n_rows + 1):
        X[t] += 0.3 * X[t - 1] + 0.6 * X[t - period]
    y = X[1:, 0]
    X = X[:-1]
    windower = SequenceWindower("auto")
    seconds = median_seconds(lambda: windower.fit(X, y))
    print(f"\nSequenceWindower('auto').fit, {n_rows:,} rows x {n_features} features: "
          f"{seconds:.2f} s (median of 5), chose window {windower.window_length_} of "
          f"{len(windower.window_scores_['window_length'])} candidates up to "
          f"{windower.window_scores_['window_length'][-1]}")


if __name__ == "__main__":
    main()

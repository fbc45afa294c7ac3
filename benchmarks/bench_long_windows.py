"""Long forecasting windows, with and without patches of steps (issue 27).

    python benchmarks/bench_long_windows.py [--csv path/to/clean_weather.csv] [--n-jobs 2]

A window of 96 days costs the recurrence four times the steps of a window of
24; patches of ``k`` steps (``patch_length=k``) bring the recurrence back to
``96 / k`` steps, while the linear path still reads the 96 raw steps. On the two
daily series of ``benchmarks/_forecast.py`` (clean_weather, Seattle), the
pipeline of ``bench_forecast.py`` (StandardScaler, SequenceWindower(window),
the model) at windows of 24 and 96 days, ``RNNRegressor()`` at its defaults
(``patch_length=1``) and with ``patch_length`` 4 and 8 at 96 days; Ridge on the
same windows for reference. Test folds of ``bench_forecast.py`` (fit on the
first 55/65/75 % of the rows, score the next 10 %), seeds 0-2: this reports, it
chooses nothing.

Per series and model: the median over folds x seeds of the test MSE divided by
Ridge's at the series' fixed window (as ``bench_forecast.py``), and the median
fit seconds (one BLAS thread per job, ``--n-jobs`` jobs at once). The issue's
target: at the defaults, a 96-step window fits in at most 1.5 times the time of
a 24-step one. Results: ``benchmarks/results/long_windows.json``.
"""

import argparse
import time

import numpy as np

from _common import machine_info, write_results
from _forecast import SEEDS, TEST_ORIGINS, load_series, ridge, rnn, run_jobs

SERIES = ("clean_weather", "seattle")


def fixed(window, factory):
    """``factory`` at ``window`` whatever the series' own window."""
    def make(_, seed):
        return factory(window, seed)
    return make


def models():
    """name -> (factory, uses seeds)."""
    return {
        "Ridge, window 24": (fixed(24, ridge), False),
        "Ridge, window 96": (fixed(96, ridge), False),
        "RNNRegressor(), window 24": (fixed(24, rnn), True),
        "RNNRegressor(), window 96": (fixed(96, rnn), True),
        "patch_length=4, window 96": (fixed(96, lambda w, s: rnn(w, s, patch_length=4)), True),
        "patch_length=8, window 96": (fixed(96, lambda w, s: rnn(w, s, patch_length=8)), True),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", default=None)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    series = load_series(args.csv, names=SERIES)
    table = models()
    jobs, keys = [], []
    for s in series:
        for start, stop in s.folds(TEST_ORIGINS):
            jobs.append((s, start, stop, ridge, 0))  # the reference: the fixed window
            keys.append((s.name, "reference", start, 0))
            for name, (factory, seeded) in table.items():
                for seed in SEEDS if seeded else (0,):
                    jobs.append((s, start, stop, factory, seed))
                    keys.append((s.name, name, start, seed))
    begin = time.perf_counter()
    scores = run_jobs(jobs, args.n_jobs)
    elapsed = time.perf_counter() - begin
    reference = {(k[0], k[2]): score[0] for k, score in zip(keys, scores)
                 if k[1] == "reference"}
    results = {}
    for s in series:
        for name in table:
            rows = [(score[0] / reference[k[0], k[2]], score[1])
                    for k, score in zip(keys, scores) if k[0] == s.name and k[1] == name]
            ratios, seconds = np.array(rows).T
            results.setdefault(name, {})[s.name] = {
                "median_ratio": float(np.median(ratios)),
                "median_fit_seconds": float(np.median(seconds)),
            }
    summary = {}
    for s in series:
        t = {name: results[name][s.name]["median_fit_seconds"] for name in table}
        summary[s.name] = {
            "defaults_96_over_24_fit_time": t["RNNRegressor(), window 96"]
            / t["RNNRegressor(), window 24"],
            "patch_4_96_over_defaults_24_fit_time": t["patch_length=4, window 96"]
            / t["RNNRegressor(), window 24"],
        }
    print(f"{'model':28s} " + " ".join(f"{s.name:>24s}" for s in series))
    for name in table:
        cells = [f"{results[name][s.name]['median_ratio']:8.3f} "
                 f"{results[name][s.name]['median_fit_seconds']:8.2f} s" for s in series]
        print(f"{name:28s} " + " ".join(f"{c:>24s}" for c in cells))
    for name, values in summary.items():
        print(name, {k: round(v, 2) for k, v in values.items()})
    write_results("long_windows", {
        "machine": machine_info(), "command": "python benchmarks/bench_long_windows.py "
        "--csv clean_weather.csv --n-jobs " + str(args.n_jobs),
        "folds": list(TEST_ORIGINS), "seeds": list(SEEDS), "elapsed_seconds": elapsed,
        "results": results, "fit_time_ratios": summary,
    })


if __name__ == "__main__":
    main()

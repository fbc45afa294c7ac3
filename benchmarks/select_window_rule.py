"""Choose the constants of ``SequenceWindower(window_length="auto")``, never on a test fold.

    python benchmarks/select_window_rule.py [--csv path/to/clean_weather.csv] [--n-jobs 2]

The rule's frame is fixed by design (``skrnn/_window_choice.py``): candidates 1 to
24 steps then about 20 % apart, capped at a third of the rows and at
``c * sqrt(n_rows)`` columns (window x features); each candidate scored by the
validation error of a GCV ridge on the flattened window; the shortest window
within ``tolerance`` of the best score. This script chooses the validation
``scheme`` and ``tolerance``:

- ``scheme="forward"``: the last third of the rows in three blocks, each
  predicted from the rows before it (forward chaining);
- ``scheme="blocked"``: the rows in five contiguous blocks, each predicted from
  all the others except the ``window - 1`` rows after it, whose windows contain
  the block's targets (blocked cross-validation);
- ``tolerance``: the shortest window whose score is within 0, 2 % or 5 % of the
  best, or ``"se"``: within one standard error of its paired difference to the
  best window over the validation rows (the one-standard-error rule).

History, said as it happened: the first run (git history of this file) chose
``c`` in {2, 4, 8} x ``tolerance`` with the forward scheme only. ``c`` changed no
window on any development fold (the cap never bound), so it cannot be chosen
here: it is fixed at 4, the largest whose choice stays under 2 s on 10,000 rows x
4 features (``c = 8`` allows 800 columns there). The first run's best variant
(forward, tolerance 0) scored 1.005 against 1.036 for the fixed windows, with
seatbelts and sunspots losing to their fixed windows; a diagnostic with RidgeCV
on the development folds (each scheme's window against every window's next-fold
error) then suggested the blocked scheme, which uses every row for training and
for validation: it was added for this second run, with the rule below unchanged
but for the tie-break (the first run's timing tie-break chose among variants with
identical windows by noise).

Data: the seven development series of ``benchmarks/_forecast.py`` (the four of the
forecasting defaults, airline, lynx, seatbelts), development folds only: fit on
the first 35/40/45 % of the rows, score the next 10 % (every scored row lies
before the first test row of ``bench_forecast.py``). Seeds 0-2. The window is
chosen from each fold's training rows (after the fold's StandardScaler), exactly
what ``make_pipeline(StandardScaler(), SequenceWindower("auto"), model)`` does.

A variant's figure on a series: the mean MSE over the 3 folds (x 3 seeds) of
the default pipeline ``StandardScaler -> SequenceWindower(auto) -> RNNRegressor()``
divided by the mean MSE of the fixed-window Ridge (``Ridge()`` on the series'
fixed window, as in ``bench_forecast.py``) on the same folds. Its score: the
geometric mean of that ratio over the seven series. RidgeCV on the same chosen
windows, and the fit time of the auto pipeline relative to the fixed-window one
(window choice included), are reported beside.

Selection rule, written down before the run:

1. Admissible: no series' ratio above 1.0 (the issue's target). If no variant
   is admissible, all are.
2. Among admissible variants, the lowest score; every variant within 1 % of
   it ties, and among ties the forward scheme (the simpler), then the larger
   tolerance (shorter windows, a cheaper network).

Results: ``benchmarks/results/window_rule.json``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.preprocessing import StandardScaler

from _common import machine_info, write_results
from _forecast import DEV_ORIGINS, SEEDS, geometric_mean, load_series, ridge, ridge_cv, rnn, run_jobs
from skrnn._window_choice import choose_window

SCHEMES = ("forward", "blocked")
TOLERANCES = (0.0, 0.02, 0.05, "se")
VARIANTS = [(scheme, tol) for scheme in SCHEMES for tol in TOLERANCES]
SHORTNESS = {0.0: 0, 0.02: 1, 0.05: 2, "se": 3}  # the tie-break: shorter windows first


def fixed(factory, window):
    """``factory`` on a given window, whatever the series' own window is."""
    def make(_, seed):
        return factory(window, seed)
    return make


def choices(series):
    """``{(series, fold, variant): (window, seconds to choose it)}``."""
    chosen = {}
    for s in series:
        for f, (start, _) in enumerate(s.folds(DEV_ORIGINS)):
            X = StandardScaler().fit_transform(s.X.iloc[:start])
            for variant in VARIANTS:
                begin = time.perf_counter()
                window, _, _ = choose_window(X, s.y[:start], scheme=variant[0],
                                             tolerance=variant[1])
                chosen[s.name, f, variant] = window, time.perf_counter() - begin
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", help="clean_weather.csv (else $SKRNN_WEATHER_CSV or the cache)")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    begin = time.perf_counter()
    series = load_series(args.csv)
    chosen = choices(series)
    # every distinct (series, fold, model, window, seed) fit once
    keys = set()
    for s in series:
        for f in range(len(DEV_ORIGINS)):
            for seed in SEEDS:
                keys.add((s.name, f, "rnn", s.window, seed))
            keys.add((s.name, f, "ridge", s.window, 0))
            keys.add((s.name, f, "ridgecv", s.window, 0))
            for variant in VARIANTS:
                window = chosen[s.name, f, variant][0]
                keys.add((s.name, f, "ridgecv", window, 0))
                for seed in SEEDS:
                    keys.add((s.name, f, "rnn", window, seed))
    keys = sorted(keys, key=lambda k: (k[0] != "clean_weather", -k[3], k))  # big jobs first
    by_name = {s.name: s for s in series}
    factories = {"rnn": rnn, "ridge": ridge, "ridgecv": ridge_cv}
    jobs = []
    for name, f, model, window, seed in keys:
        s = by_name[name]
        start, stop = s.folds(DEV_ORIGINS)[f]
        jobs.append((s, start, stop, fixed(factories[model], window), seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = dict(zip(keys, run_jobs(jobs, args.n_jobs)))
    table = summarise(series, chosen, scores)
    choice = select(table)
    print_table(table, choice)
    write_results("window_rule", dict(
        machine=machine_info(), command="python benchmarks/select_window_rule.py --n-jobs "
        f"{args.n_jobs}", seconds=time.perf_counter() - begin, variants=table,
        chosen=dict(scheme=choice[0], tolerance=choice[1])))


def _mean(scores, name, model, windows, seeds):
    """Mean MSE and mean fit seconds over the folds (window per fold) and seeds."""
    runs = [scores[name, f, model, w, seed] for f, w in enumerate(windows) for seed in seeds]
    return np.mean([r[0] for r in runs]), np.mean([r[1] for r in runs])


def summarise(series, chosen, scores):
    table = []
    n_folds = len(DEV_ORIGINS)
    for variant in VARIANTS:
        rows = {}
        for s in series:
            windows = [chosen[s.name, f, variant][0] for f in range(n_folds)]
            choose_seconds = np.mean([chosen[s.name, f, variant][1] for f in range(n_folds)])
            fixed_w = [s.window] * n_folds
            ridge_mse, _ = _mean(scores, s.name, "ridge", fixed_w, [0])
            rnn_fixed, rnn_fixed_s = _mean(scores, s.name, "rnn", fixed_w, SEEDS)
            rnn_auto, rnn_auto_s = _mean(scores, s.name, "rnn", windows, SEEDS)
            cv_fixed, _ = _mean(scores, s.name, "ridgecv", fixed_w, [0])
            cv_auto, _ = _mean(scores, s.name, "ridgecv", windows, [0])
            rows[s.name] = dict(
                windows=windows, rnn_auto=rnn_auto / ridge_mse, rnn_fixed=rnn_fixed / ridge_mse,
                ridgecv_auto=cv_auto / ridge_mse, ridgecv_fixed=cv_fixed / ridge_mse,
                time_ratio=(rnn_auto_s + choose_seconds) / rnn_fixed_s,
                choose_seconds=choose_seconds)
        table.append(dict(
            scheme=variant[0], tolerance=variant[1], series=rows,
            score=geometric_mean([r["rnn_auto"] for r in rows.values()]),
            worst=max(r["rnn_auto"] for r in rows.values()),
            ridgecv_score=geometric_mean([r["ridgecv_auto"] for r in rows.values()]),
            median_time_ratio=float(np.median([r["time_ratio"] for r in rows.values()])),
            synthetic=synthetic(variant)))
    return table


def synthetic(variant):
    """Step 0 of the rule: the windows chosen for white noise and a seasonal AR."""
    scheme, tolerance = variant
    noise, seasonal = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        noise.append(choose_window(rng.normal(size=(400, 2)), rng.normal(size=400),
                                   scheme=scheme, tolerance=tolerance)[0])
        x = np.zeros(500)
        for t in range(12, 500):
            x[t] = 0.3 * x[t - 1] + 0.6 * x[t - 12] + rng.normal()
        x = x[100:]
        seasonal.append(choose_window(x[:-1, None], x[1:], scheme=scheme,
                                      tolerance=tolerance)[0])
    return dict(noise_median=float(np.median(noise)), noise_windows=noise,
                seasonal_covered=int(np.sum(np.array(seasonal) >= 12)),
                seasonal_windows=seasonal)


def select(table):
    """The rule of the docstring."""
    meets = [v for v in table
             if v["synthetic"]["noise_median"] <= 3 and v["synthetic"]["seasonal_covered"] >= 18]
    admissible = [v for v in meets if v["worst"] <= 1.0] or meets or table
    best = min(v["score"] for v in admissible)
    ties = [v for v in admissible if v["score"] <= best * 1.01]
    pick = min(ties, key=lambda v: (v["scheme"] != "forward", -SHORTNESS[v["tolerance"]]))
    return pick["scheme"], pick["tolerance"]


def print_table(table, choice):
    names = list(table[0]["series"])
    print("\nDevelopment folds; MSE / fixed-window Ridge's, RNNRegressor defaults on the auto window")
    print(f"{'scheme':>7} {'tol':>5} " + " ".join(f"{n[:9]:>9}" for n in names)
          + f" {'geomean':>8} {'worst':>6} {'RidgeCV':>8} {'time x':>7}")
    first = table[0]["series"]
    print(f"{'fixed window':>13} " + " ".join(f"{first[n]['rnn_fixed']:9.3f}" for n in names)
          + f" {geometric_mean([first[n]['rnn_fixed'] for n in names]):8.3f}"
          + f" {'':>6} {geometric_mean([first[n]['ridgecv_fixed'] for n in names]):8.3f}")
    for v in table:
        mark = "  <- chosen" if (v["scheme"], v["tolerance"]) == choice else ""
        print(f"{v['scheme']:>7} {str(v['tolerance']):>5} "
              + " ".join(f"{v['series'][n]['rnn_auto']:9.3f}" for n in names)
              + f" {v['score']:8.3f} {v['worst']:6.3f} {v['ridgecv_score']:8.3f}"
              + f" {v['median_time_ratio']:7.2f}  noise {v['synthetic']['noise_median']:.0f},"
              f" season {v['synthetic']['seasonal_covered']}/20{mark}")
        print(f"{'windows':>13} " + " ".join(
            f"{'/'.join(map(str, v['series'][n]['windows'])):>9}" for n in names))


if __name__ == "__main__":
    main()

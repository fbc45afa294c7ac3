"""Check RNNRegressor's defaults on the weather task, without the test split.

    python benchmarks/select_defaults.py [--csv path/to/clean_weather.csv]

The defaults were chosen on the validation split (rows 70-85 % of the days).
One split is a noisy judge: candidates differed by less than the seed-to-seed
spread. This script asks the same question with rolling-origin evaluation on
the days *before* the test split only (the first 85 %; the test days are cut
off before anything is fitted):

- four folds: fit on the days before ``e`` and score the next 15 % of the days,
  for ``e`` = 40, 50, 60 and 70 % (the last fold is the validation split);
- each fold fits ``make_pipeline(StandardScaler(), SequenceWindower(7),
  RNNRegressor(random_state=seed, **candidate))`` for seeds 0-4, and scores
  every day with its 6 previous days as history;
- a candidate's score is its MSE averaged over the 20 fold x seed fits.

Decision rule, fixed before the run: a candidate replaces the defaults only
if its paired difference to the defaults (same fold, same seed) is negative
by more than two standard errors; of several that pass, the one with the
lowest mean MSE. (The standard error treats the 20 differences as
independent; the scored days of neighbouring folds overlap by a third.)
The candidates are changes to the defaults the search started from
(``BASELINE``: ``alpha`` was 1e-4 then), so that a rerun gives the same table
now that ``alpha=3e-2``, which passed, is the default. Results go to
``benchmarks/results/defaults.json``.
"""

import argparse
import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _common import machine_info, write_results
from skrnn import RNNRegressor, SequenceWindower
from skrnn import predict_with_history
from skrnn.datasets import WEATHER_FEATURES, WEATHER_TARGET, chronological_split
from skrnn.datasets import load_weather

WINDOW = 7
SEEDS = range(5)
ORIGINS = (0.40, 0.50, 0.60, 0.70)  # fractions of all days where each fold's scoring starts
HORIZON = 0.15  # fraction of all days each fold scores
BASELINE = dict(alpha=1e-4)  # the defaults when this search was run (alpha: 1e-4)
BASELINE_NAME = "defaults of the search (alpha=1e-4)"
CANDIDATES = {  # changes to BASELINE
    BASELINE_NAME: {},
    "alpha=1e-3": dict(alpha=1e-3),
    "alpha=1e-2": dict(alpha=1e-2),
    # added after the first run, where the penalty trended down (1e-3: -0.01, 1e-2: -0.06)
    "alpha=3e-2": dict(alpha=3e-2),
    "alpha=1e-1": dict(alpha=1e-1),
    "alpha=3e-1": dict(alpha=3e-1),
    "hidden_size=4": dict(hidden_size=4),
    "hidden_size=16": dict(hidden_size=16),
    "learning_rate_init=1e-3": dict(learning_rate_init=1e-3),
    "batch_size=32": dict(batch_size=32),
    "n_iter_no_change=20": dict(n_iter_no_change=20),
    "validation_fraction=0.2": dict(validation_fraction=0.2),
}


def fold_mse(X, y, start, stop, seed, params):
    model = make_pipeline(
        StandardScaler(), SequenceWindower(WINDOW),
        RNNRegressor(random_state=seed, **{**BASELINE, **params}),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X.iloc[:start], y[:start])
    return mean_squared_error(y[start:stop], predict_with_history(model, X, start, stop, WINDOW))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", help="clean_weather.csv (else $SKRNN_WEATHER_CSV or the cache)")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    data = load_weather(args.csv)
    n_days = len(data)
    _, test_start = chronological_split(n_days)
    data = data.iloc[:test_start]  # the test days are never seen
    X, y = data[list(WEATHER_FEATURES)], data[WEATHER_TARGET].to_numpy()
    folds = [(int(o * n_days), min(int((o + HORIZON) * n_days), test_start)) for o in ORIGINS]
    jobs = [(name, f, seed) for name in CANDIDATES for f in range(len(folds)) for seed in SEEDS]
    begin = time.perf_counter()
    scores = Parallel(n_jobs=args.n_jobs)(
        delayed(fold_mse)(X, y, *folds[f], seed, CANDIDATES[name]) for name, f, seed in jobs
    )
    seconds = time.perf_counter() - begin
    mse = {name: np.empty((len(folds), len(SEEDS))) for name in CANDIDATES}
    for (name, f, seed), score in zip(jobs, scores):
        mse[name][f, seed] = score
    base = mse[BASELINE_NAME]
    rows = []
    print(f"{len(jobs)} fits in {seconds:.0f} s; folds (first scored day, end): {folds}\n")
    print("| candidate | mean MSE | per fold (median of seeds) | diff to defaults | 2 SE "
          "| adopt |")
    print("|---|---:|---|---:|---:|---|")
    for name, m in mse.items():
        diff = (m - base).ravel()
        se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.any() else 0.0
        adopt = bool(diff.mean() < -2 * se)
        rows.append(dict(candidate=name, params={**BASELINE, **CANDIDATES[name]},
                         mean_mse=float(m.mean()), fold_medians=np.median(m, axis=1).tolist(),
                         mse=m.tolist(), diff=float(diff.mean()), two_se=float(2 * se),
                         adopt=adopt))
        per_fold = " / ".join(f"{v:.2f}" for v in np.median(m, axis=1))
        print(f"| {name} | {m.mean():.3f} | {per_fold} | {diff.mean():+.3f} | {2 * se:.3f} "
              f"| {'yes' if adopt else 'no'} |")
    passing = [r for r in rows if r["adopt"]]
    chosen = min(passing, key=lambda r: r["mean_mse"])["candidate"] if passing else BASELINE_NAME
    print(f"\nChosen: {chosen}")
    write_results("defaults", dict(machine=machine_info(), folds=folds, seeds=list(SEEDS),
                                   window=WINDOW, rows=rows, chosen=chosen, seconds=seconds))


if __name__ == "__main__":
    main()

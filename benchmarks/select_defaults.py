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
The candidates are changes to ``BASELINE``, the configuration the search
started from. Results go to ``benchmarks/results/defaults.json``.

A frozen record. The table in ``results/defaults.json`` was produced at commit
8de3a6b (skrnn 0.1.0, 2026-11-25; the first run, at 7729a41, gave the same
MSEs), where ``RNNRegressor`` had the Elman cell only, no linear path,
``learning_rate_init=3e-3``, ``early_stopping="auto"`` on from 1000 windows, and
``alpha=1e-4`` until this search chose 3e-2. The defaults have changed since,
so ``BASELINE`` pins every hyper-parameter of the fits to its value then,
instead of relying on today's defaults (with only ``alpha`` pinned, as before,
the first fit scores 20.75 instead of the recorded 21.49). Checked at skrnn
0.3.0 with seed 0 only (every candidate and fold, 48 fits): every MSE equals
the recorded one to a relative 1e-14.
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
# The defaults of skrnn 0.1.0 with alpha=1e-4 (the default until this search), every
# hyper-parameter but random_state; a candidate changes one of them
BASELINE = dict(
    cell="elman",  # the only cell then
    skip_connection=False,  # no linear path then
    hidden_size=8,
    n_layers=1,
    activation="tanh",
    solver="adam",
    learning_rate_init=3e-3,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-8,
    momentum=0.9,  # SGD's, unused by adam
    nesterovs_momentum=True,  # SGD's, unused by adam
    batch_size=64,  # "auto" then: min(64, n_samples)
    max_iter=200,
    shuffle=True,
    tol=1e-4,
    n_iter_no_change=10,
    early_stopping=True,  # "auto" then: on from 1000 windows; every fold has more
    validation_fraction=0.1,
    alpha=1e-4,
    clip_grad_norm=5.0,
    bptt_steps=None,
    n_features_per_step=None,
    warm_start=False,
    verbose=False,
)
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

"""Choose RNNRegressor's defaults across four real series, never on a test fold.

    python benchmarks/select_forecast_defaults.py [--csv path/to/clean_weather.csv] [--n-jobs 2]

Data and protocol: ``benchmarks/_forecast.py`` (clean_weather, Seattle
weather, yearly sunspots, US real GDP). Only the development folds are used:
fit on the first 35/40/45 % of each series' rows, score the next 10 %; every
scored row lies before 55 %, where the first test fold of bench_forecast.py
starts. Seeds 0-2. Every candidate is ``StandardScaler -> SequenceWindower ->
RNNRegressor(**params)``.

A candidate's figure on a series is its mean MSE over the 3 folds x 3 seeds
divided by Ridge's mean MSE on the same folds (Ridge on the flattened window,
as a user tries first); its score is the geometric mean of that ratio over the
four series (lower is better).

Selection rule, written down before the first run:

1. Structure: ``cell`` in {elman, gru, lstm} x ``skip_connection`` in
   {False, True}, the other parameters at the defaults the search started from
   (``START``). The lowest score is the base of stage 2.
2. One change at a time from that base: ``hidden_size`` 4/16/32, ``alpha``
   1e-3/1e-2/1e-1/3e-1 (and 1, 3: added after the first run, in which 3e-1, the
   edge of the grid, scored best), ``learning_rate_init`` 1e-3/3e-3/1e-2/3e-2 (except
   the base's own), ``early_stopping`` True/False (the base has "auto": on from
   1000 samples), ``n_iter_no_change`` 5/20/50, ``batch_size`` 32. A change
   passes if its paired log-ratio to the base, ``log(MSE_change / MSE_base)``
   over the 36 (series, fold, seed) fits, has a mean below minus two standard
   errors. Per parameter, the passing value with the lowest score.
3. All passing changes together are scored once. The combination is adopted if
   it passes against the base and scores below the best single passing change;
   otherwise the best single passing change alone (or none) is adopted.

Results: ``benchmarks/results/forecast_defaults.json``.
"""

import argparse
import time

import numpy as np

from _common import machine_info, write_results
from _forecast import DEV_ORIGINS, SEEDS, geometric_mean, load_series, ridge, rnn, run_jobs

# the defaults when this search was first run
START = dict(cell="elman", skip_connection=False, hidden_size=8, alpha=3e-2,
             learning_rate_init="auto", early_stopping="auto", n_iter_no_change=10,
             batch_size="auto")
AUTO_LEARNING_RATE = {"elman": 3e-3, "gru": 1e-2, "lstm": 1e-2}
STAGE_2 = {
    "hidden_size": [4, 16, 32],
    # 1 and 3 added after the first run, where 3e-1, the edge of the grid, scored best
    "alpha": [1e-3, 1e-2, 1e-1, 3e-1, 1.0, 3.0],
    "learning_rate_init": [1e-3, 3e-3, 1e-2, 3e-2],
    "early_stopping": [True, False],
    "n_iter_no_change": [5, 20, 50],
    "batch_size": [32],
}


class Candidate:
    def __init__(self, **params):
        self.params = params

    def __call__(self, window, seed):
        return rnn(window, seed, **self.params)


def label(params):
    changed = {k: v for k, v in params.items() if START.get(k) != v}
    return ", ".join(f"{k}={v}" for k, v in changed.items()) or "start"


class Evaluator:
    def __init__(self, series, n_jobs):
        self.series, self.n_jobs = series, n_jobs
        self.folds = {s.name: s.folds(DEV_ORIGINS) for s in series}
        self.cache, self.seconds = {}, {}
        self.ridge = self._mse([("ridge", ridge)])["ridge"]

    def _mse(self, named_models):
        """name -> array (series, fold, seed) of MSE; fit seconds kept per name."""
        jobs, keys = [], []
        for name, model in named_models:
            for i, s in enumerate(self.series):
                for f, (a, b) in enumerate(self.folds[s.name]):
                    for k, seed in enumerate(SEEDS):
                        jobs.append((s, a, b, model, seed))
                        keys.append((name, i, f, k))
        out = {name: np.empty((len(self.series), len(DEV_ORIGINS), len(SEEDS)))
               for name, _ in named_models}
        secs = {name: [] for name, _ in named_models}
        for (name, i, f, k), (mse, sec, _) in zip(keys, run_jobs(jobs, self.n_jobs)):
            out[name][i, f, k] = mse
            secs[name].append(sec)
        self.seconds.update({n: float(np.median(v)) for n, v in secs.items()})
        return out

    def evaluate(self, param_sets):
        todo = [(label(p), Candidate(**p)) for p in param_sets if label(p) not in self.cache]
        if todo:
            self.cache.update(self._mse(todo))
        return [self.cache[label(p)] for p in param_sets]

    def ratios(self, mse):
        """Per series: mean MSE / Ridge's mean MSE."""
        return mse.mean(axis=(1, 2)) / self.ridge.mean(axis=(1, 2))

    def score(self, mse):
        return geometric_mean(self.ratios(mse))


def paired(mse, base):
    d = np.log(mse / base).ravel()
    se = d.std(ddof=1) / np.sqrt(d.size)
    return float(d.mean()), float(2 * se), bool(d.mean() < -2 * se)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", help="clean_weather.csv (else $SKRNN_WEATHER_CSV or the cache)")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    begin = time.perf_counter()
    series = load_series(args.csv)
    ev = Evaluator(series, args.n_jobs)
    names = [s.name for s in series]
    rows = []

    def report(stage, params, mse, base=None):
        r = ev.ratios(mse)
        row = dict(stage=stage, candidate=label(params), params=params,
                   ratios=dict(zip(names, r.tolist())), score=ev.score(mse),
                   fit_seconds_median=ev.seconds.get(label(params)), mse=mse.tolist())
        if base is not None:
            row["log_diff"], row["two_se"], row["passes"] = paired(mse, base)
        rows.append(row)
        extra = "" if base is None else (
            f" | {row['log_diff']:+.3f} | {row['two_se']:.3f} | "
            f"{'yes' if row['passes'] else 'no'}")
        print(f"| {stage} | {row['candidate']} | "
              + " | ".join(f"{v:.3f}" for v in r) + f" | **{row['score']:.3f}**{extra} |",
              flush=True)
        return row

    head = "| stage | candidate | " + " | ".join(names) + " | geo. mean |"
    print(head + " log diff | 2 SE | passes |")
    print("|---" * (len(names) + 6) + "|")
    # stage 1
    structures = [dict(START, cell=c, skip_connection=s)
                  for c in ("elman", "gru", "lstm") for s in (False, True)]
    stage1 = [report(1, p, m) for p, m in zip(structures, ev.evaluate(structures))]
    base_row = min(stage1, key=lambda r: r["score"])
    base = base_row["params"]
    base_mse = np.array(base_row["mse"])
    # stage 2
    changes = []
    for key, values in STAGE_2.items():
        for v in values:
            if key == "learning_rate_init" and v == AUTO_LEARNING_RATE[base["cell"]]:
                continue
            if base[key] != v:
                changes.append((key, dict(base, **{key: v})))
    results = ev.evaluate([p for _, p in changes])
    passing = {}
    for (key, p), m in zip(changes, results):
        row = report(2, p, m, base_mse)
        if row["passes"] and (key not in passing or row["score"] < passing[key]["score"]):
            passing[key] = row
    chosen = base
    if passing:
        best_single = min(passing.values(), key=lambda r: r["score"])
        chosen = best_single["params"]
        if len(passing) > 1:
            combo = dict(base)
            for row in passing.values():
                combo.update({k: v for k, v in row["params"].items() if base[k] != v})
            combo_row = report(3, combo, ev.evaluate([combo])[0], base_mse)
            if combo_row["passes"] and combo_row["score"] < best_single["score"]:
                chosen = combo
    seconds = time.perf_counter() - begin
    print(f"\nRidge's mean dev MSE per series: "
          + ", ".join(f"{n} {v:.4g}" for n, v in zip(names, ev.ridge.mean(axis=(1, 2)))))
    print(f"Stage-1 base: {label(base)}")
    print(f"Chosen: {label(chosen)}  ({seconds:.0f} s)")
    write_results("forecast_defaults", dict(
        machine=machine_info(), series=names, folds=ev.folds, seeds=list(SEEDS),
        start=START, ridge_mse=ev.ridge.tolist(), rows=rows, base=base, chosen=chosen,
        seconds=seconds))


if __name__ == "__main__":
    main()

"""Choose RNNRegressor's defaults across four real series, never on a test fold.

    python benchmarks/select_forecast_defaults.py [--csv path/to/clean_weather.csv] [--n-jobs 2]

Round 2 (the ridge floor): the linear path now starts at the ridge fit of the
window with its penalty chosen by leave-one-out, the read-out of the recurrent
part starts at zero, the state before the first epoch is a candidate of early
stopping, and ``early_stopping="auto"`` holds out a validation tail from 100
samples on. Round 1 (git history of this file) chose cell="lstm",
skip_connection=True, alpha=0.3 on the former code.

Data and protocol: ``benchmarks/_forecast.py`` (clean_weather, Seattle
weather, yearly sunspots, US real GDP). Only the development folds are used:
fit on the first 35/40/45 % of each series' rows, score the next 10 %; every
scored row lies before 55 %, where the first test fold of bench_forecast.py
starts. Seeds 0-2. Every candidate is ``StandardScaler -> SequenceWindower ->
RNNRegressor(**params)`` (plus the stage-2 variants below).

A candidate's figure on a series is its mean MSE over the 3 folds x 3 seeds
divided by Ridge's mean MSE on the same folds (Ridge on the flattened window,
as a user tries first); its score is the geometric mean of that ratio over the
four series (lower is better). RidgeCV on the same windows is reported beside.

Selection rule, written down before the first run of round 2:

0. Admissible: a candidate's settings must let the gated cells learn, so
   that the floor does not come from a penalty that stops the network: with
   ``hidden_size=16, max_iter=40, early_stopping=False, random_state=0`` on the
   README's adding problem (512 sequences of 30 steps, training data), both
   ``cell="gru"`` and ``cell="lstm"`` reach a training R^2 >= 0.95. Inadmissible
   candidates are reported and never chosen.
1. Structure: ``cell`` in {elman, gru, lstm} x the linear path trained jointly
   with the network or kept fixed at its ridge start x ``alpha`` (the network's
   penalty) in {1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1}; the other parameters at
   the defaults this round started from (``START``). The admissible candidate
   with the lowest score is the base of stage 2.
2. One change at a time from that base: ``hidden_size`` 4/16/32,
   ``learning_rate_init`` 3e-3/1e-2/3e-2 (except the base's own),
   ``n_iter_no_change`` 5/20, ``validation_fraction`` 0.2, the network reading
   the window relative to its last step (``x_t - x_T`` and the level ``x_T`` as
   features of every step; the linear path spans the same functions), the
   average of 3 fits with different seeds, and (added after the first run,
   which had not measured it) the weights averaged over the 5 epochs around
   the best validation epoch (those that ran; a kept ridge start stays as it
   is). A change passes if its paired
   log-ratio to the base, ``log(MSE_change / MSE_base)`` over the 36 (series,
   fold, seed) fits, has a mean below minus two standard errors, it is
   admissible, and its median fit time is at most 1.5x the base's. Per
   parameter, the passing value with the lowest score.
3. All passing changes together are scored once. The combination is adopted if
   it passes against the base and scores below the best single passing change;
   otherwise the best single passing change alone (or none) is adopted.

Results: ``benchmarks/results/forecast_defaults.json``.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from _common import machine_info, write_results
from _forecast import (DEV_ORIGINS, FIRST_FOUR, SEEDS, geometric_mean, load_series, ridge, ridge_cv,
                       run_jobs)
from skrnn import RNNRegressor, SequenceWindower

# the defaults when round 2 started (the code of the ridge floor, round 1's choices)
START = dict(cell="lstm", fixed_path=False, alpha=0.3, hidden_size=8,
             learning_rate_init="auto", n_iter_no_change=10, validation_fraction=0.1,
             relative_input=False, n_seeds=1, weight_average=1)
AUTO_LEARNING_RATE = {"elman": 3e-3, "gru": 1e-2, "lstm": 1e-2}
STAGE_1 = dict(cell=["elman", "gru", "lstm"], fixed_path=[False, True],
               alpha=[1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1])
STAGE_2 = {
    "hidden_size": [4, 16, 32],
    "learning_rate_init": [3e-3, 1e-2, 3e-2],
    "n_iter_no_change": [5, 20],
    "validation_fraction": [0.2],
    "relative_input": [True],
    "n_seeds": [3],
    "weight_average": [5],
}
ESTIMATOR_PARAMS = ("cell", "alpha", "hidden_size", "learning_rate_init", "n_iter_no_change",
                    "validation_fraction")


class FixedPathRNNRegressor(RNNRegressor):
    """The linear path stays at its ridge start; the network trains on what it leaves
    (RNNRegressor's behaviour since this selection)."""

    _fixed_linear_path = True


class JointPathRNNRegressor(RNNRegressor):
    """The linear path trains with the network, penalised by its ridge penalty
    (RNNRegressor's behaviour when round 2 started)."""

    _fixed_linear_path = False


def estimator(params, seed, **overrides):
    cls = FixedPathRNNRegressor if params["fixed_path"] else JointPathRNNRegressor
    kwargs = {k: params[k] for k in ESTIMATOR_PARAMS}
    kwargs.update(overrides)
    return cls(random_state=seed, **kwargs)


def relative_to_last_step(X):
    """``(n, T, F)`` -> ``(n, T, 2F)``: ``x_t - x_T`` and the level ``x_T`` at every step."""
    last = X[:, -1:, :]
    return np.concatenate([X - last, np.broadcast_to(last, X.shape)], axis=2)


class SeedAverage(RegressorMixin, BaseEstimator):
    """The mean prediction of copies of ``estimator`` fitted with seeds seed*100 + k."""

    def __init__(self, estimator, n_seeds=3, seed=0):
        self.estimator, self.n_seeds, self.seed = estimator, n_seeds, seed

    def fit(self, X, y):
        self.estimators_ = [clone(self.estimator).set_params(random_state=self.seed * 100 + k)
                            .fit(X, y) for k in range(self.n_seeds)]
        return self

    def predict(self, X):
        return np.mean([e.predict(X) for e in self.estimators_], axis=0)


class EpochWeights:
    """A callback: the flat weights after each epoch."""

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        if context.task_name == "fit":
            self.thetas = []

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "epoch":
            self.thetas.append(estimator._theta.copy())
        return False


class WeightAverage(RegressorMixin, BaseEstimator):
    """``estimator`` with its weights averaged over the ``n_epochs`` epochs around
    the best validation epoch (only those that ran); a kept start (epoch 0) stays."""

    def __init__(self, estimator, n_epochs=5):
        self.estimator, self.n_epochs = estimator, n_epochs

    def fit(self, X, y):
        recorder = EpochWeights()
        model = clone(self.estimator).set_callbacks(recorder).fit(X, y)
        best = model.best_epoch_
        if best:  # epochs best - 2 .. best + 2 (1-based), those that ran
            half = self.n_epochs // 2
            chosen = recorder.thetas[max(best - 1 - half, 0):best + half]
            model._theta[...] = np.mean(chosen, axis=0)
            model._set_public_attributes()
        self.estimator_ = model
        return self

    def predict(self, X):
        return self.estimator_.predict(X)


class Candidate:
    def __init__(self, params):
        self.params = params

    def __call__(self, window, seed):
        steps = [StandardScaler(), SequenceWindower(window)]
        if self.params["relative_input"]:
            steps.append(FunctionTransformer(relative_to_last_step))
        model = estimator(self.params, seed)
        if self.params["weight_average"] > 1:
            model = WeightAverage(model, self.params["weight_average"])
        if self.params["n_seeds"] > 1:
            model = SeedAverage(model, self.params["n_seeds"], seed)
        return make_pipeline(*steps, model)


def adding_problem():
    rng = np.random.RandomState(0)
    values = rng.uniform(size=(512, 30))
    marks = np.zeros((512, 30))
    rows = np.arange(512)
    first, second = rng.randint(0, 15, 512), rng.randint(15, 30, 512)
    marks[rows, first] = marks[rows, second] = 1
    return np.stack([values, marks], axis=2), values[rows, first] + values[rows, second]


def admissible(params, cache={}):
    """Training R^2 of GRU and LSTM on the adding problem at these settings (rule 0)."""
    key = tuple((k, params[k]) for k in ("fixed_path", "alpha", "learning_rate_init",
                                         "n_iter_no_change"))
    if key not in cache:
        X, y = adding_problem()
        r2 = {}
        for cell in ("gru", "lstm"):
            model = estimator(dict(params, cell=cell), 0, hidden_size=16, max_iter=40,
                              early_stopping=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                r2[cell] = float(model.fit(X, y).score(X, y))
        cache[key] = r2
    return cache[key]


def label(params):
    changed = {k: v for k, v in params.items() if START.get(k) != v}
    return ", ".join(f"{k}={v}" for k, v in changed.items()) or "start"


class Evaluator:
    def __init__(self, series, n_jobs):
        self.series, self.n_jobs = series, n_jobs
        self.folds = {s.name: s.folds(DEV_ORIGINS) for s in series}
        self.cache, self.seconds = {}, {}
        base = self._mse([("ridge", ridge), ("ridge_cv", ridge_cv)])
        self.ridge, self.ridge_cv = base["ridge"], base["ridge_cv"]

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
        todo = [(label(p), Candidate(p)) for p in param_sets if label(p) not in self.cache]
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
    series = load_series(args.csv, FIRST_FOUR)
    ev = Evaluator(series, args.n_jobs)
    names = [s.name for s in series]
    rows = []

    def report(stage, params, mse, base=None):
        r = ev.ratios(mse)
        adding = admissible(params)
        row = dict(stage=stage, candidate=label(params), params=params,
                   ratios=dict(zip(names, r.tolist())), score=ev.score(mse),
                   fit_seconds_median=ev.seconds.get(label(params)), mse=mse.tolist(),
                   adding_r2=adding, admissible=min(adding.values()) >= 0.95)
        if base is not None:
            row["log_diff"], row["two_se"], row["passes"] = paired(mse, base["mse"])
            row["passes"] = bool(row["passes"] and row["admissible"]
                                 and row["fit_seconds_median"]
                                 <= 1.5 * base["fit_seconds_median"])
        rows.append(row)
        extra = "" if base is None else (
            f" | {row['log_diff']:+.3f} | {row['two_se']:.3f} | "
            f"{'yes' if row['passes'] else 'no'}")
        print(f"| {stage} | {row['candidate']} | "
              + " | ".join(f"{v:.3f}" for v in r) + f" | **{row['score']:.3f}** | "
              f"{adding['gru']:.3f}/{adding['lstm']:.3f} | "
              f"{row['fit_seconds_median']:.2f}{extra} |", flush=True)
        return row

    print("| stage | candidate | " + " | ".join(names)
          + " | geo. mean | adding R^2 gru/lstm | fit s | log diff | 2 SE | passes |")
    print("|---" * (len(names) + 8) + "|")
    cv = ev.ratios(ev.ridge_cv)
    print("| - | RidgeCV | " + " | ".join(f"{v:.3f}" for v in cv)
          + f" | **{geometric_mean(cv):.3f}** | - | {ev.seconds['ridge_cv']:.2f} |")
    # stage 1
    structures = [dict(START, cell=c, fixed_path=f, alpha=a) for c in STAGE_1["cell"]
                  for f in STAGE_1["fixed_path"] for a in STAGE_1["alpha"]]
    stage1 = [report(1, p, m) for p, m in zip(structures, ev.evaluate(structures))]
    base_row = min((r for r in stage1 if r["admissible"]), key=lambda r: r["score"])
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
    base_ref = dict(mse=base_mse, fit_seconds_median=base_row["fit_seconds_median"])
    for (key, p), m in zip(changes, results):
        row = report(2, p, m, base_ref)
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
            combo_row = report(3, combo, ev.evaluate([combo])[0], base_ref)
            if combo_row["passes"] and combo_row["score"] < best_single["score"]:
                chosen = combo
    seconds = time.perf_counter() - begin
    print("\nRidge's mean dev MSE per series: "
          + ", ".join(f"{n} {v:.4g}" for n, v in zip(names, ev.ridge.mean(axis=(1, 2)))))
    print(f"Stage-1 base: {label(base)}")
    print(f"Chosen: {label(chosen)}  ({seconds:.0f} s)")
    write_results("forecast_defaults", dict(
        machine=machine_info(), series=names, folds=ev.folds, seeds=list(SEEDS),
        start=START, ridge_mse=ev.ridge.tolist(), ridge_cv_mse=ev.ridge_cv.tolist(),
        ridge_cv_ratios=dict(zip(names, cv.tolist())), rows=rows, base=base,
        chosen=chosen, seconds=seconds))


if __name__ == "__main__":
    main()

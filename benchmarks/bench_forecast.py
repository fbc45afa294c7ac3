"""One-step-ahead forecasts on seven real series: every model against Ridge.

    python benchmarks/bench_forecast.py [--csv path/to/clean_weather.csv] [--n-jobs 2] [--plot]

Series and protocol: ``benchmarks/_forecast.py`` (clean_weather, Seattle
weather, yearly sunspots, US real GDP, monthly airline passengers, yearly lynx,
monthly road casualties; StandardScaler and SequenceWindower fitted on each
fold's training rows, the same fixed window for every window model, or the
window each fold's training rows choose for the "auto window" rows).
The classical forecasters (``benchmarks/_classical.py``: seasonal naive where
the series has a season, statsmodels ETS with a damped additive trend and
additive seasonality where two seasons fit, ARIMA with its order chosen by AIC
on the training part) are univariate, on the column whose next value is the
target, and forecast one step ahead with the parameters of the training fit. Test
folds: fit on the first 55/65/75 % of the rows, score the next 10 %; seeds
0-2 for the models that draw random numbers. The defaults of RNNRegressor were
chosen on earlier folds of the same series (select_forecast_defaults.py).

For each model and series: test MSE divided by Ridge's on the same fold, the
median over folds x seeds and its range; the geometric mean of the medians over
the series; the median fit seconds (each job single-threaded, ``--n-jobs``
jobs at once). Results go to ``benchmarks/results/forecast.json``; ``--plot``
draws ``benchmarks/results/forecast.png`` (``--replot`` redraws it from the json).
"""

import argparse
import time

import numpy as np

from _common import RESULTS, machine_info, write_results
from _forecast import (SEEDS, TEST_ORIGINS, geometric_mean, hgb, load_series, mlp, ridge,
                       ridge_cv, rnn, run_jobs, torch_model)


def rnn_cell(cell):
    def make(window, seed):
        return rnn(window, seed, cell=cell)
    return make


def rnn_defaults(window, seed):
    return rnn(window, seed)


def auto_window(factory):
    """``factory``'s pipeline with ``SequenceWindower(window_length="auto")``: the
    window chosen from each fold's training rows (its cost is in the fit time)."""
    def make(_, seed):
        return factory("auto", seed)
    return make


def models():
    """name -> (factory or "persistence", uses seeds)."""
    table = {
        "persistence": ("persistence", False),
        "seasonal naive": ("seasonal naive", False),
        "ETS": ("ETS", False),
        "ARIMA": ("ARIMA", False),
        "Ridge": (ridge, False),
        "RidgeCV": (ridge_cv, False),
        "RidgeCV (auto window)": (auto_window(ridge_cv), False),
        "HistGradientBoosting": (hgb, False),
        "MLPRegressor(32)": (mlp, True),
        "RNNRegressor (defaults)": (rnn_defaults, True),
        "RNNRegressor (defaults, auto window)": (auto_window(rnn_defaults), True),
        "RNNRegressor(cell='elman')": (rnn_cell("elman"), True),
        "RNNRegressor(cell='gru')": (rnn_cell("gru"), True),
    }
    try:
        import torch  # noqa: F401
    except ImportError:
        print("(torch not installed: no torch rows)")
        return table
    for cell in ("RNN", "GRU", "LSTM"):
        table[f"torch nn.{cell}(16)"] = (torch_model(cell), True)
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", help="clean_weather.csv (else $SKRNN_WEATHER_CSV or the cache)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--plot", action="store_true")
    parser.add_argument("--replot", action="store_true",
                        help="only redraw the figure from results/forecast.json")
    args = parser.parse_args()
    if args.replot:
        import json

        data = json.loads((RESULTS / "forecast.json").read_text())
        return plot(data["rows"], data["series"], list(data["summary"]))
    begin = time.perf_counter()
    series = load_series(args.csv)
    table = models()
    jobs, keys = [], []
    for s in series:
        for f, (a, b) in enumerate(s.folds(TEST_ORIGINS)):
            for name, (factory, seeded) in table.items():
                for seed in (SEEDS if seeded else SEEDS[:1]):
                    jobs.append((s, a, b, factory, seed))
                    keys.append((s.name, name, f, seed))
    # largest jobs first (ARIMA's order search on the long series), so that the two
    # workers finish together
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i][3] != "ARIMA", -len(jobs[i][0].X)))
    scores = run_jobs([jobs[i] for i in order], args.n_jobs)
    results = {keys[i]: score for i, score in zip(order, scores)}
    rows = []
    for s in series:
        n_folds = len(TEST_ORIGINS)
        ridge_mse = [results[s.name, "Ridge", f, SEEDS[0]][0] for f in range(n_folds)]
        for name, (_, seeded) in table.items():
            ratios, seconds, details = [], [], []
            for f in range(n_folds):
                for seed in (SEEDS if seeded else SEEDS[:1]):
                    mse, sec, detail = results[s.name, name, f, seed]
                    if mse is not None:
                        ratios.append(mse / ridge_mse[f])
                        seconds.append(sec)
                        details.append(detail)
            if not ratios:  # the model does not apply (seasonal naive without a season)
                continue
            row = dict(series=s.name, model=name, median_ratio=float(np.median(ratios)),
                       min_ratio=float(np.min(ratios)), max_ratio=float(np.max(ratios)),
                       ratios=ratios, fit_seconds_median=float(np.median(seconds)),
                       ridge_mse=ridge_mse)
            if any(d is not None for d in details):
                row["chosen"] = [list(d) for d in details]  # ARIMA's order per fold
            rows.append(row)
    names = [s.name for s in series]
    summary = {}
    print("| model | " + " | ".join(names) + " | geometric mean | median fit s |")
    print("|---|" + "---:|" * (len(names) + 2))
    for name in table:
        mine = {r["series"]: r for r in rows if r["model"] == name}
        # a geometric mean only over every series
        geo = (geometric_mean([r["median_ratio"] for r in mine.values()])
               if len(mine) == len(names) else None)
        secs = float(np.median([r["fit_seconds_median"] for r in mine.values()]))
        summary[name] = dict(geometric_mean=geo, median_fit_seconds=secs,
                             max_fit_seconds=max(r["fit_seconds_median"] for r in mine.values()))
        cells = " | ".join(
            f"{mine[n]['median_ratio']:.3f} ({mine[n]['min_ratio']:.2f}-{mine[n]['max_ratio']:.2f})"
            if n in mine else "—" for n in names)
        geo_text = "—" if geo is None else f"**{geo:.3f}**"
        print(f"| {name} | {cells} | {geo_text} | {secs:.2f} |", flush=True)
    # the floor's target: the default network against RidgeCV on the same windows,
    # fold by fold (median over folds x seeds of the MSE ratio)
    over_ridge_cv = {}
    for s in series:
        ratios = [results[s.name, "RNNRegressor (defaults)", f, seed][0]
                  / results[s.name, "RidgeCV", f, SEEDS[0]][0]
                  for f in range(len(TEST_ORIGINS)) for seed in SEEDS]
        over_ridge_cv[s.name] = float(np.median(ratios))
    print("\nRNNRegressor (defaults) / RidgeCV, median over folds x seeds: "
          + ", ".join(f"{n} {v:.3f}" for n, v in over_ridge_cv.items()))
    seconds = time.perf_counter() - begin
    print(f"\n{len(jobs)} fits in {seconds:.0f} s with {args.n_jobs} jobs")
    write_results("forecast", dict(machine=machine_info(), series=names,
                                   folds={s.name: s.folds(TEST_ORIGINS) for s in series},
                                   seeds=list(SEEDS), rows=rows, summary=summary,
                                   defaults_over_ridge_cv=over_ridge_cv, seconds=seconds))
    if args.plot:
        plot(rows, names, list(table))


def plot(rows, names, model_names):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(model_names)
    colors = plt.get_cmap("tab20").colors
    for k, name in enumerate(model_names):
        vals = [next((r["median_ratio"] for r in rows
                      if r["series"] == s and r["model"] == name), np.nan) for s in names]
        ax.bar(np.arange(len(names)) + k * width, vals, width, label=name,
               color=colors[k % len(colors)])
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names)
    ax.set_ylabel("test MSE / Ridge's (median of folds x seeds)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    fig.savefig(RESULTS / "forecast.png", dpi=110)
    print("figure written to benchmarks/results/forecast.png")


if __name__ == "__main__":
    main()

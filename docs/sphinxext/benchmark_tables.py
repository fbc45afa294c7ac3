"""Turn ``benchmarks/results/*.json`` into the reStructuredText tables of the Benchmarks page.

No Sphinx needed: ``conf.py`` calls :func:`write_tables` at every build, and

    python docs/sphinxext/benchmark_tables.py

writes the same file by hand. Each benchmark script writes its own JSON file
(``python benchmarks/bench_speed.py`` writes ``speed.json``, and so on); a
result file that is missing gives a note instead of a table, never an error.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent.parent / "benchmarks" / "results"
OUTPUT = HERE.parent / "_generated" / "benchmark_tables.inc"


def table(header, rows):
    """A ``list-table`` directive with one header row."""
    lines = [".. list-table::", "   :header-rows: 1", "   :class: bench-table", ""]
    for row in [header, *rows]:
        cells = [str(c) if str(c) else " " for c in row]
        lines.append(f"   * - {cells[0]}")
        lines.extend(f"     - {c}" for c in cells[1:])
    return "\n".join(lines) + "\n"


def section(title, char="-"):
    return f"{title}\n{char * len(title)}\n"


def machine_text(machine, command):
    """One paragraph: where and with what the results were measured."""
    blas = sorted(
        {
            f"{b['internal_api']} {b['version']}" if b.get("version") else b["internal_api"]
            for b in machine.get("blas", [])
        }
    )
    threads = sorted({b.get("num_threads") for b in machine.get("blas", [])} - {None})
    parts = [
        f"{machine.get('cpu', 'unknown CPU')}, {machine.get('cores', '?')} cores",
        f"Python {machine.get('python', '?')}",
        f"NumPy {machine.get('numpy', '?')}",
        f"scikit-learn {machine.get('scikit_learn', '?')}",
        f"skrnn {machine.get('skrnn', '?')}",
    ]
    if machine.get("torch"):
        parts.append(f"torch {machine['torch']} ({machine.get('torch_threads', '?')} threads)")
    if blas:
        parts.append(
            f"BLAS and OpenMP libraries loaded: {', '.join(blas)}"
            + (f" ({'/'.join(map(str, threads))} threads)" if threads else "")
        )
    return f"Measured with ``{command}`` on: " + "; ".join(parts) + ".\n"


def pairs(low_high, fmt):
    """``low–high×`` from a (min, max) pair, or a dash for results without it."""
    if not low_high:
        return "–"
    return f"{low_high[0]:{fmt}}–{low_high[1]:{fmt}}×"


def missing(name, command):
    return (
        f".. note::\n\n   ``benchmarks/results/{name}.json`` is not there: run ``{command}`` "
        "to produce it.\n"
    )


def accuracy_section(data):
    command = "python benchmarks/bench_accuracy.py --csv path/to/clean_weather.csv"
    out = [section("Accuracy on the weather task")]
    if data is None:
        return "\n".join(out + [missing("accuracy", command)])
    out.append(
        "Tomorrow's maximum temperature from the last 7 days of ``tmax, tmin, rain`` of "
        "``clean_weather.csv``: chronological 70/15/15 split, ``StandardScaler`` fitted on "
        "the training days, every evaluated day predicted with the 6 days before it. "
        "MSE in °F²; *fit s* is the wall time of ``fit``.\n"
    )
    out.append(machine_text(data["machine"], command))
    rows = [
        (r["model"], f"{r['valid_mse']:.2f}", f"{r['test_mse']:.2f}", f"{r['fit_seconds']:.2f}")
        for r in data["rows"]
    ]
    out.append(table(("model", "valid MSE", "test MSE", "fit s"), rows))
    if data.get("time_to_accuracy"):
        out.append(
            "Time to accuracy: ``RNNRegressor`` with its defaults, trained one epoch at a "
            "time with ``partial_fit`` until the validation MSE first reaches 20.3 "
            "(Ridge's 20.33); *fit s* excludes the evaluation.\n"
        )
        rows = [
            (
                r["seed"],
                "not reached" if r["epochs"] is None else r["epochs"],
                f"{r['fit_seconds']:.2f}",
                f"{r['valid_mse']:.2f}",
            )
            for r in data["time_to_accuracy"]
        ]
        out.append(table(("seed", "epochs", "fit s", "valid MSE"), rows))
    return "\n".join(out)


def defaults_section(data):
    command = "python benchmarks/select_defaults.py --csv path/to/clean_weather.csv"
    out = [section("How the defaults were chosen")]
    if data is None:
        return "\n".join(out + [missing("defaults", command)])
    folds = ", ".join(f"{a}–{b}" for a, b in data["folds"])
    out.append(
        "``RNNRegressor``'s defaults against single changes, by rolling-origin evaluation "
        "on the days before the test split only: each fold fits the pipeline with the "
        "candidate's settings on the days before its first scored day and scores the "
        f"next ones (days {folds}; the last fold is the validation split), for seeds "
        f"{data['seeds'][0]}–{data['seeds'][-1]}. *mean MSE* averages the "
        f"{len(data['folds']) * len(data['seeds'])} fits; *difference* is the mean paired "
        "difference to the defaults the search started from (same fold, same seed). A "
        "candidate passes if that difference is below minus two standard errors; of "
        "those that pass, the one with the lowest mean MSE replaces the defaults. "
        f"Chosen: ``{data.get('chosen', '?')}``.\n"
    )
    out.append(machine_text(data["machine"], command))
    rows = [
        (
            r["candidate"], f"{r['mean_mse']:.3f}",
            " / ".join(f"{v:.2f}" for v in r["fold_medians"]),
            f"{r['diff']:+.3f}", f"{r['two_se']:.3f}", "yes" if r["adopt"] else "no",
        )
        for r in data["rows"]
    ]
    out.append(table(("candidate", "mean MSE", "per fold, median of seeds", "difference",
                      "2 SE", "passes"), rows))
    return "\n".join(out)


def forecast_defaults_section(data):
    command = "python benchmarks/select_forecast_defaults.py --csv path/to/clean_weather.csv"
    out = [section("How the forecasting defaults were chosen")]
    if data is None:
        return "\n".join(out + [missing("forecast_defaults", command)])
    names = data["series"]
    chosen = ", ".join(f"{k}={v!r}" for k, v in data["chosen"].items()
                       if data["start"].get(k) != v)
    start = ", ".join(f"{k}={v!r}" for k, v in data["start"].items())
    out.append(
        "``RNNRegressor``'s defaults, chosen across the four development series on folds "
        "that end before the first test row (fit on the first 35/40/45 % of the rows, "
        f"score the next 10 %; seeds {data['seeds'][0]}–{data['seeds'][-1]}). Each figure "
        "is the candidate's mean MSE over folds x seeds divided by Ridge's; *score* is "
        "their geometric mean over the series; a candidate is admissible only if its "
        "settings let GRU and LSTM reach a training R² of 0.95 on the README's adding "
        "problem. Stage 1 compares the structures (cell x the linear path kept fixed or "
        "trained x the network's alpha); stage 2 changes one setting of the best "
        "admissible one, and passes if its paired log-ratio to it (36 fits) is below minus "
        "two standard errors (and its fit time at most 1.5x); stage 3 combines the passing "
        "changes (the rule is in the script's docstring, written before the run). "
        f"Chosen: ``{chosen}`` (the start was ``{start}``).\n"
    )
    out.append(machine_text(data["machine"], command))
    rows = []
    for r in data["rows"]:
        passes = "" if "passes" not in r else (
            f"{r['log_diff']:+.3f} ± {r['two_se']:.3f} " + ("yes" if r["passes"] else "no"))
        adding = r.get("adding_r2")
        adding = "—" if adding is None else f"{adding['gru']:.3f} / {adding['lstm']:.3f}"
        rows.append((str(r["stage"]), r["candidate"],
                     *(f"{r['ratios'][n]:.3f}" for n in names), f"{r['score']:.3f}",
                     adding, passes))
    out.append(table(("stage", "candidate", *names, "score", "adding R² gru / lstm",
                      "log-ratio ± 2 SE, passes"), rows))
    return "\n".join(out)


def window_rule_section(data):
    command = "python benchmarks/select_window_rule.py --csv path/to/clean_weather.csv"
    out = [section("How the automatic window was chosen")]
    if data is None:
        return "\n".join(out + [missing("window_rule", command)])
    first = data["variants"][0]
    names = list(first["series"])
    chosen = data["chosen"]
    out.append(
        "The constants of ``SequenceWindower(window_length=\"auto\")``, chosen on the "
        "development folds of the seven forecasting series (fit on the first 35/40/45 % "
        "of the rows, score the next 10 %; every scored row before the first test row), "
        "by the rule in the script's docstring (written before the run): each figure is "
        "the default pipeline's mean MSE with the window chosen by the variant, divided "
        "by the fixed-window Ridge's; *score* is the geometric mean over the series. "
        "*RidgeCV* is the same for RidgeCV on the chosen windows; *time x* is the median "
        "over the series of the auto pipeline's fit time (the choice included) over the "
        "fixed-window pipeline's. The windows chosen on the three folds are under each "
        f"row. Chosen: scheme ``{chosen['scheme']}``, tolerance {chosen['tolerance']}.\n"
    )
    out.append(machine_text(data["machine"], data["command"]))
    rows = [("fixed windows", "", *(f"{first['series'][n]['rnn_fixed']:.3f}" for n in names),
             "", "", "")]
    for v in data["variants"]:
        rows.append((v["scheme"], f"{v['tolerance']}",
                     *(f"{v['series'][n]['rnn_auto']:.3f} "
                       f"({'/'.join(map(str, v['series'][n]['windows']))})" for n in names),
                     f"{v['score']:.3f}", f"{v['ridgecv_score']:.3f}",
                     f"{v['median_time_ratio']:.2f}"))
    out.append(table(("scheme", "tolerance", *names, "score", "RidgeCV", "time x"), rows))
    return "\n".join(out)


def small_data_stopping_section(data):
    command = "python benchmarks/select_small_data_stopping.py --csv path/to/clean_weather.csv"
    out = [section("From how many samples early stopping starts")]
    if data is None:
        return "\n".join(out + [missing("small_data_stopping", command)])
    names = list(data["candidates"][0]["series"])
    out.append(
        "The number of samples from which ``RNNRegressor(early_stopping=\"auto\")`` holds "
        "out the last 10 % (and so keeps its ridge start unless an epoch beats it there), "
        "chosen by the rule in the script's docstring (written before the run) on the "
        "development folds of the seven forecasting series: each figure is the default "
        "pipeline's mean MSE over the fixed-window Ridge's, *score* their geometric mean. "
        "*recursive* and *direct*: the MAPE over Ridge's of 12-month forecasts from 12 raw "
        "lags, on the airline series' first 108 months (origins 60, 72, 84). *seconds*: "
        "the summed fit time of the pipelines and of the raw-lag networks. "
        f"Chosen: {data['chosen']} (was {data['current']}).\n"
    )
    out.append(machine_text(data["machine"], data["command"]))
    rows = [(c["threshold"], *(f"{c['series'][n]['ratio']:.3f}" for n in names),
             f"{c['score']:.3f}", f"{c['raw']['recursive']['ratio']:.3f}",
             f"{c['raw']['direct']['ratio']:.3f}",
             f"{c['series_fit_seconds'] + c['raw_fit_seconds']:.1f}",
             "yes" if c["admissible"] else "no") for c in data["candidates"]]
    out.append(table(("from", *names, "score", "recursive", "direct", "seconds",
                      "admissible"), rows))
    return "\n".join(out)


def patch_rule_section(data):
    command = "python benchmarks/select_patch_rule.py --n-jobs 2"
    out = [section("How patch_length=\"auto\" was chosen")]
    if data is None:
        return "\n".join(out + [missing("patch_rule", command)])
    names = list(data["steps"])
    chosen = data["chosen"]
    out.append(
        "Rules for ``RNNClassifier``'s patches of steps and read-outs, compared by "
        "cross-validation on the training sets of four classification problems (5 folds x "
        "2 seeds each), by the rule of round "
        f"{data.get('round', 1)} in the script's docstring (written before the run): a rule "
        "*S* reads sequences of at most 32 steps step by step and longer ones in patches "
        "of ceil(T / S) steps (*inf*: no patches, the defaults before). Each figure is "
        "the mean accuracy, with the patch length it gave; *diff* the paired mean "
        "difference to the old defaults with two standard errors. Chosen: "
        f"S = {chosen['target_steps']}, read-out ``{chosen['readout']}``.\n"
    )
    out.append(machine_text(data["machine"], data["command"]))
    rows = [(r["target_steps"], r["readout"],
             *(f"{r['problems'][n]['accuracy']:.3f} (k={r['problems'][n]['patch_length']})"
               for n in names),
             f"{r['score']:.3f}", f"{r['difference']:+.3f} ({r['two_se']:.3f})",
             "yes" if r.get("admissible", r["passes"]) else "no",
             f"{r['median_seconds']:.2f}") for r in data["candidates"]]
    out.append(table(("S", "read-out", *(f"{n} ({data['steps'][n]})" for n in names),
                      "mean", "diff (2 SE)", "admissible", "median s"), rows))
    return "\n".join(out)


def long_windows_section(data):
    command = "python benchmarks/bench_long_windows.py --csv path/to/clean_weather.csv"
    out = [section("Long forecasting windows and patches")]
    if data is None:
        return "\n".join(out + [missing("long_windows", command)])
    names = list(next(iter(data["results"].values())))
    out.append(
        "Windows of 24 and 96 days on the two daily series, the default network with "
        "and without patches of steps, test folds of the forecasting benchmark (seeds "
        "0-2): the median of the test MSE over Ridge's at the series' fixed window, and "
        "the median fit seconds. This reports; it chose nothing.\n"
    )
    out.append(machine_text(data["machine"], data["command"]))
    rows = [(model, *(f"{per[n]['median_ratio']:.3f}" for n in names),
             *(f"{per[n]['median_fit_seconds']:.2f}" for n in names))
            for model, per in data["results"].items()]
    out.append(table(("model", *names, *(f"{n} fit s" for n in names)), rows))
    return "\n".join(out)


def forecast_section(data):
    command = "python benchmarks/bench_forecast.py --csv path/to/clean_weather.csv --plot"
    out = [section("Forecasting real series")]
    if data is None:
        return "\n".join(out + [missing("forecast", command)])
    names = data["series"]
    out.append(
        "One-step-ahead test MSE divided by Ridge's on the same fold (Ridge on the "
        "flattened window), median over 3 test folds x seeds "
        f"{data['seeds'][0]}–{data['seeds'][-1]} with the range in brackets; the test "
        "folds fit on the first 55/65/75 % of the rows and score the next 10 %. Every model "
        "sees the same windows (StandardScaler fitted on the fold's training rows, then "
        "SequenceWindower); the classical forecasters (seasonal naive, ETS, ARIMA) are "
        "univariate, fitted on the training part, then forecast one step ahead with "
        "those parameters; — where a model does not apply (no season). *fit s* is the "
        "median fit time, each job on one thread.\n"
    )
    out.append(machine_text(data["machine"], command))
    rows = []
    for model, summary in data["summary"].items():
        cells = []
        for n in names:
            r = next((r for r in data["rows"] if r["series"] == n and r["model"] == model),
                     None)
            cells.append("—" if r is None else
                         f"{r['median_ratio']:.3f} ({r['min_ratio']:.2f}–{r['max_ratio']:.2f})")
        geo = summary["geometric_mean"]
        rows.append((model, *cells, "—" if geo is None else f"{geo:.3f}",
                     f"{summary['median_fit_seconds']:.2f}"))
    out.append(table(("model", *names, "geometric mean", "fit s"), rows))
    return "\n".join(out)


# skrnn's cell -> the torch module it is timed against (the same equations)
TORCH_MODULES = {"elman": "torch.nn.RNN", "gru": "torch.nn.GRU", "lstm": "torch.nn.LSTM"}


def cell_of(row):
    """The cell of a speed row; rows written before the ``cell`` field are Elman."""
    return row.get("cell", "elman")


def and_join(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def speed_section(data):
    command = "python benchmarks/bench_speed.py --plot"
    cells = (
        list(TORCH_MODULES) if data is None
        else list(dict.fromkeys(cell_of(r) for r in data["rows"]))
    )
    modules = [TORCH_MODULES.get(c, c) for c in cells]
    out = [section(f"Speed against {and_join(modules)}")]
    if data is None:
        return "\n".join(out + [missing("speed", command)])
    pairing = and_join([f"``cell=\"{c}\"`` against ``{m}``" for c, m in zip(cells, modules)])
    out.append(
        "Windows per second of one training epoch (forward, BPTT, gradient clipping, "
        "Adam step, through ``RNNRegressor.partial_fit``) and of ``predict``, against "
        "the torch module with the same equations + ``torch.nn.Linear`` + "
        "``torch.optim.Adam`` + ``clip_grad_norm_`` on the same data, batch size and "
        f"thread count ({pairing}); median of "
        f"{data.get('repeats', '?')} alternating runs. A ratio above 1 means skrnn is "
        "faster; *pairs* is the range of the training ratio over the alternating pairs "
        "of runs.\n"
    )
    out.append(machine_text(data["machine"], command))
    rows = [
        (
            cell_of(r), r["dtype"], r["hidden"], r["steps"], r["batch"], r["features"],
            f"{r['skrnn_train_windows_per_s']:,.0f}", f"{r['torch_train_windows_per_s']:,.0f}",
            f"**{r['train_ratio']:.2f}×**", pairs(r.get("train_pair_ratios"), ".1f"),
            f"{r['skrnn_predict_windows_per_s']:,.0f}",
            f"{r['torch_predict_windows_per_s']:,.0f}",
            f"**{r['predict_ratio']:.2f}×**",
        )
        for r in data["rows"]
    ]
    out.append(
        table(
            ("cell", "dtype", "hidden", "steps", "batch", "features", "skrnn train win/s",
             "torch train win/s", "train ratio", "pairs", "skrnn predict win/s",
             "torch predict win/s", "predict ratio"),
            rows,
        )
    )
    if data.get("naive"):
        out.append(
            "Against a loop-per-window NumPy RNN trained as the seed tutorial trains "
            "(one sequence at a time, ``benchmarks/_naive.py``), Elman cell, float64, "
            "training:\n"
        )
        rows = [
            (r["hidden"], r["steps"], r["batch"], f"{r['skrnn_windows_per_s']:,.0f}",
             f"{r['naive_windows_per_s']:,.0f}", f"**{r['speedup']:.0f}×**",
             pairs(r.get("speedup_pairs"), ".0f"))
            for r in data["naive"]
        ]
        out.append(
            table(("hidden", "steps", "batch", "skrnn win/s", "loop-per-window win/s",
                   "speed-up", "pairs"), rows)
        )
    if data.get("gflops"):
        out.append(
            "How close the recurrence gets to the BLAS (Elman cell): GFLOP/s of a plain "
            "2048×2048 "
            "``A @ B``, of the per-step recurrent product ``h @ W_hh`` (hidden 256, "
            "batch 256) and of a whole training epoch (the matrix-product FLOPs of "
            "forward and BPTT over the epoch's time):\n"
        )
        rows = [
            (name, f"{g['large_matmul']:.1f}", f"{g['recurrent_products']:.1f}",
             f"{g['recurrent_products'] / g['large_matmul']:.2f}",
             f"{g['training_epoch']:.1f}", f"{g['training_epoch'] / g['large_matmul']:.2f}")
            for name, g in data["gflops"].items()
        ]
        out.append(
            table(("dtype", "A @ B GFLOP/s", "h @ W_hh GFLOP/s", "ratio",
                   "training epoch GFLOP/s", "ratio"), rows)
        )
    return "\n".join(out)


def default_fit_section(data):
    command = "python benchmarks/bench_speed.py --default-fit"
    out = [section("The public fit at its defaults, against torch")]
    if data is None:
        return "\n".join(out + [missing("default_fit", command)])
    out.append(
        "Seconds of ``RNNRegressor(cell=..., hidden_size=H, batch_size=B).fit(X, y)`` with "
        "every other setting at its default (the linear path, early stopping with its "
        "validation pass, the ridge start, input validation), "
        f"{data['rows'][0]['epochs']} epochs forced with ``tol=0``, against a torch loop "
        "training the same model from scratch (the cell's module + ``Linear`` + the "
        "linear path, Adam, ``clip_grad_norm_``, the same 90/10 split with a validation "
        "pass and a best-weights copy per epoch); median of "
        f"{data.get('repeats', '?')} alternating runs. A ratio above 1 means skrnn is "
        "faster; *pairs* is the range over the alternating pairs.\n"
    )
    out.append(machine_text(data["machine"], command))
    rows = [
        (r["cell"], r["dtype"], r["hidden"], r["steps"], r["batch"], f"{r['n_windows']:,}",
         f"{r['skrnn_seconds']:.3f}", f"{r['torch_seconds']:.3f}", f"**{r['ratio']:.2f}×**",
         pairs(r.get("pair_ratios"), ".2f"))
        for r in data["rows"]
    ]
    out.append(table(("cell", "dtype", "hidden", "steps", "batch", "windows", "skrnn s",
                      "torch s", "ratio", "pairs"), rows))
    return "\n".join(out)


def default_scaling_section(data):
    command = "python benchmarks/bench_scaling.py --default-fit"
    out = [section("Scaling of the default fit", char="~")]
    if data is None:
        return "\n".join(out + [missing("scaling_default_fit", command)])
    out.append(
        "Seconds per epoch of ``fit`` at the defaults (hidden 8, 7 steps, 3 features, "
        "three epochs) from 5 thousand to 500 thousand windows, for the default code path "
        "and each other path a default fit can take (one change each); the exponent is "
        "the slope of log(time) against log(windows): 1 is linear.\n"
    )
    out.append(machine_text(data["machine"], command))
    rows = [
        (path, cell, ", ".join(f"{t:.3f}" for t in r["epoch_seconds"]),
         f"{1e6 * r['epoch_seconds'][-1] / r['sizes'][-1]:.2f}", f"{r['exponent']:.2f}")
        for path, by_cell in data["paths"].items() for cell, r in by_cell.items()
    ]
    out.append(table(("path", "cell", "seconds per epoch", "µs per window-epoch at the largest",
                      "exponent"), rows))
    return "\n".join(out)


def scaling_section(data):
    command = "python benchmarks/bench_scaling.py --plot"
    out = [section("Scaling")]
    if data is None:
        return "\n".join(out + [missing("scaling", command)])
    out.append(
        "Median seconds of one training epoch while one size grows and the others stay at "
        "4096 samples, 16 steps, 32 hidden units (3 features, batch 64). The exponent is "
        "the slope of log(time) against log(size): 1 is linear.\n"
    )
    out.append(machine_text(data["machine"], command))
    rows = [
        (name, ", ".join(f"{s:,}" for s in r["sizes"]),
         ", ".join(f"{t:.3f}" for t in r["seconds"]), f"{r['exponent']:.2f}")
        for name, r in data["scaling"].items()
    ]
    out.append(table(("grows", "sizes", "seconds per epoch", "exponent"), rows))
    if data.get("predict_memory"):
        out.append(
            "Peak memory of ``predict`` (tracemalloc) on windows of 7 steps × 3 features: "
            "it works in chunks of 4096 windows, so beyond its output the peak does not "
            "grow with the number of windows.\n"
        )
        rows = [
            (f"{r['n_windows']:,}", f"{r['input_bytes'] / 1e6:,.0f}",
             f"{r['output_bytes'] / 1e6:,.1f}", f"{r['peak_bytes'] / 1e6:,.1f}",
             f"{r['peak_beyond_output_bytes'] / 1e6:,.1f}")
            for r in data["predict_memory"]
        ]
        out.append(
            table(("windows", "input MB", "output MB", "predict peak MB",
                   "peak beyond output MB"), rows)
        )
    return "\n".join(out)


def figure(results, name, alt, caption, width):
    """A figure directive for ``results/<name>.png``, if the file is there.

    The path is written relative to the docs folder, where ``benchmarks.rst``
    (which includes the generated file) lives.
    """
    if not (Path(results) / f"{name}.png").is_file():
        return ""
    return (
        f".. figure:: ../benchmarks/results/{name}.png\n   :alt: {alt}\n   :width: {width}\n\n"
        f"   {caption}\n"
    )


def load(results, name):
    path = Path(results) / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def render(results=RESULTS):
    """The whole include file, as text."""
    header = (
        ".. This file is generated from benchmarks/results/*.json by\n"
        "   docs/sphinxext/benchmark_tables.py at every docs build; do not edit it.\n"
    )
    sections = [
        accuracy_section(load(results, "accuracy")),
        defaults_section(load(results, "defaults")),
        forecast_section(load(results, "forecast")),
        figure(results, "forecast",
               "Test MSE over Ridge's per series and model",
               "Test MSE divided by Ridge's, median over folds and seeds, per series (log "
               "scale; below 1: ahead of Ridge).", "100%"),
        forecast_defaults_section(load(results, "forecast_defaults")),
        window_rule_section(load(results, "window_rule")),
        small_data_stopping_section(load(results, "small_data_stopping")),
        long_windows_section(load(results, "long_windows")),
        patch_rule_section(load(results, "patch_rule")),
        speed_section(load(results, "speed")),
        figure(results, "speed",
               "Throughput of skrnn over its torch counterpart by cell and network size, "
               "training and prediction",
               "Throughput of skrnn divided by that of its torch counterpart (``torch.nn.RNN``, "
               "``GRU`` or ``LSTM``) by network size (above 1: skrnn is faster).", "100%"),
        default_fit_section(load(results, "default_fit")),
        scaling_section(load(results, "scaling")),
        default_scaling_section(load(results, "scaling_default_fit")),
        figure(results, "scaling",
               "Seconds per training epoch against n_samples, n_steps and hidden_size",
               "Seconds per training epoch as one size grows, log-log.", "100%"),
    ]
    return "\n".join([header, *sections])


def write_tables(results=RESULTS, output=OUTPUT):
    """Write the include file, only if its text changed (so Sphinx rebuilds only then)."""
    output = Path(output)
    text = render(results)
    if not output.is_file() or output.read_text(encoding="utf-8") != text:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    return output


if __name__ == "__main__":
    print(f"wrote {write_tables(*sys.argv[1:3])}")

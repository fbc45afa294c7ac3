"""Dask: a grid search on a LocalCluster, and the memory of out-of-core training.

    pip install -e ".[dask]"
    python benchmarks/bench_dask.py [--csv path/to/clean_weather.csv] [--repeat N] [--quick]

1. Search. ``GridSearchCV`` of ``StandardScaler + SequenceWindower +
   RNNRegressor(max_iter=30)`` (8 candidates x 3 ``TimeSeriesSplit`` folds =
   24 fits, plus the refit) on the first 6000 days of the weather data, run
   with ``n_jobs=1``; with ``n_jobs=2`` on joblib's default (loky)
   processes; and with ``n_jobs=-1`` under
   ``joblib.parallel_config(backend="dask")`` on a ``LocalCluster`` of 2
   worker processes (1 thread each) bound to 127.0.0.1, each setting
   ``--repeat`` times (default 3; the fastest is reported), once with
   ``MALLOC_TRIM_THRESHOLD_`` unset in the workers and once with the value
   ``distributed`` sets by default (65536), which makes training several
   times slower. Reported: the wall time of
   ``search.fit`` (starting the workers and importing skrnn there is timed
   apart), the number of fits, the tasks the workers ran (joblib batches),
   the mean fit time (of the fastest search), and whether ``best_params_``
   and the scores equal the ``n_jobs=1`` run's.
2. Memory. One epoch of RNNRegressor (window 7, 3 features) over a series
   ten times larger than the chunk (1 million rows, chunks of 100 thousand),
   read from a ``.npy`` file: chunk by chunk with
   ``skrnn.incremental.fit_chunks`` over a memory map, against the whole
   series loaded, windowed and given to one ``partial_fit``. Each runs in a
   fresh process, twice: once for the peak of NumPy's allocations
   (tracemalloc) and once, untraced, for the wall time and the growth of
   the peak resident set over the resident set before training (Linux
   ``VmHWM``, reset first; elsewhere ``ru_maxrss``).

``--quick`` runs a smaller search (1500 days, max_iter=5) and series (chunks
of 10 thousand rows).

Data: ``clean_weather.csv`` (the ``--csv`` argument, else
``skrnn.datasets.load_weather``'s environment variable, cache or download).
Results go to ``benchmarks/results/dask.json``.
"""

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

WINDOW = 7
N_FEATURES = 3
GRID = {
    "rnnregressor__hidden_size": [4, 8],
    "rnnregressor__learning_rate_init": [3e-3, 1e-2],
    "sequencewindower__window_length": [3, 7],
}


# ------------------------------------------------------------------ 1. search


def run_search(X, y, n_jobs, max_iter, backend=None):
    from joblib import parallel_config
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skrnn import RNNRegressor, SequenceWindower

    pipe = make_pipeline(StandardScaler(), SequenceWindower(),
                         RNNRegressor(max_iter=max_iter, random_state=0))
    search = GridSearchCV(pipe, GRID, cv=TimeSeriesSplit(n_splits=3, gap=WINDOW - 1),
                          n_jobs=n_jobs, scoring="neg_mean_squared_error")
    config = parallel_config(backend=backend) if backend else parallel_config()
    with warnings.catch_warnings(), config:
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        search.fit(X, y)
        seconds = time.perf_counter() - start
    return search, seconds


def warm_up(n_jobs, backend=None):
    """Start the workers and import skrnn there, so the search times only the search."""
    from joblib import Parallel, delayed, parallel_config

    config = parallel_config(backend=backend) if backend else parallel_config()
    with config:
        Parallel(n_jobs=n_jobs)(
            delayed(importlib.import_module)(name)
            for name in ["skrnn", "sklearn.model_selection"] * 4
        )


def search_on_cluster(X, y, max_iter, trim_threshold, repeat):
    """The search on a fresh LocalCluster, ``repeat`` times.

    Returns (search, list of seconds, start-up seconds, worker tasks of one search).
    """
    import dask
    from dask.distributed import Client, LocalCluster, get_task_stream

    environ = dict(os.environ)  # the nanny writes its pre-spawn variables into ours
    key = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
    start = time.perf_counter()
    with dask.config.set({key: trim_threshold}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    try:
        warm_up(-1, backend="dask")
        startup = time.perf_counter() - start
        runs = []
        for _ in range(repeat):
            with get_task_stream(client) as stream:
                search, seconds = run_search(X, y, n_jobs=-1, max_iter=max_iter,
                                             backend="dask")
            runs.append((seconds, search, len(stream.data)))
        fastest = min(runs, key=lambda run: run[0])
        return fastest[1], [run[0] for run in runs], startup, fastest[2]
    finally:
        client.close()
        cluster.close()
        os.environ.clear()
        os.environ.update(environ)


def bench_search(csv, n_rows, max_iter, repeat):
    from skrnn.datasets import load_weather

    data = load_weather(csv).iloc[:n_rows]
    X, y = data[["tmax", "tmin", "rain"]], data["tmax_tomorrow"]
    n_candidates = int(np.prod([len(v) for v in GRID.values()]))
    n_fits = n_candidates * 3 + 1  # 3 folds, plus the refit on all rows
    rows = []

    def add(name, search, times, startup=None, tasks=None):
        rows.append(dict(
            run=name, seconds=min(times), all_seconds=times, fits=n_fits,
            worker_tasks=tasks, startup_seconds=startup,
            mean_fit_seconds=float(np.mean(search.cv_results_["mean_fit_time"])),
            same_best=search.best_params_ == local.best_params_,
            same_scores=bool(np.array_equal(search.cv_results_["mean_test_score"],
                                            local.cv_results_["mean_test_score"])),
        ))

    def fastest_of(n_jobs):
        runs = [run_search(X, y, n_jobs=n_jobs, max_iter=max_iter) for _ in range(repeat)]
        return min(runs, key=lambda run: run[1])[0], [run[1] for run in runs]

    local, times = fastest_of(1)
    add("n_jobs=1", local, times)
    start = time.perf_counter()
    warm_up(2)
    startup = time.perf_counter() - start
    add("n_jobs=2, joblib's loky processes", *fastest_of(2), startup)
    for name, threshold in [
        ("LocalCluster, 2 workers, dask backend", None),
        ("same, distributed's default MALLOC_TRIM_THRESHOLD_=65536", 65536),
    ]:
        search, times, startup, tasks = search_on_cluster(X, y, max_iter, threshold, repeat)
        add(name, search, times, startup, tasks)
    base = rows[0]["seconds"]
    for row in rows:
        row["speedup"] = base / row["seconds"]
    return dict(n_rows=n_rows, max_iter=max_iter, n_candidates=n_candidates, n_folds=3,
                repeat=repeat, best_params=local.best_params_, runs=rows)


# ------------------------------------------------------------------ 2. memory


def write_series(folder, n_rows, chunk):
    """A seasonal 3-feature series and tomorrow's first feature, written chunk by chunk."""
    X_path, y_path = folder / "X.npy", folder / "y.npy"
    X_out = np.lib.format.open_memmap(X_path, mode="w+", dtype=np.float64,
                                      shape=(n_rows, N_FEATURES))
    y_out = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.float64, shape=(n_rows,))
    rng = np.random.RandomState(0)
    for start in range(0, n_rows, chunk):
        t = np.arange(start, min(start + chunk + 1, n_rows + 1))
        season = np.sin(2 * np.pi * t / 365.25)
        block = np.column_stack([season + 0.3 * rng.normal(size=t.size),
                                 0.8 * season + 0.3 * rng.normal(size=t.size),
                                 rng.exponential(0.3, t.size)])
        stop = start + t.size - 1
        X_out[start:stop] = block[:-1]
        y_out[start:stop] = block[1:, 0]
    X_out.flush()
    y_out.flush()
    del X_out, y_out
    return X_path, y_path


def _status_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise OSError(field)


def _reset_peak_rss():
    """Current RSS in MB, after resetting the peak (VmHWM) where Linux allows it."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return _status_mb("VmRSS"), True
    except OSError:  # elsewhere: growth of ru_maxrss (KiB on Linux) over the imports
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, False


def child(mode, how, X_path, y_path, chunk):
    """One measurement in this (fresh) process; prints a JSON line."""
    from skrnn import RNNRegressor, SequenceWindower
    from skrnn.incremental import array_chunks, fit_chunks

    model = RNNRegressor(hidden_size=8, random_state=0)
    if mode == "trace":
        tracemalloc.start()
    else:
        rss_before, reset = _reset_peak_rss()
    start = time.perf_counter()
    if how == "chunked":
        X = np.load(X_path, mmap_mode="r")
        y = np.load(y_path, mmap_mode="r")
        fit_chunks(model, array_chunks(X, y, chunk), WINDOW)
    else:
        X, y = np.load(X_path), np.load(y_path)
        model.partial_fit(SequenceWindower(WINDOW).fit_transform(X), y)
    seconds = time.perf_counter() - start
    out = dict(seconds=seconds, loss=float(np.mean(model.loss_curve_)), t=model.t_)
    if mode == "trace":
        out["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    else:
        peak = (_status_mb("VmHWM") if reset
                else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        out["rss_growth_mb"] = peak - rss_before
    print(json.dumps(out))


def measure(mode, how, X_path, y_path, chunk):
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, how, str(X_path), str(y_path), str(chunk)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def bench_memory(chunk):
    n_rows = 10 * chunk
    with tempfile.TemporaryDirectory() as folder:
        X_path, y_path = write_series(Path(folder), n_rows, chunk)
        rows = []
        for how in ("chunked", "in_memory"):
            row = dict(how=how)
            row.update(measure("trace", how, X_path, y_path, chunk))
            untraced = measure("rss", how, X_path, y_path, chunk)
            row.update(seconds=untraced["seconds"], rss_growth_mb=untraced["rss_growth_mb"])
            rows.append(row)
    window_mb = chunk * WINDOW * N_FEATURES * 8 / 2**20
    return dict(n_rows=n_rows, chunk_rows=chunk, window_length=WINDOW,
                n_features=N_FEATURES, windows_of_one_chunk_mb=window_mb,
                series_mb=n_rows * (N_FEATURES + 1) * 8 / 2**20, runs=rows)


# ------------------------------------------------------------------- report


def print_report(search, memory):
    print(f"## Grid search: {search['n_candidates']} candidates x {search['n_folds']} folds "
          f"+ refit, {search['n_rows']} days, max_iter={search['max_iter']}\n")
    print("| run | fits | worker tasks | start-up s | search s | speed-up | mean fit s "
          "| same best_params_ | same scores |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for r in search["runs"]:
        tasks = "-" if r["worker_tasks"] is None else r["worker_tasks"]
        startup = "-" if r["startup_seconds"] is None else f"{r['startup_seconds']:.2f}"
        print(f"| {r['run']} | {r['fits']} | {tasks} | {startup} | {r['seconds']:.2f} | "
              f"{r['speedup']:.2f}x | {r['mean_fit_seconds']:.3f} | {r['same_best']} | "
              f"{r['same_scores']} |")
    print(f"\nSearch s: the fastest of {search['repeat']} searches. Start-up (starting the "
          "workers and importing skrnn there) is not in it;\nworker tasks are the joblib "
          f"batches of fits of one search (dask's task stream). Best: {search['best_params']}")
    print(f"\n## One epoch over {memory['n_rows']:,} rows ({memory['series_mb']:.0f} MB on "
          f"disk), chunks of {memory['chunk_rows']:,} rows, window {memory['window_length']}\n")
    print("| training | NumPy peak MB (tracemalloc) | peak RSS growth MB | s | "
          "mean loss |")
    print("|---|---:|---:|---:|---:|")
    for r in memory["runs"]:
        name = ("chunked, fit_chunks over a memmap" if r["how"] == "chunked"
                else "whole series in memory, one partial_fit")
        print(f"| {name} | {r['traced_peak_mb']:.1f} | {r['rss_growth_mb']:.1f} | "
              f"{r['seconds']:.2f} | {r['loss']:.4f} |")
    chunked, whole = memory["runs"]
    print(f"\nChunked training needs {whole['traced_peak_mb'] / chunked['traced_peak_mb']:.1f}x "
          f"less NumPy memory (the windows of one chunk: "
          f"{memory['windows_of_one_chunk_mb']:.1f} MB).")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, how, X_path, y_path, chunk = sys.argv[2:7]
        child(mode, how, X_path, y_path, int(chunk))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="path to clean_weather.csv")
    parser.add_argument("--quick", action="store_true", help="smaller search and series")
    parser.add_argument("--repeat", type=int, default=3,
                        help="searches per setting; the fastest is reported (default 3)")
    args = parser.parse_args()

    from _common import machine_info, write_results

    import dask
    import distributed

    search = bench_search(args.csv, n_rows=1500 if args.quick else 6000,
                          max_iter=5 if args.quick else 30, repeat=args.repeat)
    memory = bench_memory(chunk=10_000 if args.quick else 100_000)
    print_report(search, memory)
    write_results("dask", dict(
        machine=machine_info(dict(dask=dask.__version__, distributed=distributed.__version__)),
        search=search, memory=memory,
    ))


if __name__ == "__main__":
    main()

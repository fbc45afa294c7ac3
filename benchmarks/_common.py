"""Machine description and result files shared by the benchmark scripts."""

import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import sklearn
from threadpoolctl import threadpool_info

import skrnn

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or platform.machine()


def machine_info(extra=None):
    """CPU, cores, BLAS and thread settings, library versions."""
    blas = [
        {k: i.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer")}
        for i in threadpool_info()
    ]
    info = dict(
        cpu=cpu_model(),
        cores=os.cpu_count(),
        python=platform.python_version(),
        numpy=np.__version__,
        scikit_learn=sklearn.__version__,
        skrnn=skrnn.__version__,
        blas=blas,
        thread_env={k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                   "MKL_NUM_THREADS")},
    )
    info.update(extra or {})
    return info


def write_results(name, payload):
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    print(f"\nResults written to benchmarks/results/{name}.json")

"""Sequence classification on four UCR/UEA archive problems, every model at its defaults.

    python benchmarks/bench_classification.py [--quick] [--datasets NAME ...]

Data: ItalyPowerDemand (67 train / 1029 test, 24 steps, 2 classes), GunPoint
(50 / 150, 150 steps, 2 classes), BasicMotions (40 / 40, 100 steps, 6
channels, 4 classes) and JapaneseVowels (270 / 370, 7-29 steps, 12 channels,
9 classes: sequences of different lengths), the archives' default train/test
splits, read from the copies bundled with sktime (``pip install
sktime==1.2.0``; no network). Each channel is scaled with the mean and
standard deviation of the training set (over all training samples and
steps); the recurrent models get ``(n_samples, n_steps, n_channels)``,
RidgeClassifierCV and 1-NN Euclidean the flattened ``(n_samples, n_steps *
n_channels)`` series. JapaneseVowels is padded with ``skrnn.pad_sequences``
(NaN after each sequence, to the longest of train and test) and scaled with
``skrnn.StepTransformer(StandardScaler())`` fitted on the training sequences'
valid steps; the networks read the padding (torch through
``pack_padded_sequence``), the flattened models get it as zeros.

Models: RNNClassifier at its defaults (GRU; ``patch_length="auto"``: patches
of ``ceil(T / 10)`` steps on GunPoint and BasicMotions, none on the two short
problems), with cell="elman" and cell="lstm", without patches
(``patch_length=1``, the default before issue 27) and with patches of 5 steps
(``patch_length=5``, with and without ``readout="max"``); if torch is installed, nn.GRU(64) and
nn.LSTM(64) + Linear, Adam lr 1e-3, cross-entropy, batch 16, a fixed number
of epochs and no early stopping; RidgeClassifierCV (its own leave-one-out
choice of alpha on the training set) and KNeighborsClassifier(1). Nothing is
tuned on the test splits. The stochastic models run with seeds 0-2; the
table gives the mean test accuracy with its range over the seeds, and the mean
fit seconds. Published 1-NN Euclidean accuracies (UCR archive) are printed
beside. Full runs write ``benchmarks/results/classification.json``;
``--quick`` (seed 0 only, 50 torch epochs) and ``--datasets`` subsets only print.
"""

import argparse
import os
import time
import warnings

import numpy as np
from sklearn.linear_model import RidgeClassifierCV
from sklearn.metrics import accuracy_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

import _torch_peer
from _common import machine_info, write_results
from skrnn import RNNClassifier, StepTransformer, pad_sequences

DATASETS = ("ItalyPowerDemand", "GunPoint", "BasicMotions", "JapaneseVowels")
VARIABLE_LENGTH = {"JapaneseVowels"}
SEEDS = (0, 1, 2)
TORCH_EPOCHS = 200
QUICK_TORCH_EPOCHS = 50

# 1-NN Euclidean distance, UCR time series classification archive
PUBLISHED_1NN_ED = {"GunPoint": 0.913, "ItalyPowerDemand": 0.955}

# RNNClassifier at defaults, mean of the seeds: reported against, not tuned for
TARGET_ACCURACY = {"ItalyPowerDemand": 0.96, "GunPoint": 0.95, "BasicMotions": 0.90,
                   "JapaneseVowels": 0.97}
TARGET_FIT_SECONDS = 30.0


def load(name):
    """Default train/test split, channels scaled with training statistics.

    Returns X_train, y_train, X_test, y_test with X of shape
    (n_samples, n_steps, n_channels).
    """
    from sktime.datasets import load_UCR_UEA_dataset

    if name in VARIABLE_LENGTH:  # a list of (n_steps_i, n_channels) frames
        parts = [load_UCR_UEA_dataset(name, split=split, return_type="df-list")
                 for split in ("train", "test")]
        longest = max(len(x) for X, _ in parts for x in X)
        (X_train, y_train), (X_test, y_test) = (
            (pad_sequences([x.to_numpy(dtype=np.float64) for x in X], max_steps=longest),
             np.asarray(y)) for X, y in parts)
        step = StepTransformer(StandardScaler()).fit(X_train)
        return step.transform(X_train), y_train, step.transform(X_test), y_test
    parts = []
    for split in ("train", "test"):
        X, y = load_UCR_UEA_dataset(name, split=split, return_type="numpy3D")
        parts.append((np.ascontiguousarray(X.transpose(0, 2, 1), dtype=np.float64),
                      np.asarray(y)))
    (X_train, y_train), (X_test, y_test) = parts
    mean = X_train.mean(axis=(0, 1))
    std = X_train.std(axis=(0, 1))
    std[std == 0] = 1.0
    return (X_train - mean) / std, y_train, (X_test - mean) / std, y_test


def flat(X):
    """The flattened series; padding (NaN) as zeros, the scaled channels' mean."""
    return np.nan_to_num(X.reshape(len(X), -1), nan=0.0)


def fit_score(model, X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter, as at defaults
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return accuracy_score(y_test, model.predict(X_test)), seconds


def torch_rnn(kind, X_train, y_train, X_test, y_test, seed, epochs, hidden=64, lr=1e-3,
              batch=16):
    """torch nn.GRU / nn.LSTM + Linear on the last state (``_torch_peer``); Adam,
    cross-entropy, no clipping, no early stop.

    NaN-padded sequences go through ``pack_padded_sequence``: the last state is
    each sequence's own."""
    import torch

    torch.manual_seed(seed)
    classes, codes = np.unique(y_train, return_inverse=True)

    def lengths_of(X):
        return torch.from_numpy((~np.isnan(X).all(axis=2)).sum(axis=1))

    L_train, L_test = lengths_of(X_train), lengths_of(X_test)
    X_train, X_test = np.nan_to_num(X_train), np.nan_to_num(X_test)
    Xt = torch.from_numpy(X_train.astype(np.float32))
    yt = torch.from_numpy(codes.astype(np.int64))
    model = _torch_peer.build(kind, X_train.shape[2], hidden, n_outputs=len(classes))
    start = time.perf_counter()
    _torch_peer.fit(model, Xt, yt, epochs=epochs, batch_size=batch, learning_rate=lr,
                    loss="cross_entropy", lengths=L_train)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        logits = _torch_peer.outputs(model, torch.from_numpy(X_test.astype(np.float32)), L_test)
    return accuracy_score(y_test, classes[logits.argmax(dim=1).numpy()]), seconds


def summary(runs):
    acc = [r["accuracy"] for r in runs]
    sec = [r["fit_seconds"] for r in runs]
    return dict(mean_accuracy=float(np.mean(acc)), min_accuracy=float(np.min(acc)),
                max_accuracy=float(np.max(acc)), mean_fit_seconds=float(np.mean(sec)))


def cell(s, n_runs):
    if s is None:
        return "-"
    if n_runs == 1 or s["min_accuracy"] == s["max_accuracy"]:
        return f"{s['mean_accuracy']:.3f}"
    return f"{s['mean_accuracy']:.3f} ({s['min_accuracy']:.3f}-{s['max_accuracy']:.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"seed 0 only, {QUICK_TORCH_EPOCHS} torch epochs; prints only")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS),
                        metavar="NAME", help=f"subset of {', '.join(DATASETS)}")
    args = parser.parse_args()
    seeds = SEEDS[:1] if args.quick else SEEDS
    epochs = QUICK_TORCH_EPOCHS if args.quick else TORCH_EPOCHS
    datasets = [d for d in DATASETS if d in args.datasets]
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
        print("(torch not installed: no torch rows)")
    import sktime

    models = {
        "RNNClassifier (defaults: gru)": lambda s: RNNClassifier(random_state=s),
        'RNNClassifier(cell="elman")': lambda s: RNNClassifier(cell="elman", random_state=s),
        'RNNClassifier(cell="lstm")': lambda s: RNNClassifier(cell="lstm", random_state=s),
        # the effect of patches of steps and of pooling (issue 27): the defaults
        # patch long sequences ("auto"); without patches, and fixed patches of 5
        "RNNClassifier(patch_length=1)": lambda s: RNNClassifier(patch_length=1, random_state=s),
        "RNNClassifier(patch_length=5)": lambda s: RNNClassifier(patch_length=5, random_state=s),
        'RNNClassifier(patch_length=5, readout="max")': lambda s: RNNClassifier(
            patch_length=5, readout="max", random_state=s),
    }
    torch_models = {f"torch nn.GRU(64), Adam 1e-3, batch 16, {epochs} epochs": "gru",
                    f"torch nn.LSTM(64), Adam 1e-3, batch 16, {epochs} epochs": "lstm"}
    flat_models = {"RidgeClassifierCV (flattened)": RidgeClassifierCV,
                   "1-NN Euclidean (flattened)": lambda: KNeighborsClassifier(1)}
    names = list(models) + (list(torch_models) if torch_version else []) + list(flat_models)

    results = {name: {} for name in names}  # name -> dataset -> dict(runs, summary)
    shapes = {}
    load_average = {"start": os.getloadavg()}  # other work on the machine slows the fits
    wall = time.perf_counter()
    for ds in datasets:
        X_train, y_train, X_test, y_test = load(ds)
        shapes[ds] = dict(n_train=len(X_train), n_test=len(X_test), n_steps=X_train.shape[1],
                          n_channels=X_train.shape[2], n_classes=len(np.unique(y_train)))
        print(f"{ds}: {shapes[ds]}", flush=True)
        for name in names:
            runs = []
            if name in flat_models:
                acc, sec = fit_score(flat_models[name](), flat(X_train), y_train,
                                     flat(X_test), y_test)
                runs.append(dict(seed=None, accuracy=acc, fit_seconds=sec))
            else:
                for seed in seeds:
                    extra = {}
                    if name in models:
                        model = models[name](seed)
                        acc, sec = fit_score(model, X_train, y_train, X_test, y_test)
                        # epochs run (the tol rule can stop on a plateau) and final train loss
                        extra = dict(n_iter=model.n_iter_, train_loss=model.loss_)
                    else:
                        acc, sec = torch_rnn(torch_models[name], X_train, y_train, X_test,
                                             y_test, seed, epochs)
                    runs.append(dict(seed=seed, accuracy=acc, fit_seconds=sec, **extra))
            results[name][ds] = dict(runs=runs, summary=summary(runs))
            s = results[name][ds]["summary"]
            print(f"  {name}: {cell(s, len(runs))}, {s['mean_fit_seconds']:.2f} s", flush=True)
        load_average[f"after {ds}"] = os.getloadavg()
    total = time.perf_counter() - wall

    n_seeds = len(seeds)
    print(f"\nTest accuracy, mean (min-max) over seeds {', '.join(map(str, seeds))} "
          "for the stochastic models:\n")
    print("| model | " + " | ".join(datasets) + " |")
    print("|---|" + "---:|" * len(datasets))
    for name in names:
        print(f"| {name} | " + " | ".join(
            cell(results[name][ds]["summary"], len(results[name][ds]["runs"]))
            for ds in datasets) + " |")
    print("| *published 1-NN Euclidean (UCR archive)* | " + " | ".join(
        f"*{PUBLISHED_1NN_ED[ds]:.3f}*" if ds in PUBLISHED_1NN_ED else "-"
        for ds in datasets) + " |")
    print("\nMean fit seconds:\n")
    print("| model | " + " | ".join(datasets) + " |")
    print("|---|" + "---:|" * len(datasets))
    for name in names:
        print(f"| {name} | " + " | ".join(
            f"{results[name][ds]['summary']['mean_fit_seconds']:.2f}" for ds in datasets) + " |")

    default, knn = names[0], "1-NN Euclidean (flattened)"
    targets = {}
    print(f"\nTargets, {default}, mean of {n_seeds} seed(s):")
    for ds in datasets:
        s = results[default][ds]["summary"]
        knn_acc = results[knn][ds]["summary"]["mean_accuracy"]
        checks = dict(
            accuracy=s["mean_accuracy"] >= TARGET_ACCURACY[ds],
            ahead_of_1nn=s["mean_accuracy"] > knn_acc,
            fit_seconds=s["mean_fit_seconds"] <= TARGET_FIT_SECONDS,
        )
        targets[ds] = dict(target_accuracy=TARGET_ACCURACY[ds],
                           target_fit_seconds=TARGET_FIT_SECONDS,
                           mean_accuracy=s["mean_accuracy"], one_nn_accuracy=knn_acc,
                           mean_fit_seconds=s["mean_fit_seconds"],
                           reached={k: bool(v) for k, v in checks.items()})
        word = lambda ok: "reached" if ok else "NOT reached"  # noqa: E731
        print(f"  {ds}: accuracy {s['mean_accuracy']:.3f} >= {TARGET_ACCURACY[ds]:.2f}: "
              f"{word(checks['accuracy'])}; ahead of 1-NN ({knn_acc:.3f}): "
              f"{word(checks['ahead_of_1nn'])}; fit {s['mean_fit_seconds']:.2f} s <= "
              f"{TARGET_FIT_SECONDS:.0f} s: {word(checks['fit_seconds'])}")
    print(f"\nTotal run time: {total:.1f} s")
    print("Load average (1, 5, 15 min): " + "; ".join(
        f"{k} {a:.2f} {b:.2f} {c:.2f}" for k, (a, b, c) in load_average.items()))

    if args.quick or datasets != list(DATASETS):
        print("\n(--quick or a --datasets subset: results not written)")
        return
    write_results("classification", dict(
        machine=machine_info(dict(
            torch=torch_version, sktime=sktime.__version__,
            torch_threads=torch.get_num_threads() if torch_version else None)),
        protocol=dict(seeds=list(seeds), torch_epochs=epochs if torch_version else None,
                      scaling="per channel, mean/std of the training set over samples and steps",
                      splits="archive default train/test"),
        datasets=shapes,
        published_1nn_euclidean=PUBLISHED_1NN_ED,
        results=[dict(model=name, dataset=ds, **results[name][ds])
                 for name in names for ds in datasets],
        targets=targets,
        total_seconds=total,
        load_average=load_average,
    ))


if __name__ == "__main__":
    main()

"""
Classifying sequences: which frequency is this noisy wave?
==========================================================

:class:`~skrnn.RNNClassifier` puts a classification head on the network of
:class:`~skrnn.RNNRegressor`: the read-out of the last hidden state gives the
logits, a softmax turns them into class probabilities, and the network is
trained on the cross-entropy (see :ref:`classification`). This example makes
a synthetic data set, no download needed: sequences of 30 steps of a sine
wave with one of three periods, a random phase and amplitude, and noise. The
period sets the class. The model has to compare the steps with each other:
no single step, and no average of them, tells the classes apart. It fits an
Elman and a GRU classifier on a training part and shows their confusion
matrices on a test part.
"""

# %%
# The data
# --------
# Each class has its own period: 12 steps (``"slow"``), 9 (``"medium"``) or 7
# (``"fast"``). Each sequence gets a random phase, a random amplitude between
# 0.5 and 1.5, and Gaussian noise of standard deviation 0.5 at every step.
# The values are already about unit scale, so no scaler is needed (for
# other data, see :ref:`scaling-inputs`). ``X`` is 3-D, ``(n_samples,
# n_steps, n_features_per_step)``, with one feature per step.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, log_loss

from skrnn import RNNClassifier

N_STEPS = 30
PERIODS = {"slow": 12, "medium": 9, "fast": 7}
LABELS = list(PERIODS)  # in the order of the figures (classes_ is sorted: fast, medium, slow)


def make_waves(n_samples, rng, noise=0.5):
    """Noisy sine waves, each with one of the three periods of PERIODS."""
    y = rng.choice(LABELS, size=n_samples)
    period = np.array([PERIODS[label] for label in y])[:, None]
    phase = rng.uniform(0, 2 * np.pi, size=(n_samples, 1))
    amplitude = rng.uniform(0.5, 1.5, size=(n_samples, 1))
    t = np.arange(N_STEPS)
    clean = amplitude * np.sin(2 * np.pi * t / period + phase)
    X = clean + rng.normal(scale=noise, size=clean.shape)
    return X[:, :, np.newaxis], y, clean


rng = np.random.RandomState(0)
X_train, y_train, _ = make_waves(300, rng)
X_test, y_test, clean_test = make_waves(300, rng)
print(f"X_train: {X_train.shape}, X_test: {X_test.shape}")
print("training sequences per class:",
      {label: int(np.sum(y_train == label)) for label in LABELS})

# %%
# Three test sequences of each class, with the wave before the noise was added
# (dashed). Within a class the sequences start at different phases and
# differ in amplitude, so no single step tells the class: the model has to
# find the period in the whole sequence, through the noise.
fig, axes = plt.subplots(1, 3, figsize=(11, 3), sharey=True)
for ax, label in zip(axes, LABELS):
    for i, color in zip(np.flatnonzero(y_test == label)[:3], ["C0", "C1", "C2"]):
        ax.plot(X_test[i, :, 0], color=color, lw=1.2)
        ax.plot(clean_test[i], color=color, lw=0.8, ls="--")
    ax.set(title=f"{label}: period {PERIODS[label]} steps", xlabel="step")
axes[0].set_ylabel("value")
fig.tight_layout()

# %%
# Two cells
# ---------
# One classifier per cell, with the defaults otherwise (``hidden_size=8``,
# ``max_iter=500``, ``tol=3e-4``, ``n_iter_no_change=50``) and
# ``random_state=0``. With 300 training sequences early stopping stays off
# (``early_stopping="auto"`` turns it on from 1000 samples), so each fit runs
# until the training loss stops improving or ``max_iter`` is reached. The GRU
# stops by the first rule; the Elman cell is still learning at epoch 500, and
# the ConvergenceWarning that says so is silenced here. The labels are
# strings: the classifier keeps them in ``classes_``, sorted.
# Besides the accuracy, the test log-loss (``sklearn.metrics.log_loss`` of
# ``predict_proba``) measures how good the probabilities are: predicting
# 1/3 for every class scores :math:`\log 3 \approx 1.10`.
models = {}
for cell in ["elman", "gru"]:
    clf = RNNClassifier(cell=cell, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    models[cell] = clf
    proba = clf.predict_proba(X_test)
    print(f"{cell:>5}: {clf.n_iter_:3d} epochs in {seconds:.2f} s, "
          f"train accuracy {clf.score(X_train, y_train):.3f}, "
          f"test accuracy {clf.score(X_test, y_test):.3f}, "
          f"test log-loss {log_loss(y_test, proba, labels=clf.classes_):.3f}")
print("classes_:", models["gru"].classes_.tolist())

# %%
# The confusion matrices of the test part: rows are the true classes,
# columns the predicted ones, both from slow to fast.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
for ax, (cell, clf) in zip(axes, models.items()):
    y_pred = clf.predict(X_test)
    ConfusionMatrixDisplay.from_predictions(
        y_test, y_pred, labels=LABELS, ax=ax, colorbar=False, cmap="Blues"
    )
    ax.set_title(f'cell="{cell}": accuracy {accuracy_score(y_test, y_pred):.3f}')
fig.tight_layout()

# %%
# Probabilities and logits
# ------------------------
# ``predict_proba`` gives one column per class, in the order of ``classes_``;
# ``decision_function`` the logits it is the softmax of, and ``predict`` the
# class of the largest. The first four test sequences:
gru = models["gru"]
np.set_printoptions(precision=3, suppress=True)
print("true labels:     ", y_test[:4].tolist())
print("predicted labels:", gru.predict(X_test[:4]).tolist())
print("predict_proba (columns", gru.classes_.tolist(), "):")
print(gru.predict_proba(X_test[:4]))
print("decision_function (the logits):")
print(gru.decision_function(X_test[:4]))
plt.show()

# %%
# What the numbers say
# --------------------
# The GRU (the default cell) classifies almost every test sequence
# correctly (the confusion matrix shows where it errs). The Elman cell, with
# the same settings, does worse, on the training part as well: it underfits
# rather than overfits, at several times less cost per epoch (about 8x here). One seed does not make a comparison: put ``cell`` in a grid search
# with ``learning_rate_init`` and ``hidden_size`` and a stratified
# cross-validation (``sklearn.model_selection.StratifiedKFold``)
# on your own data (see :ref:`tuning` and :ref:`choosing-a-cell`).

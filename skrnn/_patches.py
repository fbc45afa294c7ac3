"""Patches of steps: each step of the recurrence reads ``patch_length`` input steps.

A sequence of ``L`` steps of ``F`` features becomes ``ceil(L / k)`` patches of
``k * F`` values (the ``k`` steps of a patch flattened time-major, oldest
first). Patches are aligned to the sequence's *end*: the last patch holds the
last ``k`` steps, so a window's most recent steps always form a whole patch,
and the first patch is zero-filled at its start when ``L`` is not a multiple
of ``k`` (the network's inputs are standardised: a zero is the training mean). With right-padded (variable-length) batches each sequence is
patched from its own last valid step, and its patches are right-padded in
turn (``ceil(lengths / k)`` valid patches), so the padding stays invisible.

The first layer's input weights then act on a whole patch: a strided linear
"convolution" of width and stride ``k`` in front of the cell, as PatchTST
does for transformers. The linear path keeps reading the raw window: the last
``skip_steps`` steps are the tail of the last ``ceil(skip_steps / k)``
patches (:func:`skrnn._network.raw_window`).
"""

import math

import numpy as np

# patch_length="auto": sequences of at most AUTO_SHORT steps are read step by
# step; longer ones in patches of ceil(T / AUTO_STEPS) steps, so that the
# recurrence runs about AUTO_STEPS steps. Chosen by benchmarks/select_patch_rule.py
# (round 2, on the training sets of four classification problems; its record,
# results/patch_rule.json, is checked against these by tests/test_patches.py).
AUTO_SHORT = 32
AUTO_STEPS = 10


def auto_patch_length(n_steps):
    """``patch_length="auto"`` for sequences of ``n_steps`` steps."""
    n_steps = int(n_steps)
    return 1 if n_steps <= AUTO_SHORT else math.ceil(n_steps / AUTO_STEPS)


def warn_if_longer_than_the_sequences(estimator):
    """At a first fit: an int ``patch_length`` longer than the training sequences is
    cut to their length (:func:`fitted_patch_length`); say so."""
    k = estimator.patch_length
    if not isinstance(k, str) and k > estimator.n_steps_:
        from ._warnings import warn

        warn(
            f"{type(estimator).__name__}: patch_length={k} is longer than the "
            f"{estimator.n_steps_} steps of the training sequences, and input weights "
            "beyond them would never see data: the network reads patches of "
            f"{estimator.n_steps_} steps (the whole sequence), the patch_length_ attribute."
        )


def fitted_patch_length(estimator):
    """The estimator's ``patch_length`` as a Python int, at most the training
    sequences' ``n_steps_`` (a longer patch would have input weights that never see
    data); "auto" by :func:`auto_patch_length`."""
    if isinstance(estimator.patch_length, str):  # "auto"
        return auto_patch_length(estimator.n_steps_)
    return min(int(estimator.patch_length), int(estimator.n_steps_))


def n_patches(n_steps, patch_length):
    """Patches of a sequence of ``n_steps`` steps (``ceil(n_steps / patch_length)``)."""
    return -(-int(n_steps) // patch_length)


def to_patches(X, lengths, patch_length):
    """Batch-first sequences ``X`` as patches, aligned to each sequence's end.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_steps, n_features)
        Batch-first; steps after a sequence's end (``lengths``) are ignored.
    lengths : ndarray of int of shape (n_samples,) or None
        Valid steps of each sequence; None: all ``n_steps``.
    patch_length : int

    Returns
    -------
    patches : ndarray of shape (n_samples, ceil(n_steps / patch_length), patch_length * n_features)
        Zeros before a sequence's first step and after its last patch.
    patch_lengths : ndarray of int or None
        Valid patches of each sequence (None when ``lengths`` is None).
    """
    k = int(patch_length)
    if k == 1:
        return X, lengths
    n_samples, n_steps, n_features = X.shape
    P = n_patches(n_steps, k)
    if lengths is None:  # every sequence ends at the last step: one zero block in front
        out = np.zeros((n_samples, P * k, n_features), dtype=X.dtype)
        out[:, P * k - n_steps :] = X
        return out.reshape(n_samples, P, k * n_features), None
    lengths = np.asarray(lengths)
    patch_lengths = -(-lengths // k)
    # sequence i, shifted right by the zeros in front of its first patch (fewer than
    # k), fills the front of a buffer of P * k steps: one copy per shift, no index
    # arrays of the output's size
    buffer = np.zeros((n_samples, P * k, n_features), dtype=X.dtype)
    front = patch_lengths * k - lengths
    for shift in np.unique(front):
        rows = np.flatnonzero(front == shift)
        m = min(n_steps, P * k - shift)  # steps past a sequence's end land after its
        buffer[rows, shift : shift + m] = X[rows, :m]  # last patch, zeroed below
    patches = buffer.reshape(n_samples, P, k * n_features)
    patches[np.arange(P)[None, :] >= patch_lengths[:, None]] = 0.0  # after the last patch
    return patches, patch_lengths

"""How far back to look: the window that ``SequenceWindower(window_length="auto")`` chooses.

The rule, in one paragraph (the user guide's "How far back to look" says the
same with its measurements):

1. **Candidates.** Every window from 1 to 24 steps, then windows about 20 %
   apart, up to a cap: at most a third of the rows (so that two thirds of the
   rows have a full window for every candidate) and at most ``COLUMNS_PER_ROOT * sqrt(n_rows)`` columns
   (``window * n_features``), which bounds the cost of the choice and of the
   network that reads the window.
2. **Criterion: blocked cross-validation.** The rows that every candidate can
   use are cut into five contiguous blocks; each block is predicted by a ridge
   regression of the (standardised) target on the flattened window, fitted on
   all the other rows except the ``window - 1`` rows after the block (whose
   windows contain the block's targets), its penalty chosen by generalised
   cross-validation on those rows, as the network's linear path chooses its
   own. A window's score is its mean squared error over all the blocks' rows.
   No validation target is ever inside a training window, so a long window
   cannot be fitted from neighbours that contain the row it is scored on:
   its extra columns only cost rows and variance, which the blocks see.
   Plain leave-one-out over overlapping windows lets a left-out row be fitted
   from neighbours that share most of its window, and favours long windows.
3. **Choice: one standard error.** The shortest window whose score exceeds the
   best one by less than the standard error of their paired difference over
   the validation rows: a longer window must earn its cost (the network's fit
   time grows with it) by more than the noise of the comparison, so white
   noise gets a short window and a season a window that covers it.

The scheme and the tolerance were chosen on development folds of seven series
by ``benchmarks/select_window_rule.py`` (forward chaining, and tolerances of a
fixed fraction, are kept here so that the selection reproduces). The choice
costs one pass over a lag matrix of ``cap * n_features`` columns and one
eigendecomposition per candidate and block: ``benchmarks/bench_windower.py``
prints it for 10,000 rows x 4 features.
"""

import numpy as np
from threadpoolctl import threadpool_limits

from ._linear_path import RELATIVE_ALPHAS

# The rule's constants, chosen on the development folds of seven series
# (benchmarks/select_window_rule.py, which states its selection rule).
COLUMNS_PER_ROOT = 4.0  # the cap on window * n_features, times sqrt(n_rows)
TOLERANCE = "se"  # the shortest window within one standard error of the best
SCHEME = "blocked"  # blocked cross-validation (or "forward": forward chaining)
DENSE_UP_TO = 24  # every window up to this many steps is a candidate
GROWTH = 1.2  # beyond it, candidates about 20 % apart
N_BLOCKS = 3  # forward chaining: validation blocks over the last third of the rows
MIN_ROWS = 12  # fewer rows with a target than this: too few to choose from


def window_cap(n_rows, n_features, columns_per_root=COLUMNS_PER_ROOT):
    """The longest candidate window for ``n_rows`` rows of ``n_features`` features."""
    by_rows = n_rows // 3
    by_columns = int(columns_per_root * np.sqrt(n_rows)) // n_features
    return max(1, min(by_rows, by_columns))


def candidate_windows(cap):
    """Every window up to ``DENSE_UP_TO`` steps, then about ``GROWTH`` apart, up to ``cap``."""
    windows = list(range(1, min(cap, DENSE_UP_TO) + 1))
    while windows[-1] < cap:
        windows.append(min(cap, max(windows[-1] + 1, int(round(windows[-1] * GROWTH)))))
    return np.asarray(windows)


def choose_window(X, y, *, columns_per_root=COLUMNS_PER_ROOT, tolerance=TOLERANCE,
                  scheme=SCHEME):
    """The window for rows ``X`` and their targets ``y``, by the rule above.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        Rows of the series in time order, finite.
    y : ndarray of shape (n_rows,) or (n_rows, n_outputs)
        The target of the window that ends at each row. Rows whose target has
        a NaN are not used as targets (e.g. the tail of ``shift(-1)``).
    columns_per_root : float
    tolerance : float or "se"
    scheme : {"forward", "blocked"}
        The rule's constants (the defaults are the chosen ones).

    Returns
    -------
    window_length : int
    windows : ndarray of int
        The candidates.
    scores : ndarray of float
        Each candidate's mean squared validation error, on the standardised target.
    """
    X = _standardise(np.asarray(X, dtype=np.float64))
    Y = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
    targets = np.flatnonzero(np.isfinite(Y).all(axis=1))
    if len(targets) < MIN_ROWS:
        raise ValueError(
            f"window_length='auto' needs at least {MIN_ROWS} rows with a finite target "
            f"to choose the window from; got {len(targets)}. Give window_length as an int."
        )
    Y = _standardise(Y[targets])
    n_features = X.shape[1]
    windows = candidate_windows(window_cap(len(targets), n_features, columns_per_root))
    lags = _lag_matrix(X, targets, windows[-1])
    if scheme not in ("forward", "blocked"):
        raise ValueError(f"scheme must be 'forward' or 'blocked', got {scheme!r}.")
    # many small eigendecompositions: one BLAS thread does them as fast as two, and
    # much faster when the cores are busy (two threads were 14x slower on a loaded
    # 2-core machine)
    with threadpool_limits(limits=1, user_api="blas"):
        if scheme == "blocked":
            errors = _blocked_errors(lags, Y, targets, windows, n_features)
        else:
            bounds = _block_bounds(len(targets))
            errors = _validation_errors(lags, Y, targets, windows, bounds, n_features)
    errors /= Y.shape[1]
    scores = errors.mean(axis=0)
    return int(windows[_shortest_good(errors, scores, tolerance)]), windows, scores


def _shortest_good(errors, scores, tolerance):
    """The first (shortest) candidate whose score is within ``tolerance`` of the best:
    a fraction of the best score, or "se": one standard error of its paired
    difference to the best candidate over the validation rows."""
    best = int(np.argmin(scores))
    if tolerance == "se":
        difference = errors - errors[:, [best]]
        margin = difference.std(axis=0, ddof=1) / np.sqrt(len(errors))
        return int(np.flatnonzero(scores - scores[best] <= margin)[0])
    return int(np.flatnonzero(scores <= scores[best] * (1.0 + tolerance))[0])


def _standardise(A):
    scale = A.std(axis=0)
    scale[scale == 0] = 1.0
    return (A - A.mean(axis=0)) / scale


def _lag_matrix(X, targets, longest):
    """Row ``i``: the window of ``longest`` rows ending at row ``targets[i]``, most
    recent row first (a window of ``L`` steps is the first ``L * n_features``
    columns), zeros before the first row (those entries are never read: a window
    of ``L`` steps uses only target rows with ``L - 1`` rows before them)."""
    n_features = X.shape[1]
    padded = np.zeros((longest - 1 + len(X), n_features))
    padded[longest - 1 :] = X
    lags = np.empty((len(targets), longest * n_features))
    for lag in range(longest):
        lags[:, lag * n_features : (lag + 1) * n_features] = padded[targets + longest - 1 - lag]
    return lags


def _block_bounds(n_targets):
    """Positions (in the target rows) where the validation blocks start, and the end."""
    first = n_targets - n_targets // 3
    return np.linspace(first, n_targets, N_BLOCKS + 1).round().astype(int)


def _validation_errors(lags, Y, targets, windows, bounds, n_features):
    """Squared errors ``(n_validation_rows, n_candidates)``, summed over the outputs.

    The Gram matrix of each stretch of rows between block starts is computed once
    over all the columns; a candidate's training Gram matrix is the sum of its
    leading blocks, plus the rows before the longest window's start where the
    candidate's own window is full.
    """
    longest = windows[-1]
    common = int(np.searchsorted(targets, longest - 1))  # first row every candidate can use
    stretches = [_moments(lags[a:b], Y[a:b]) for a, b in zip([common, *bounds[:-2]], bounds[:-1])]
    errors = np.empty((bounds[-1] - bounds[0], len(windows)))
    for j, steps in enumerate(windows):
        q = steps * n_features
        head = slice(int(np.searchsorted(targets, steps - 1)), common)
        moments = _moments(lags[head, :q], Y[head])
        for block in range(len(bounds) - 1):
            moments = _add(moments, stretches[block], q)
            coef, intercept = _gcv_ridge(*moments)
            a, b = bounds[block], bounds[block + 1]
            residual = Y[a:b] - lags[a:b, :q] @ coef - intercept
            errors[a - bounds[0] : b - bounds[0], j] = np.sum(residual**2, axis=1)
    return errors


def _blocked_errors(lags, Y, targets, windows, n_features, n_blocks=5):
    """Blocked cross-validation: the rows every candidate can use cut into
    ``n_blocks`` contiguous blocks; each predicted by the ridge fitted on all other
    rows except the ``window - 1`` rows after the block (whose windows contain the
    block's targets)."""
    longest = windows[-1]
    common = int(np.searchsorted(targets, longest - 1))
    bounds = np.linspace(common, len(targets), n_blocks + 1).round().astype(int)
    blocks = [_moments(lags[a:b], Y[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    errors = np.empty((bounds[-1] - bounds[0], len(windows)))
    for j, steps in enumerate(windows):
        q = steps * n_features
        head = slice(int(np.searchsorted(targets, steps - 1)), common)
        total = _moments(lags[head, :q], Y[head])
        for stretch in blocks:
            total = _add(total, stretch, q)
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            gap = slice(b, min(b + steps - 1, len(targets)))
            moments = _sub(_sub(total, blocks[k], q), _moments(lags[gap, :q], Y[gap]), q)
            coef, intercept = _gcv_ridge(*moments)
            residual = Y[a:b] - lags[a:b, :q] @ coef - intercept
            errors[a - bounds[0] : b - bounds[0], j] = np.sum(residual**2, axis=1)
    return errors


def _sub(moments, part, q):
    n, s, G, Zy, ys, yy = moments
    n2, s2, G2, Zy2, ys2, yy2 = part
    return n - n2, s - s2[:q], G - G2[:q, :q], Zy - Zy2[:q], ys - ys2, yy - yy2


def _moments(Z, Y):
    """What a ridge fit needs of rows ``Z, Y``: count, sums, Gram, cross products, target SS."""
    return len(Z), Z.sum(axis=0), Z.T @ Z, Z.T @ Y, Y.sum(axis=0), np.einsum("ij,ij->j", Y, Y)


def _add(moments, stretch, q):
    """``moments`` (over ``q`` columns) plus a stretch's (over all columns, cut to ``q``)."""
    n, s, G, Zy, ys, yy = moments
    n2, s2, G2, Zy2, ys2, yy2 = stretch
    return n + n2, s + s2[:q], G + G2[:q, :q], Zy + Zy2[:q], ys + ys2, yy + yy2


def _gcv_ridge(n, z_sum, gram, zy, y_sum, yy):
    """Ridge fit from moments, with an intercept and a penalty per output chosen by
    GCV over ``RELATIVE_ALPHAS`` (the grid of the linear path's ridge start)."""
    z_mean, y_mean = z_sum / n, y_sum / n
    centred = gram - n * np.outer(z_mean, z_mean)
    cross = zy - n * np.outer(z_mean, y_mean)
    total = np.maximum(yy - n * y_mean**2, 0.0)
    s2, V = np.linalg.eigh(centred)
    s2 = np.maximum(s2, 0.0)
    proj = V.T @ cross
    diagonal = np.diag(centred)
    scale = float(np.median(diagonal[diagonal > 0])) if (diagonal > 0).any() else 1.0
    alphas = RELATIVE_ALPHAS * scale
    shrink = s2[None, :] + alphas[:, None]  # (n_alphas, n_directions)
    fitted = ((s2[None, :] + 2 * alphas[:, None]) / shrink**2) @ proj**2
    residual = np.maximum(total[None, :] - fitted, 0.0)
    denominator = 1.0 - ((s2[None, :] / shrink).sum(axis=1) + 1.0) / n
    with np.errstate(divide="ignore"):
        gcv = np.where(denominator[:, None] > 0, residual / denominator[:, None] ** 2, np.inf)
    best = np.argmin(gcv, axis=0)
    best[~np.isfinite(gcv.min(axis=0))] = len(alphas) - 1  # too few rows: shrink most
    coef = V @ (proj / shrink[best].T)
    return coef, y_mean - z_mean @ coef

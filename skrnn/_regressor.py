"""RNNRegressor: the scikit-learn estimator that owns the training loop."""

import math
import time
import warnings
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from . import _recurrence, _validation
from ._optimizers import AdamOptimizer, SGDOptimizer, clip_grad_norm

# A loss this many times its starting value means the fit has blown up, even if
# it is still finite. The start is the first epoch's loss (for a batch of the
# first epoch: the first batch's), but at least 0.5, the loss of predicting the
# mean of the standardised target.
_DIVERGENCE_RATIO = 1e3
# early_stopping="auto" holds out a validation tail from this many samples on.
_AUTO_EARLY_STOPPING_MIN_SAMPLES = 1000
# Rows per forward pass in predict, so memory does not grow with n_samples.
_PREDICT_CHUNK = 4096


class RNNRegressor(RegressorMixin, BaseEstimator):
    """Elman recurrent network regressor trained by backpropagation through time.

    Each layer ``l`` computes ``h_t = act(x_t @ W_xh + h_{t-1} @ W_hh + b_h)``
    with ``h_{-1} = 0``, where ``x_t`` is the input at step ``t`` for the first
    layer and the state of layer ``l - 1`` at step ``t`` otherwise. The
    prediction is a linear read-out of the last layer's last state:
    ``y_hat = h_T @ W_hy + b_y``.

    Parameters
    ----------
    hidden_size : int, default=8
        Number of units in each recurrent layer.
    n_layers : int, default=1
        Number of stacked recurrent layers.
    activation : {"tanh", "relu"}, default="tanh"
        Activation of the recurrent layers.
    solver : {"adam", "sgd"}, default="adam"
        Optimizer: Adam, or SGD with momentum.
    learning_rate_init : float, default=3e-3
        Step size of the optimizer.
    batch_size : int or "auto", default="auto"
        Mini-batch size; "auto" means ``min(64, n_samples)``.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training data).
    shuffle : bool, default=True
        Shuffle the samples before each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation and the shuffling. An integer makes
        the fit reproducible bit for bit.
    tol : float, default=1e-4
        Training stops when the loss (or, with ``early_stopping``, the
        validation score) has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs.
    n_iter_no_change : int, default=10
        Patience, in epochs, for the ``tol`` stopping rule.
    early_stopping : "auto" or bool, default="auto"
        Hold out the last ``validation_fraction`` of the samples, in the order
        given (the chronological tail, never a shuffled split: overlapping
        windows would leak the future into validation), stop when the
        validation R² stops improving, and restore the best weights.
        "auto" enables it when ``fit`` gets at least 1000 samples (as
        ``HistGradientBoostingRegressor`` does from 10000). ``partial_fit``
        never holds data out.
    validation_fraction : float, default=0.1
        Fraction of the samples held out when early stopping is on.
    alpha : float, default=3e-2
        L2 penalty on the weight matrices (not the biases):
        ``0.5 * alpha * sum(W ** 2) / sum(sample_weight in the batch)``.
        The default was chosen by rolling-origin evaluation on the weather
        task's days before its test split (``benchmarks/select_defaults.py``).
    momentum : float, default=0.9
        Momentum of the SGD solver.
    nesterovs_momentum : bool, default=True
        Use Nesterov momentum with the SGD solver.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Adam's numerical stability term.
    clip_grad_norm : float or None, default=5.0
        Rescale the gradient of each mini-batch so that its global L2 norm
        over all parameters is at most this value (the rule of
        ``torch.nn.utils.clip_grad_norm_``). None disables clipping.
    bptt_steps : int or None, default=None
        Truncated BPTT: gradients flow back at most this many steps from the
        end of each sequence. None backpropagates through the whole sequence.
    n_features_per_step : int or None, default=None
        How 2-D input is read: each row is a time-major flattened sequence of
        ``n_columns / n_features_per_step`` steps. None means one feature per
        step. Ignored for 3-D input, except that it must then match
        ``X.shape[2]`` if given.
    warm_start : bool, default=False
        Reuse the weights and optimizer state of the previous ``fit``.
    verbose : bool, default=False
        Print one line per epoch: epoch, training loss, validation loss,
        elapsed seconds.

    Attributes
    ----------
    input_weights_ : list of ndarray, layer ``l`` of shape (n_in_l, hidden_size)
        ``W_xh`` of each layer; ``n_in_0 = n_features_per_step_`` and
        ``n_in_l = hidden_size`` above.
    recurrent_weights_ : list of ndarray of shape (hidden_size, hidden_size)
        ``W_hh`` of each layer.
    hidden_biases_ : list of ndarray of shape (hidden_size,)
        ``b_h`` of each layer.
    output_weights_ : ndarray of shape (hidden_size, n_outputs)
        ``W_hy``, in the units of ``y``.
    output_bias_ : ndarray of shape (n_outputs,)
        ``b_y``, in the units of ``y``.
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        Weighted mean and standard deviation of ``y`` at the first fit. The
        network is trained on ``(y - y_mean_) / y_scale_``; the output layer
        is stored in the units of ``y`` (``output_weights_ = W_hy_std *
        y_scale_``, ``output_bias_ = b_y_std * y_scale_ + y_mean_``), so the
        loss, ``loss_curve_`` and the gradients refer to the standardised target.
    loss_ : float
        Training loss of the last epoch: ``0.5 * weighted mean squared error``
        of the standardised target, plus the L2 term.
    loss_curve_ : list of float
        Training loss of each epoch.
    best_loss_ : float or None
        Lowest training loss; None when early stopping was on.
    validation_loss_curve_ : list of float or None
        Loss on the validation tail (no L2 term) after each epoch, or None.
    validation_scores_ : list of float or None
        R² on the validation tail after each epoch, or None.
    best_validation_score_ : float or None
        Best validation R², or None.
    grad_norm_curve_ : list of float
        Mean global gradient norm, before clipping, of each epoch.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen by the optimizer.
    n_outputs_ : int
        Number of targets.
    n_features_in_ : int
        Number of flattened input columns, ``n_steps_ * n_features_per_step_``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.
    n_steps_ : int
        Length of the sequences.
    n_features_per_step_ : int
        Features per time step.

    Notes
    -----
    ``predict`` is exactly the forward pass above computed from the public
    attributes, so a fitted model exports to PyTorch as ``torch.nn.RNN``
    (``batch_first=True``, ``nonlinearity=activation``) plus ``torch.nn.Linear``::

        rnn.weight_ih_l{k} = input_weights_[k].T
        rnn.weight_hh_l{k} = recurrent_weights_[k].T
        rnn.bias_ih_l{k}   = hidden_biases_[k]
        rnn.bias_hh_l{k}   = 0
        linear.weight      = output_weights_.T
        linear.bias        = output_bias_

    with the input reshaped to ``(n_samples, n_steps_, n_features_per_step_)``.

    Float32 input is trained and predicted in float32; anything else in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5))          # 200 sequences of 5 steps
    >>> y = X.sum(axis=1)                      # target: the sum of the sequence
    >>> model = RNNRegressor(random_state=0).fit(X, y)
    >>> model.predict(X[:2]).shape
    (2,)
    >>> model.score(X, y) > 0.9
    True
    """

    _parameter_constraints = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"tanh", "relu"})],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "bptt_steps": [Interval(Integral, 1, None, closed="left"), None],
        "n_features_per_step": [Interval(Integral, 1, None, closed="left"), None],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_size=8,
        n_layers=1,
        activation="tanh",
        solver="adam",
        learning_rate_init=3e-3,
        batch_size="auto",
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping="auto",
        validation_fraction=0.1,
        alpha=3e-2,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        clip_grad_norm=5.0,
        bptt_steps=None,
        n_features_per_step=None,
        warm_start=False,
        verbose=False,
    ):
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.activation = activation
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.alpha = alpha
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.clip_grad_norm = clip_grad_norm
        self.bptt_steps = bptt_steps
        self.n_features_per_step = n_features_per_step
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ public API

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps, n_features_per_step) or \
                (n_samples, n_columns)
            Sequences, or time-major flattened sequences (see
            ``n_features_per_step``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a weight of k counts like k copies of the sample.

        Returns
        -------
        self : RNNRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run exactly one epoch over ``X, y``, continuing from the current state.

        The optimizer state, the target standardisation (set by the first
        call) and the random generator are kept between calls, so N calls on
        the same data equal ``fit(max_iter=N)`` (with ``early_stopping=False``
        and no ``tol`` stop before N). ``early_stopping`` is ignored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps, n_features_per_step) or \
                (n_samples, n_columns)
            Sequences, as in :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, as in :meth:`fit`.

        Returns
        -------
        self : RNNRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict from sequences with the fitted network.

        Parameters
        ----------
        X : array-like of shape (n_samples, `n_steps_`, `n_features_per_step_`) or \
                (n_samples, `n_features_in_`)
            Sequences shaped like the training input.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, in the shape convention of the ``y`` given to ``fit``.
        """
        check_is_fitted(self)
        X3 = self._validate_X(X, reset=False)
        net = SimpleNamespace(
            W_xh=self.input_weights_,
            W_hh=self.recurrent_weights_,
            b_h=self.hidden_biases_,
            W_hy=self.output_weights_,
            b_y=self.output_bias_,
        )
        X3 = X3.astype(self.output_weights_.dtype, copy=False)
        y_pred = np.empty((X3.shape[0], self.n_outputs_), dtype=X3.dtype)
        for start in range(0, X3.shape[0], _PREDICT_CHUNK):
            chunk = X3[start : start + _PREDICT_CHUNK].transpose(1, 0, 2)
            y_pred[start : start + _PREDICT_CHUNK] = _recurrence.predict(
                net, np.ascontiguousarray(chunk), self.activation
            )
        if not np.isfinite(y_pred).all():
            n_bad = int(np.count_nonzero(~np.isfinite(y_pred).all(axis=1)))
            raise ValueError(
                f"RNNRegressor.predict: the network's output overflowed to inf or NaN "
                f"for {n_bad} of {y_pred.shape[0]} samples: their inputs are too large "
                "for the network's weights. Scale the inputs the way the training data "
                "was scaled (e.g. with StandardScaler), and check any weights set by hand."
            )
        return y_pred.ravel() if self._y_ndim == 1 else y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.multi_output = True
        return tags

    # ---------------------------------------------------------------- validation

    def _validate_X(self, X, reset, y=None, with_y=False):
        """Return X as a 3-D float array (n_samples, n_steps, n_features_per_step).

        With ``with_y``, also validate ``y`` and return ``(X, y)``. Sets or checks
        ``n_features_in_``, ``feature_names_in_``, ``n_steps_`` and
        ``n_features_per_step_``.
        """
        dtype = [np.float64, np.float32]
        check_y = with_y
        y_kwargs = dict(multi_output=True, y_numeric=True) if check_y else {}
        y_arg = y if check_y else "no_validation"
        _validation.reject_masked(X, "X")
        if check_y:
            _validation.reject_masked(y, "y")
            y_shape = getattr(y, "shape", None)
            if y_shape is None and y is not None:
                y_shape = np.asarray(y).shape
            if y_shape is not None and (len(y_shape) not in (1, 2) or 0 in y_shape[1:]):
                raise ValueError(
                    f"y has shape {tuple(y_shape)}; expected (n_samples,) or "
                    "(n_samples, n_outputs) with at least one output."
                )
        ndim = getattr(X, "ndim", None)
        if ndim is None:  # a list or another array-like: look at it as an array
            ndim = np.asarray(X).ndim
        if ndim > 3:
            raise ValueError(
                f"X has {ndim} dimensions; expected a 3-D array of shape (n_samples, "
                "n_steps, n_features_per_step) or a 2-D array of time-major "
                "flattened sequences (n_samples, n_steps * n_features_per_step)."
            )
        if ndim == 3:
            # finiteness is checked once, by validate_data on the flat view below
            X = check_array(
                X, allow_nd=True, dtype=dtype, input_name="X", ensure_all_finite=False
            )
            n_samples, n_steps, n_per_step = X.shape
            flat = X.reshape(n_samples, n_steps * n_per_step)
            out = validate_data(self, flat, y_arg, reset=reset, dtype=dtype, **y_kwargs)
            if self.n_features_per_step not in (None, n_per_step):
                raise ValueError(
                    f"X has {n_per_step} features per step (X.shape[2]) but "
                    f"n_features_per_step={self.n_features_per_step}."
                )
        else:
            out = validate_data(self, X, y_arg, reset=reset, dtype=dtype, **y_kwargs)
            flat = out[0] if check_y else out
            n_per_step = (self.n_features_per_step or 1) if reset else self.n_features_per_step_
            if flat.shape[1] % n_per_step:
                raise ValueError(
                    f"X has {flat.shape[1]} columns, which is not a multiple of "
                    f"n_features_per_step={n_per_step}: each row must hold whole "
                    "time steps of n_features_per_step features."
                )
            n_samples, n_steps = flat.shape[0], flat.shape[1] // n_per_step
            X = flat.reshape(n_samples, n_steps, n_per_step)
        if reset:
            self.n_steps_, self.n_features_per_step_ = n_steps, n_per_step
        elif (n_steps, n_per_step) != (self.n_steps_, self.n_features_per_step_):
            raise ValueError(
                f"X holds sequences of {n_steps} steps x {n_per_step} features, "
                f"but RNNRegressor was fitted on {self.n_steps_} steps x "
                f"{self.n_features_per_step_} features."
            )
        # the dtype the network will compute in: X's at a first fit, else the model's
        work_dtype = X.dtype if reset else getattr(self, "_theta", X).dtype
        _validation.check_magnitude(X, work_dtype, "X")
        if check_y:
            _validation.check_target(out[1], work_dtype)
        return (X, out[1]) if check_y else X

    def _validate_sample_weight(self, sample_weight, n_samples, dtype):
        if sample_weight is None:
            return np.ones(n_samples, dtype=dtype)
        _validation.reject_masked(sample_weight, "sample_weight")
        if isinstance(sample_weight, Real):  # one weight for all, as in scikit-learn
            sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
        sample_weight = check_array(
            sample_weight, ensure_2d=False, dtype=dtype, input_name="sample_weight"
        )
        if sample_weight.ndim != 1 or sample_weight.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight has shape {sample_weight.shape}, expected "
                f"({n_samples},): one weight per sample."
            )
        if np.any(sample_weight < 0):
            raise ValueError("sample_weight has negative values; weights must be >= 0.")
        if not np.any(sample_weight > 0):
            raise ValueError("sample_weight is zero for every sample; nothing to fit.")
        _validation.check_sample_weight_range(sample_weight, dtype)
        return sample_weight

    # ------------------------------------------------------------------ training

    def _fit(self, X, y, sample_weight, incremental):
        fitted = hasattr(self, "_theta")
        first_pass = not fitted or (not self.warm_start and not incremental)
        X, y = self._validate_X(X, reset=first_pass, y=y, with_y=True)
        dtype = X.dtype
        y = np.asarray(y, dtype=dtype)
        if first_pass:
            self._y_ndim = y.ndim
        y = y.reshape(y.shape[0], -1)
        uniform_weights = sample_weight is None
        sample_weight = self._validate_sample_weight(sample_weight, X.shape[0], dtype)

        if first_pass:
            self._initialize(y, sample_weight, dtype)
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs but the model was fitted with "
                f"{self.n_outputs_}."
            )
        elif self._theta.dtype != dtype:
            X, y, sample_weight = (a.astype(self._theta.dtype) for a in (X, y, sample_weight))
        self._make_or_update_optimizer(first_pass)

        y_std = (y - self.y_mean_) / self.y_scale_
        # time-major copy, with a column of ones that carries the hidden bias
        X_tm = _recurrence.with_bias_column(X.transpose(1, 0, 2))
        if isinstance(self.early_stopping, str):  # "auto"
            use_validation = X.shape[0] >= _AUTO_EARLY_STOPPING_MIN_SAMPLES
        else:
            use_validation = bool(self.early_stopping)
        use_validation = use_validation and not incremental
        if use_validation:
            n_val = int(np.ceil(self.validation_fraction * X.shape[0]))
            if n_val < 1 or n_val >= X.shape[0]:
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction} "
                    f"leaves no training or no validation samples out of {X.shape[0]}."
                )
            cut = X.shape[0] - n_val  # chronological tail
            # the validation tail, time-major, without the column of ones (once)
            X_val = np.ascontiguousarray(X_tm[:, cut:, :-1])
            val = (X_val, y[cut:], y_std[cut:], sample_weight[cut:])
            X_tm, y_std, sample_weight = X_tm[:, :cut], y_std[:cut], sample_weight[:cut]
            if not np.any(sample_weight > 0) or not np.any(val[3] > 0):
                raise ValueError(
                    "early_stopping: the training part or the validation tail has "
                    "zero total sample_weight."
                )
        if first_pass or (use_validation and self.validation_scores_ is None):
            self.validation_loss_curve_ = [] if use_validation else None
            self.validation_scores_ = [] if use_validation else None
            self.best_validation_score_ = -np.inf if use_validation else None
            self.best_loss_ = None if use_validation else np.inf
        elif not use_validation and self.best_loss_ is None:
            self.best_loss_ = np.inf  # a warm start that turned early stopping off

        n_epochs = 1 if incremental else self.max_iter
        start_time = time.perf_counter()
        self._best_theta = self._theta.copy()
        try:
            for _ in range(n_epochs):
                loss, grad_norm = self._run_epoch(
                    X_tm, y_std, None if uniform_weights else sample_weight
                )
                self.n_iter_ += 1
                self.t_ += X_tm.shape[1]
                self.loss_ = loss
                self.loss_curve_.append(loss)
                self.grad_norm_curve_.append(grad_norm)
                self._check_divergence(
                    loss, self.loss_curve_[0], f"in epoch {self.n_iter_} (epoch 1 to now)"
                )
                val_loss = self._validate_epoch(*val) if use_validation else None
                if self.verbose:
                    val_text = "" if val_loss is None else f", validation loss = {val_loss:.6f}"
                    print(
                        f"Epoch {self.n_iter_}: loss = {loss:.6f}{val_text}, "
                        f"{time.perf_counter() - start_time:.2f} s"
                    )
                if self._update_no_improvement_count(use_validation) and not incremental:
                    break
            else:
                if not incremental:
                    warnings.warn(
                        f"RNNRegressor: maximum iterations ({self.max_iter}) reached "
                        "and the optimization has not converged yet.",
                        ConvergenceWarning,
                    )
        except KeyboardInterrupt:
            warnings.warn(
                "Training interrupted by the user; keeping the best weights so far.",
                UserWarning,
            )
            self._theta[...] = self._best_theta
        if use_validation:
            self._theta[...] = self._best_theta  # restore the best validation weights
        self._set_public_attributes()
        return self

    def _initialize(self, y, sample_weight, dtype):
        self.n_outputs_ = y.shape[1]
        self.y_mean_ = np.average(y, axis=0, weights=sample_weight)
        scale = np.sqrt(np.average((y - self.y_mean_) ** 2, axis=0, weights=sample_weight))
        self.y_scale_ = np.where(scale > 0, scale, 1.0).astype(dtype)
        self._rng = check_random_state(self.random_state)
        size = _recurrence.Params.size(
            self.n_features_per_step_, self.hidden_size, self.n_layers, self.n_outputs_
        )
        self._theta = np.zeros(size, dtype=dtype)
        self._params = self._make_params(self._theta)
        p = self._params
        gain = 1.0 if self.activation == "tanh" else np.sqrt(2.0)
        for W in p.W_xh + p.W_hh + [p.W_hy]:
            # Glorot uniform (He-scaled for relu); biases start at zero
            bound = gain * np.sqrt(6.0 / (W.shape[0] + W.shape[1]))
            W[...] = self._rng.uniform(-bound, bound, size=W.shape)
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_, self.grad_norm_curve_ = [], []
        self._no_improvement_count = 0
        self._optimizer = None

    def _make_params(self, flat):
        return _recurrence.Params(
            flat, self.n_features_per_step_, self.hidden_size, self.n_layers, self.n_outputs_
        )

    def _make_or_update_optimizer(self, first_pass):
        """Create the optimizer, or keep its state and take the current settings."""
        wanted = AdamOptimizer if self.solver == "adam" else SGDOptimizer
        if first_pass or not isinstance(self._optimizer, wanted):
            if self.solver == "adam":
                self._optimizer = AdamOptimizer(
                    self._theta, self.learning_rate_init, self.beta_1, self.beta_2,
                    self.epsilon,
                )
            else:
                self._optimizer = SGDOptimizer(
                    self._theta, self.learning_rate_init, self.momentum,
                    self.nesterovs_momentum,
                )
        opt = self._optimizer
        opt.learning_rate = self.learning_rate_init
        if self.solver == "adam":
            opt.beta_1, opt.beta_2, opt.epsilon = self.beta_1, self.beta_2, self.epsilon
        else:
            opt.momentum, opt.nesterov = self.momentum, self.nesterovs_momentum

    def _run_epoch(self, X_tm, y_std, sample_weight):
        """One pass over the data in mini-batches; returns (mean loss, mean grad norm).

        ``sample_weight`` None means every sample weighs 1 (a shortcut).
        """
        n_samples = X_tm.shape[1]
        batch_size = (
            min(64, n_samples) if self.batch_size == "auto"
            else min(self.batch_size, n_samples)
        )
        order = self._rng.permutation(n_samples) if self.shuffle else None
        theta, params = self._theta, self._params
        mask = params.weight_mask() if self.alpha else None
        alpha, n_outputs = self.alpha, y_std.shape[1]
        workspaces = {}  # batch size -> buffers reused by every batch of that size
        total_loss, total_weight, norms, first_loss = 0.0, 0.0, [], None
        for start in range(0, n_samples, batch_size):
            stop = min(start + batch_size, n_samples)
            ws = workspaces.get(stop - start)
            if ws is None:
                ws = workspaces[stop - start] = _recurrence.Workspace(
                    params.sizes, X_tm.shape[0], stop - start, theta.dtype
                )
            batch = slice(start, stop) if order is None else order[start:stop]
            if sample_weight is None:  # every sample weighs 1
                w_sum = float(stop - start)
            else:
                w = sample_weight[batch]
                w_sum = float(w.sum())
                if w_sum == 0.0:
                    continue  # a batch of zero-weight samples carries no gradient
            if order is None:
                ws.X[...] = X_tm[:, batch]
                ws.y[...] = y_std[batch]
            else:
                X_tm.take(batch, axis=1, out=ws.X, mode="clip")  # indices are valid
                y_std.take(batch, axis=0, out=ws.y, mode="clip")
            y_hat, states = _recurrence.forward(params, ws.X, self.activation, workspace=ws)
            err = np.subtract(y_hat, ws.y, out=ws.err)
            scale = 1.0 / (w_sum * n_outputs)
            # d loss / d y_hat
            d_y_hat = np.multiply(
                err, scale if sample_weight is None else (w * scale)[:, None], out=ws.d_y_hat
            )
            loss = 0.5 * float(np.vdot(err, d_y_hat))  # weighted mean squared error / 2
            grads = _recurrence.backward(
                params, ws.X, states, d_y_hat, self.activation, self.bptt_steps, workspace=ws
            )
            if alpha:
                weights = theta * mask  # the L2-penalised entries of theta
                loss += 0.5 * alpha * float(np.dot(weights, theta)) / w_sum
                weights *= alpha / w_sum
                grads += weights  # d L2 / d W
            norm = clip_grad_norm(grads, self.clip_grad_norm)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                self._raise_diverged(
                    f"the {'loss' if not math.isfinite(loss) else 'gradient norm'} "
                    f"became non-finite in epoch {self.n_iter_ + 1}"
                )
            if self.n_iter_ == 0:  # a blow-up inside the very first epoch
                first_loss = loss if first_loss is None else first_loss
                self._check_divergence(loss, first_loss, "in epoch 1 (first batch to now)")
            self._optimizer.update_params(theta, grads)
            total_loss += loss * w_sum
            total_weight += w_sum
            norms.append(norm)
        return total_loss / total_weight, float(np.mean(norms))

    def _check_divergence(self, loss, start, where):
        if loss > _DIVERGENCE_RATIO * max(start, 0.5):
            self._raise_diverged(
                f"the training loss grew from {start:.4g} to {loss:.4g} {where}, "
                f"more than {_DIVERGENCE_RATIO:g} times (on the standardised target, "
                "where predicting the mean scores 0.5)"
            )

    def _raise_diverged(self, what):
        self._theta[...] = self._best_theta
        self._set_public_attributes()
        raise ValueError(
            f"RNNRegressor diverged: {what}. Use a smaller learning_rate_init "
            f"(now {self.learning_rate_init}) or clip the gradient with "
            f"clip_grad_norm (now {self.clip_grad_norm}), and scale the inputs "
            "(e.g. with StandardScaler)."
        )

    def _validate_epoch(self, X_tm, y, y_std, sample_weight):
        """Loss and R² on the validation tail; returns the loss."""
        y_hat = _recurrence.predict(self._params, X_tm, self.activation)
        err = y_hat - y_std
        val_loss = 0.5 * float(np.average(np.mean(err * err, axis=1), weights=sample_weight))
        score = r2_score(y, y_hat * self.y_scale_ + self.y_mean_, sample_weight=sample_weight)
        self.validation_loss_curve_.append(val_loss)
        self.validation_scores_.append(float(score))
        return val_loss

    def _update_no_improvement_count(self, use_validation):
        """Track the best epoch; True when training should stop."""
        if use_validation:
            score = self.validation_scores_[-1]
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_theta[...] = self._theta
        else:
            if self.loss_ > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_ < self.best_loss_:
                self.best_loss_ = self.loss_
                self._best_theta[...] = self._theta
        return self._no_improvement_count > self.n_iter_no_change

    def _set_public_attributes(self):
        p = self._params
        self.input_weights_ = list(p.W_xh)  # views: the optimizer updates them
        self.recurrent_weights_ = list(p.W_hh)
        self.hidden_biases_ = list(p.b_h)
        self.output_weights_ = p.W_hy * self.y_scale_
        self.output_bias_ = p.b_y * self.y_scale_ + self.y_mean_

    def __getstate__(self):
        from . import __version__

        # record the version, as scikit-learn does for its own estimators
        return dict(super().__getstate__(), _skrnn_version=__version__)

    def __setstate__(self, state):
        from . import __version__
        from .exceptions import InconsistentVersionWarning

        state = dict(state)
        pickled_version = state.pop("_skrnn_version", "unknown")
        if pickled_version != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=pickled_version,
                )
            )
        super().__setstate__(state)
        if "_theta" in self.__dict__:
            # pickling copies views; make the public weights views of _theta again
            self._params = self._make_params(self._theta)
            self._set_public_attributes()

"""RNNRegressor: the regression head on the shared recurrent estimator."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval, StrOptions

from . import _losses, _validation
from ._base import BaseRNN


class RNNRegressor(RegressorMixin, BaseRNN):
    """Recurrent network regressor (Elman, GRU or LSTM) trained by BPTT.

    Each layer ``l`` runs a recurrent cell over the sequence, with ``x_t`` the
    input at step ``t`` for the first layer and the state of layer ``l - 1``
    at step ``t`` above, and a zero initial state. The Elman cell computes
    ``h_t = act(x_t @ W_xh + h_{t-1} @ W_hh + b_h)``; the GRU and LSTM cells
    follow ``torch.nn.GRU`` and ``torch.nn.LSTM`` (see the user guide). The
    prediction is a linear read-out of the last layer's last state:
    ``y_hat = h_T @ W_hy + b_y``, plus, with ``skip_connection``, a linear map
    of the whole window: ``vec(X) @ W_xy``.

    Parameters
    ----------
    cell : {"elman", "gru", "lstm"}, default="lstm"
        The recurrent cell. The gated cells (GRU, LSTM) carry information over
        many steps more easily; the Elman cell is the cheapest per step. The
        default, with ``skip_connection=True`` and ``alpha=1e-2``, was chosen
        across four real series (weather in two cities, sunspots, US GDP) by
        rolling-origin evaluation on the rows before their test folds
        (``benchmarks/select_forecast_defaults.py``; see the user guide's
        forecasting page).
    hidden_size : int, default=8
        Number of units in each recurrent layer.
    n_layers : int, default=1
        Number of stacked recurrent layers.
    activation : {"tanh", "relu"}, default="tanh"
        Activation of the Elman cell. The gated cells have their own (sigmoid
        gates, tanh candidate); for them anything but "tanh" is an error.
    solver : {"adam", "sgd"}, default="adam"
        Optimizer: Adam, or SGD with momentum.
    learning_rate_init : float or "auto", default="auto"
        Step size of the optimizer. "auto" means 3e-3 for the Elman cell and
        1e-2 for the gated cells, which learn more slowly at the same step:
        on the weather task's validation split (seeds 0-4) the gated cells'
        median MSE is the same at both steps (GRU 19.50 at 3e-3, 19.53 at
        1e-2; LSTM 19.51, 19.50), but within scikit-learn's 200-epoch budget
        on its 200-sample regression check they reach a training R² of
        0.33-0.71 at 3e-3 and 0.63-0.87 at 1e-2.
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
        validation R² (with ``loss="absolute_error"`` or ``"quantile"``: the
        validation loss) stops improving, and restore the best weights.
        The weights before the first epoch are a candidate too: with the
        linear path (``skip_connection``), a fit whose network never improves
        on the ridge fit it starts from ends as that ridge fit
        (``best_epoch_ = 0``). "auto" enables it when ``fit`` gets at least 50
        samples (a validation tail of 5 at the default ``validation_fraction``;
        chosen among 100, 50, 30, 20 and 10 on development folds by
        ``benchmarks/select_small_data_stopping.py``); below that, the network
        trains past its ridge start until the training loss stops improving.
        ``partial_fit`` never holds data out.
    validation_fraction : float, default=0.1
        Fraction of the samples held out when early stopping is on.
    alpha : float, default=1e-2
        L2 penalty on the network's weight matrices (not the biases, not the
        linear path, which has its own ridge penalty ``skip_alpha_``):
        ``0.5 * alpha * sum(W ** 2) / sum(sample_weight in the batch)``.
        Chosen with the cell (``benchmarks/select_forecast_defaults.py``),
        among values that let the gated cells learn the adding problem.
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
        Truncated BPTT: gradients flow back at most this many steps of the
        recurrence from the end of each sequence (patches, with
        ``patch_length > 1``). None backpropagates through the whole sequence.
    patch_length : int or "auto", default=1
        Input steps read by each step of the recurrence: a sequence of ``T``
        steps of ``F`` features runs as ``ceil(T / patch_length)`` steps of
        ``patch_length * F`` values, so long sequences cost fewer steps (and
        the first layer's input weights act as a strided linear filter over
        each patch). Patches end at each sequence's last valid step; the first
        is filled with the training mean at its start when ``T`` is not a
        multiple. The linear path (``skip_connection``) still reads the raw
        window. "auto" is :class:`RNNClassifier`'s default rule (1 up to 32
        steps, else ``ceil(T / 10)``), chosen on classification problems: the
        regressor's default stays 1, which forecasting windows were measured
        with. See the user guide, "Long sequences: patches of steps".
    readout : {"last", "mean", "max"}, default="last"
        What the output layer reads of the top layer's states: the state after
        each sequence's last (valid) step, or their mean or per-unit maximum
        over the sequence's valid steps (global pooling, as convolutional
        classifiers of long series use).
    n_features_per_step : int or None, default=None
        How 2-D input is read: each row is a time-major flattened sequence of
        ``n_columns / n_features_per_step`` steps. None reads the layout from
        the column names of a DataFrame named as ``SequenceWindower(flatten=True)``
        names them (``tmax_lag6, tmin_lag6, ..., tmin_lag0``: 2 features per
        step), and otherwise means one feature per step: a plain array of
        flattened windows of several features needs ``n_features_per_step``
        set (or 3-D input, ``SequenceWindower(flatten=False)``, the default).
        Ignored for 3-D input, except that it must then match ``X.shape[2]``
        if given.
    flat_order : {"time_major", "feature_major"}, default="time_major"
        The order of the columns of 2-D input: "time_major", all features of a
        step, then the next step (``SequenceWindower(flatten=True)``, darts'
        lags of a multivariate target); "feature_major", one block of steps
        per feature, oldest first (``[y lags][a lags][b lags]``: sktime's
        exogenous ``X`` and darts' past covariates after reduction to a
        table). With "feature_major", give ``n_features_per_step``.
    warm_start : bool, default=False
        Reuse the weights and optimizer state of the previous ``fit``.
    verbose : bool, default=False
        Print one line per epoch: epoch, training loss, validation loss,
        elapsed seconds.
    skip_connection : bool, default=True
        Add a linear map from the whole input window (every step, every
        feature) to the output: ``y_hat = h_T @ W_hy + b_y + vec(X) @ W_xy``,
        the autoregressive component of LSTNet (Lai et al., 2018). ``W_xy``
        and ``b_y`` are the weighted ridge regression of the (standardised)
        target on the window (standardised with ``x_mean_`` and ``x_scale_``)
        over the training part, its penalty
        ``skip_alpha_`` chosen per output by generalised cross-validation;
        ``W_hy`` starts at zero, so before the first epoch the model predicts
        exactly that ridge fit. ``W_xy`` then stays fixed and the network
        learns what the linear model leaves over (``b_y`` trains with the
        read-out); with early stopping, a network that never lowers the
        validation error leaves the ridge fit. The output can leave the range
        of the training targets (a trend). 3-D input of another length at
        ``predict``: the path reads the last ``n_steps_`` steps of each
        sequence (the training mean ``x_mean_`` before a shorter one's start).
    loss : {"squared_error", "absolute_error", "quantile"}, default="squared_error"
        The training loss, in scikit-learn's words (as
        ``HistGradientBoostingRegressor``'s): "absolute_error" predicts the
        median of ``y`` given the window, "quantile" the ``quantile`` level.
        Training runs on the standardised target (the losses are equivariant
        to its scale); early stopping then keeps the epoch of the lowest
        validation loss. The linear path still starts at the ridge (mean) fit
        and stays there; the network and ``b_y`` learn the rest. ``score`` is
        R² whatever the loss.
    quantile : float or None, default=None
        The level, in (0, 1), that ``loss="quantile"`` predicts (required
        then; ignored otherwise).

    Attributes
    ----------
    input_weights_ : list of ndarray, layer ``l`` of shape (n_in_l, G * hidden_size)
        ``W_xh`` of each layer, the gate blocks side by side in PyTorch's
        order (G = 1 for Elman; 3, ``[r | z | n]``, for GRU; 4,
        ``[i | f | g | o]``, for LSTM); ``n_in_0 = patch_length *
        n_features_per_step_`` (the values of a patch of steps; ``n_features_per_step_``
        without patches) and ``n_in_l = hidden_size`` above. The first layer
        reads the standardised inputs ``(X - x_mean_) / x_scale_``.
    x_mean_, x_scale_ : ndarray of shape (n_features_per_step_,)
        Weighted mean and standard deviation of each feature of a step over
        the valid steps of the first fit, the deviation rounded to a power of
        two (1 for a feature that does not vary) and the mean to 1/4096 of it:
        the network, the linear path included, reads ``(X - x_mean_) /
        x_scale_``; ``partial_fit`` and ``warm_start`` keep them.
        :mod:`skrnn.export` folds them into the exported weights.
    patch_length_ : int
        Input steps per step of the recurrence: ``patch_length``, or the
        training sequences' number of steps if it is shorter; for "auto", the
        rule's value for the first fit's ``n_steps_``.
    recurrent_weights_ : list of ndarray of shape (hidden_size, G * hidden_size)
        ``W_hh`` of each layer, gate blocks as in ``input_weights_``.
    hidden_biases_ : list of ndarray of shape (G * hidden_size,)
        ``b_h`` of each layer: PyTorch's ``bias_ih + bias_hh`` (only their sum
        matters), except for GRU's candidate block, which is ``bias_ih``'s alone.
    recurrent_biases_ : list of ndarray of shape (hidden_size,) or None
        GRU only: ``b_hn`` of each layer, the recurrent bias inside the reset
        gate's product (``n = tanh(x W_xn + b_n + r * (h W_hn + b_hn))``),
        which cannot be folded into ``hidden_biases_``. None for the other cells.
    output_weights_ : ndarray of shape (hidden_size, n_outputs)
        ``W_hy``, in the units of ``y``.
    output_bias_ : ndarray of shape (n_outputs,)
        ``b_y``, in the units of ``y``.
    skip_weights_ : ndarray of shape (`n_steps_` * `n_features_per_step_`, n_outputs)
        ``W_xy``, the linear path, from the standardised inputs (``x_mean_``,
        ``x_scale_``) to the units of ``y``; row
        ``t * n_features_per_step_ + j`` weighs feature ``j`` at step ``t``,
        the column order of the time-major flattened 2-D input. None without
        the linear path.
    skip_alpha_ : ndarray of shape (n_outputs,) or None
        The ridge penalty of the linear path, per output, chosen by
        generalised cross-validation over ``1e-8`` to ``10`` times the median
        weighted sum of squares of the (centred) window's columns, on
        ``sum_i w_i (y_i - x_i W_xy - b) ** 2 + skip_alpha_ * |W_xy| ** 2``
        (the target standardised). None without the linear path, or for a
        model loaded from a file of format version 2 or older (its path was
        penalised by ``alpha``).
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
        Validation R² of the weights kept (the weights before the first epoch
        included): the best R², or, with ``loss="absolute_error"`` or
        ``"quantile"``, the R² at the lowest validation loss; None without
        early stopping.
    best_epoch_ : int or None
        With early stopping, the epoch whose weights the model holds (0: the
        weights it started from, e.g. the ridge fit of the linear path);
        ``n_iter_`` counts every epoch run. None without early stopping.
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

    See Also
    --------
    skrnn.export.torch_state_dict : The fitted weights as a PyTorch state dict.
    skrnn.export.to_torch : The fitted model as a ``torch.nn.Module``.

    Notes
    -----
    ``predict`` is exactly the forward pass above computed from the public
    attributes, so a fitted model exports to ``torch.nn.RNN``, ``GRU`` or
    ``LSTM`` plus ``torch.nn.Linear`` without approximation:
    :func:`skrnn.export.torch_state_dict` gives the weights and
    :func:`skrnn.export.to_torch` the module.

    Initialisation: every gate block of ``W_xh`` and ``W_hh`` and the read-out
    are drawn Glorot-uniform (``sqrt(2)`` larger for relu, after He), biases
    are zero except the LSTM's forget gate, which starts at 1 so that the cell
    state is kept by default (Gers et al., 2000; Jozefowicz et al., 2015).
    For the gated cells this was compared with PyTorch's initialisation,
    orthogonal recurrent blocks and other gate biases on the weather task's
    validation split: none differed by more than the spread over seeds
    (``benchmarks/select_gated_defaults.py``).

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
    >>> gru = RNNRegressor(cell="gru", random_state=0).fit(X, y)
    >>> gru.recurrent_weights_[0].shape        # [r | z | n] blocks of 8 units
    (8, 24)
    """

    _parameter_constraints = {
        **BaseRNN._parameter_constraints,
        "skip_connection": ["boolean"],
        "loss": [StrOptions({"squared_error", "absolute_error", "quantile"})],
        "quantile": [Interval(Real, 0, 1, closed="neither"), None],
    }

    @property
    def _loss(self):
        """The training loss of ``loss`` (on the standardised target)."""
        if self.loss == "squared_error":
            return _losses.squared_error
        q = 0.5 if self.loss == "absolute_error" else self.quantile
        scale = 2.0 if self.loss == "absolute_error" else 1.0

        def pinball(y_hat, y, sample_weight, w_sum, err=None, d_y_hat=None):
            return _losses.pinball(y_hat, y, sample_weight, w_sum, q, err, d_y_hat, scale)

        return pinball

    @property
    def _baseline_loss(self):
        """At most the loss of predicting 0 (the mean) on the standardised target."""
        if self.loss == "squared_error":
            return 0.5
        return 1.0 if self.loss == "absolute_error" else max(self.quantile, 1 - self.quantile)

    @property
    def _baseline_text(self):
        return (f"on the standardised target, where predicting the mean scores at most "
                f"{self._baseline_loss:g}")

    @property
    def _monitor_validation_loss(self):
        """Early stopping keeps the epoch of the lowest validation loss, for the losses
        whose minimiser is not the mean (R² would favour the mean)."""
        return self.loss != "squared_error"
    # from 50 samples on (a validation tail of 5 at validation_fraction=0.1) the ridge
    # floor guards small data; chosen among 100, 50, 30, 20, 10 by
    # benchmarks/select_small_data_stopping.py (results/small_data_stopping.json)
    _auto_early_stopping_min_samples = 50
    _has_linear_path_option = True

    def __init__(
        self,
        cell="lstm", hidden_size=8, n_layers=1, activation="tanh", solver="adam",
        learning_rate_init="auto", batch_size="auto", max_iter=200, shuffle=True,
        random_state=None, tol=1e-4, n_iter_no_change=10, early_stopping="auto",
        validation_fraction=0.1, alpha=1e-2, momentum=0.9, nesterovs_momentum=True,
        beta_1=0.9, beta_2=0.999, epsilon=1e-8, clip_grad_norm=5.0, bptt_steps=None,
        patch_length=1, readout="last", n_features_per_step=None, flat_order="time_major",
        warm_start=False, verbose=False, skip_connection=True, loss="squared_error",
        quantile=None,
    ):
        self.cell = cell
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
        self.patch_length = patch_length
        self.readout = readout
        self.n_features_per_step = n_features_per_step
        self.flat_order = flat_order
        self.warm_start = warm_start
        self.verbose = verbose
        self.skip_connection = skip_connection
        self.loss = loss
        self.quantile = quantile

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

        The optimizer state, the target standardisation and the linear path
        (the ridge fit of the first call's data, then fixed) and the random
        generator are kept between calls, so N calls on the same data equal
        ``fit(max_iter=N)`` (with ``early_stopping=False`` and no ``tol`` stop
        before N). ``early_stopping`` is ignored. On a stream, the first call's
        data must represent the rest: a linear path fitted on a few samples
        stays what they gave (``skip_connection=False`` leaves the network alone).

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
        y_pred = self._raw_output(X)  # the read-out is in the units of y
        return y_pred.ravel() if self._y_ndim == 1 else y_pred

    # ------------------------------------------------------------ the head's hooks

    def _skip_connection(self):
        return self.skip_connection

    def _prepare_targets(self, y, sample_weight, first_pass, dtype, classes=None):
        """Standardise y with the mean and scale of the first fit."""
        if self.loss == "quantile" and self.quantile is None:
            raise ValueError(
                "RNNRegressor(loss='quantile') needs the level: set quantile, e.g. "
                "quantile=0.9 for the 90 % quantile of y."
            )
        _validation.check_target(y, dtype)
        y = np.asarray(y, dtype=dtype)
        if first_pass:
            self._y_ndim = y.ndim
        y = y.reshape(y.shape[0], -1)
        if first_pass:
            self.n_outputs_ = y.shape[1]
            self.y_mean_ = np.average(y, axis=0, weights=sample_weight)
            scale = np.sqrt(np.average((y - self.y_mean_) ** 2, axis=0, weights=sample_weight))
            self.y_scale_ = np.where(scale > 0, scale, 1.0).astype(dtype)
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs but the model was fitted with "
                f"{self.n_outputs_}."
            )
        return (y - self.y_mean_) / self.y_scale_

    def _validation_score(self, y_hat, y, sample_weight):
        """R² in the units of y."""
        y = np.asarray(y).reshape(y_hat.shape)
        return r2_score(y, y_hat * self.y_scale_ + self.y_mean_, sample_weight=sample_weight)

    def _output_layer(self, W_hy, b_y):
        """The read-out in the units of y."""
        return W_hy * self.y_scale_, b_y * self.y_scale_ + self.y_mean_

    # ------------------------------------------------------- its saved state

    _STATE_KEYS = {"y_ndim"}  # the head's keys in a saved model's "fitted"

    def _head_state(self):
        """The head's fitted state for :func:`skrnn.save_model`: (JSON values, arrays)."""
        return {"y_ndim": int(self._y_ndim)}, {
            "y_mean": np.asarray(self.y_mean_), "y_scale": np.asarray(self.y_scale_)
        }

    def _load_head_state(self, fitted, n_outputs):
        """Check and restore the JSON part; returns the arrays the file must hold."""
        from .persistence._format import expect

        y_ndim = expect(fitted, "y_ndim", int, "fitted")
        if y_ndim not in (1, 2) or (y_ndim == 1 and n_outputs != 1):
            raise ValueError("invalid skrnn model file: y_ndim must be 1 (one output) or 2")
        self._y_ndim = y_ndim
        floats = (np.dtype(np.float32), np.dtype(np.float64))
        return {"y_mean": ((n_outputs,), floats), "y_scale": ((n_outputs,), floats)}

    def _load_head_arrays(self, arrays):
        self.y_mean_, self.y_scale_ = arrays["y_mean"], arrays["y_scale"]

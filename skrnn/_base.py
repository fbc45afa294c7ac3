"""The estimator base shared by the heads: validation, the training loop, early
stopping, divergence, interruption, pickling.

A head (:class:`~skrnn.RNNRegressor`) says how targets become training
targets, which loss trains the raw output, how the validation part is scored
and how the read-out is published; everything else is here.
"""

import copy
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.callback import CallbackSupportMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from . import (_linear_path, _network, _optimizers, _patches, _pickling, _scaling, _state,
               _training, _validation)
from ._cells import CELLS, get_cell
from ._warnings import warn

class BaseRNN(CallbackSupportMixin, BaseEstimator):
    """Base of the recurrent estimators. Not for direct use.

    What a head (:class:`~skrnn.RNNRegressor`, :class:`~skrnn.RNNClassifier`)
    supplies, each defined below with its default. Required:

    - ``_loss``: a loss of :mod:`skrnn._losses`;
    - ``_baseline_loss``, ``_baseline_text``: the loss of a constant prediction,
      and its description (the divergence rule);
    - ``_prepare_targets(y, sample_weight, first_pass, dtype, classes)``: the
      training targets, 2-D; sets ``n_outputs_`` on a first pass;
    - ``_validation_score(y_hat, y, sample_weight)``: the score of raw outputs
      (higher is better);
    - ``_output_layer(W_hy, b_y)``: the public read-out from the trained one.

    Optional:

    - ``_y_validation_kwargs()``: ``validate_data``'s arguments for y;
    - ``_validation_split(n_samples, n_val, y, rng)``: early stopping's split
      (default: the chronological tail);
    - ``_check_validation_part(y_val)``: warn when it is too small;
    - ``_monitor_validation_loss``: keep the epoch of the lowest validation
      loss instead of the highest score;
    - ``_auto_early_stopping_min_samples``: where ``early_stopping="auto"``
      starts holding data out;
    - ``_has_linear_path_option`` and ``_skip_connection()``: the linear path
      (``skip_connection``) and whether it is on.

    Callbacks (scikit-learn's ``sklearn.callback``, set with ``set_callbacks``):
    ``fit`` and ``partial_fit`` are the root task, each epoch a sub-task named
    "epoch"; every hook gets the training ``X`` and ``y`` as the user gave them,
    ``sample_weight`` as metadata and, at an epoch's end, a fitted copy with
    that epoch's weights. A callback returning True at an epoch's end stops
    training there, as the ``tol`` rule would.
    """

    _parameter_constraints = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"tanh", "relu"})],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate_init": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
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
        "patch_length": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "readout": [StrOptions({"last", "mean", "max"})],
        "flat_order": [StrOptions({"time_major", "feature_major"})],
        "n_features_per_step": [Interval(Integral, 1, None, closed="left"), None],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------ the head's hooks

    _loss = None  # a function of skrnn._losses
    _baseline_loss = None  # the loss of a constant prediction, for the divergence rule
    _baseline_text = ""  # what that baseline is, for the divergence message
    # early stopping keeps the epoch of the lowest validation loss (True) or of
    # the highest validation score (False)
    _monitor_validation_loss = False
    # early_stopping="auto" holds out a validation part from this many samples on
    _auto_early_stopping_min_samples = 1000
    # whether the head has the linear path option (skip_connection; its fitted
    # attributes skip_weights_ and skip_alpha_ are None when it is off)
    _has_linear_path_option = False

    def _prepare_targets(self, y, sample_weight, first_pass, dtype, classes=None):
        """The training targets, 2-D in ``dtype``; sets ``n_outputs_`` on a first pass."""
        raise NotImplementedError

    def _check_validation_part(self, y_val):
        """Warn when the held-out part is too small to guide early stopping."""

    def _validation_split(self, n_samples, n_val, y, rng):
        """``(train, validation)`` indices of early stopping: the chronological tail."""
        cut = n_samples - n_val
        return slice(0, cut), slice(cut, None)

    def _validation_score(self, y_hat, y, sample_weight):
        """Score (higher is better) of raw outputs against the given targets."""
        raise NotImplementedError

    def _output_layer(self, W_hy, b_y):
        """``(output_weights_, output_bias_)`` from the trained read-out."""
        raise NotImplementedError

    def _skip_connection(self):
        """Whether the network has the linear path from the window (a regressor option)."""
        return False

    def _y_validation_kwargs(self):
        return dict(multi_output=True, y_numeric=True)

    # the head's part of a saved model (skrnn.persistence): its keys in "fitted",
    # _head_state() -> (JSON values, arrays), _load_head_state(fitted, n_outputs)
    # -> the arrays it expects, then _load_head_arrays(arrays)
    _STATE_KEYS = set()

    def _load_head_arrays(self, arrays):
        """Restore the head's arrays of a saved model (none by default)."""

    # ------------------------------------------------------------------ shared API

    def __sklearn_is_fitted__(self):
        # a fit that failed before training (bad targets, an impossible split)
        # leaves attributes such as n_features_in_ but no network
        return "_theta" in vars(self) and "input_weights_" in vars(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # allow_nan stays False: NaN is accepted only as padding (a step whose
        # features are all NaN, after the valid steps), and scikit-learn's checks read
        # allow_nan=True as "any NaN anywhere" (check_estimators_pickle puts one in
        # X[0, 0]); a NaN anywhere else is a ValueError that names the sample and step,
        # which check_estimators_nan_inf verifies
        tags.target_tags.multi_output = True
        return tags

    def _public_params(self):
        """The network of the public attributes (what ``predict`` and the export read)."""
        return _network.Params.from_arrays(
            self._layout,
            [
                dict(W_xh=W_xh, b_h=b_h, W_hh=W_hh, b_hn=b_hn)
                for W_xh, b_h, W_hh, b_hn in zip(
                    self.input_weights_, self.hidden_biases_, self.recurrent_weights_,
                    self.recurrent_biases_ or [None] * len(self.input_weights_),
                )
            ],
            self.output_weights_, self.output_bias_, self.__dict__.get("skip_weights_"),
        )

    def _raw_output(self, X):
        """The network's output for ``X``: the forward pass of the public attributes."""
        check_is_fitted(self)
        X3, lengths = _validation.validate_predict_X(self, X)
        X3 = _scaling.standardise(X3, lengths, self.x_mean_, self.x_scale_,
                                  self.output_weights_.dtype)
        X3, lengths = _patches.to_patches(X3, lengths, self._layout.patch_length)
        y_hat = _network.predict(self._public_params(), X3, _training.PREDICT_CHUNK, lengths)
        if not np.isfinite(y_hat).all():
            n_bad = int(np.count_nonzero(~np.isfinite(y_hat).all(axis=1)))
            raise ValueError(
                f"{type(self).__name__}.predict: the network's output overflowed to inf "
                f"or NaN for {n_bad} of {y_hat.shape[0]} samples: their inputs lie too "
                "far outside the training data (standardised with x_mean_ and x_scale_ "
                "of the fit) for the network's weights. Check that they are in the units "
                "of the training data, and any weights set by hand."
            )
        return y_hat

    # ---------------------------------------------------------------- validation

    def _check_cell_parameters(self):
        allowed = get_cell(self.cell).ACTIVATIONS
        if self.activation not in allowed:
            raise ValueError(
                f"{type(self).__name__}: activation={self.activation!r} applies to "
                f"cell='elman' only; cell={self.cell!r} has its own gate activations: "
                f"leave activation at {allowed[0]!r}."
            )

    # ------------------------------------------------------------------ training

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        """Fit (or continue); a refit that fails before its new network exists (bad
        input, an impossible validation split) leaves the fitted model as it was."""
        refit = self.__sklearn_is_fitted__() and not self.warm_start and not incremental
        before = dict(vars(self)) if refit else None
        try:
            return self._fit_network(X, y, sample_weight, incremental, classes)
        except Exception:
            if before is not None and self.__dict__.get("_theta") is before["_theta"]:
                vars(self).clear()
                vars(self).update(before)
            raise

    def _fit_network(self, X, y, sample_weight, incremental, classes):
        hooks = dict(X=X, y=y, metadata=None if sample_weight is None
                     else {"sample_weight": sample_weight})  # the callbacks' arguments
        self._check_cell_parameters()
        first_pass = not hasattr(self, "_theta") or (not self.warm_start and not incremental)
        if not first_pass:
            self._check_same_network()
        X, y, lengths = _validation.validate_fit_inputs(self, X, y, reset=first_pass)
        if first_pass:
            _patches.warn_if_longer_than_the_sequences(self)
        dtype = X.dtype if first_pass else self._theta.dtype
        uniform_weights = sample_weight is None
        sample_weight = _validation.validate_sample_weight(sample_weight, X.shape[0], dtype)
        if first_pass:  # the network reads standardised inputs (skrnn._scaling)
            self.x_mean_, self.x_scale_ = _scaling.statistics(X, lengths, sample_weight, dtype)
        X = _scaling.standardise(X, lengths, self.x_mean_, self.x_scale_, dtype)
        # the network's steps: patches of patch_length input steps (skrnn._patches)
        X, lengths = _patches.to_patches(X, lengths, _patches.fitted_patch_length(self)
                                         if first_pass else self._layout.patch_length)
        target = self._prepare_targets(y, sample_weight, first_pass, dtype, classes)
        rng = check_random_state(self.random_state) if first_pass else self._rng
        # the validation part first: a fit that cannot start changes no weights
        holdout = None
        if not incremental and self._uses_early_stopping(X.shape[0]):
            (X, target, sample_weight, lengths), holdout = _training.hold_out(
                self, X, target, y, sample_weight, lengths, rng)
        if lengths is not None and np.all(lengths == X.shape[1]):
            lengths = None  # padding only in the validation part
        if first_pass:  # a refit that fails before here is undone by _fit
            self._initialize(dtype, rng)
            if self._params.W_xy is not None:
                self._start_linear_path(X, target, sample_weight, lengths)
        self._optimizer = _optimizers.for_estimator(self, None if first_pass else self._optimizer)
        self._reset_curves(first_pass, holdout is not None)
        # the network's time-major copy, with the feature of ones that carries b_h
        data = _training.TrainingData(
            _network.time_major(X, self._layout), target,
            None if uniform_weights else sample_weight, lengths,
        )
        return self._train(data, holdout, incremental, hooks, self._penalty(X.shape[0]))

    def _reset_curves(self, first_pass, use_validation):
        """Start the validation curves and the best scores (a first fit, or a warm
        start that turned early stopping on or off)."""
        if first_pass or (use_validation and self.validation_scores_ is None):
            self.validation_loss_curve_ = [] if use_validation else None
            self.validation_scores_ = [] if use_validation else None
            self.best_validation_score_ = None
            self.best_loss_ = None if use_validation else np.inf
        elif not use_validation and self.best_loss_ is None:
            self.best_loss_ = np.inf  # a warm start that turned early stopping off

    def _train(self, data, holdout, incremental, hooks, penalty):
        """Run the epochs as the callbacks' root task; keep the best weights."""
        n_epochs = 1 if incremental else self.max_iter
        context = self._init_callback_context(
            task_name="partial_fit" if incremental else "fit", max_subtasks=n_epochs
        )
        context.call_on_fit_task_begin(estimator=self, **hooks)
        reason = "interrupted"
        try:
            reason = _training.train(self, data, holdout, n_epochs, incremental, context,
                                     hooks, penalty)
        except KeyboardInterrupt:
            warn(
                "Training interrupted by the user; keeping the best weights so far.",
                UserWarning,
            )
            self._theta[...] = self._best_theta
        if holdout is not None:
            self._theta[...] = self._best_theta  # restore the best validation weights
        self.best_epoch_ = None if holdout is None else self._best_epoch
        self._set_public_attributes()
        if self.verbose:
            print(_training.stop_message(self, reason, holdout is not None))
        context.call_on_fit_task_end(estimator=self, **hooks,
                                     reconstruction_attributes=self._reconstruction_attributes)
        return self

    def _uses_early_stopping(self, n_samples):
        """Whether ``fit`` holds out a validation part of ``n_samples`` samples."""
        if isinstance(self.early_stopping, str):  # "auto"
            return n_samples >= self._auto_early_stopping_min_samples
        return bool(self.early_stopping)

    def _check_same_network(self):
        """A warm start or partial_fit must not change the shape of the network."""
        fitted = self._layout
        now = (self.cell, self.hidden_size, self.n_layers, self.activation,
               self._skip_connection(), _patches.fitted_patch_length(self), self.readout)
        then = (fitted.cell_name, fitted.hidden_size, fitted.n_layers, fitted.activation,
                bool(fitted.skip_steps), fitted.patch_length, fitted.readout)
        if now != then:
            names = ("cell", "hidden_size", "n_layers", "activation", "skip_connection",
                     "patch_length", "readout")
            shown = [repr(b) for b in now]
            if isinstance(self.patch_length, str):  # "auto": what was set, and its value
                shown[5] = f"{self.patch_length!r} ({now[5]} steps)"
            changed = ", ".join(
                f"{name}={text} (fitted with {a!r})"
                for name, a, b, text in zip(names, then, now, shown) if a != b
            )
            raise ValueError(
                f"{type(self).__name__}: {changed}; warm_start and partial_fit continue "
                "the fitted network and cannot change its shape. Set warm_start=False "
                "(or use a new estimator) to fit a new network."
            )

    def _initialize(self, dtype, rng):
        self._rng = rng
        patch_length = _patches.fitted_patch_length(self)
        self._layout = _network.Layout(
            self.cell, self.n_features_per_step_ * patch_length, self.hidden_size,
            self.n_layers, self.n_outputs_, self.activation,
            self.n_steps_ if self._skip_connection() else 0, patch_length, self.readout,
        )
        self._theta = np.zeros(self._layout.size, dtype=dtype)
        self._params = self._layout.params(self._theta)
        _network.initialize(self._params, self._rng)
        if self._has_linear_path_option:
            self.skip_alpha_ = None  # set by the linear path's start
        _state.start(self)
        self._optimizer = None

    def _start_linear_path(self, X, target, sample_weight, lengths):
        """Start the model as the ridge fit of the target on the window (see
        :mod:`skrnn._linear_path`): ``W_xy`` and ``b_y`` at that fit, the
        read-out of the recurrent part ``W_hy`` at zero, so that the model
        predicts exactly the ridge fit before the first epoch and the network
        learns what it leaves over."""
        window = _linear_path.flat_window(X, lengths, self._layout)
        coef, intercept, self.skip_alpha_ = _linear_path.ridge_start(
            window, target, sample_weight
        )
        self._params.W_xy[...] = coef
        self._params.b_y[...] = intercept
        self._params.W_hy[...] = 0.0

    def _penalty(self, n_samples):
        """The L2 coefficient of each entry of the flat vector in a batch's loss
        (None if all are zero): ``alpha`` on the network's weight matrices, 0 on
        biases. The linear path ``W_xy``: nothing while it is fixed; trained (the
        joint variant), its ridge penalty ``skip_alpha_`` in batch units; a path of
        a model saved before ``skip_alpha_`` existed trains penalised by ``alpha``,
        as it was trained then."""
        penalty = self._layout.weight_mask(self._theta.dtype) * self.alpha
        W_xy = self._params.W_xy
        if W_xy is not None and self._frozen_entries() is not None:
            penalty[self._linear_path_entries()] = 0.0
        elif W_xy is not None and self.skip_alpha_ is not None:
            per_output = _linear_path.training_penalty(
                self.skip_alpha_, self.n_outputs_, n_samples,
                _training.batch_size_of(self, n_samples),
            )
            penalty[self._linear_path_entries()] = np.tile(per_output, W_xy.shape[0])
        return penalty if penalty.any() else None

    def _linear_path_entries(self):
        """The slice of the flat vector that holds ``W_xy`` (its last block)."""
        size = self._layout.size
        return slice(size - self._params.W_xy.size, size)

    # The linear path stays at its ridge start while the network trains on what it
    # leaves. Chosen over training it jointly with the network (its penalty then
    # skip_alpha_, see _penalty) on the development series of
    # benchmarks/select_forecast_defaults.py, which measures both (dev score of the
    # chosen defaults 0.896 fixed against 0.918 joint; the 5 best of its 36
    # structures keep it fixed). Jointly trained, it also follows Adam's steps on
    # the rounding noise of its gradient at the ridge optimum.
    _fixed_linear_path = True

    def _frozen_entries(self):
        """Entries of the flat vector that training leaves as they are, or None:
        the linear path started at its ridge fit (one from a model saved before
        that start, ``skip_alpha_`` None, keeps training as it did)."""
        if (self._fixed_linear_path and self._params.W_xy is not None
                and self.skip_alpha_ is not None):
            return self._linear_path_entries()
        return None

    def _public_attributes(self, p):
        """The public fitted weights of the network ``p`` (views of its flat vector)."""
        has_b_hn = "b_hn" in self._layout.extra_names()
        attributes = dict(
            input_weights_=list(p.W_xh),
            recurrent_weights_=list(p.W_hh),
            hidden_biases_=list(p.b_h),
            recurrent_biases_=[layer.b_hn for layer in p.layers] if has_b_hn else None,
            patch_length_=self._layout.patch_length,  # the patches the network reads
        )
        attributes["output_weights_"], attributes["output_bias_"] = self._output_layer(
            p.W_hy, p.b_y
        )
        if self._has_linear_path_option:  # the linear path, in the units of the read-out
            attributes["skip_weights_"] = None if p.W_xy is None else self._output_layer(
                p.W_xy, np.zeros_like(p.b_y))[0]
        return attributes

    def _set_public_attributes(self):
        # views of _theta: the optimizer updates them
        vars(self).update(self._public_attributes(self._params))

    def _reconstruction_attributes(self):
        """What makes a copy of the estimator predict with the current weights, for the
        callbacks' ``fitted_estimator``: the weights and the state that training
        changes in place, copied, so that the copy never changes afterwards."""
        theta = self._theta.copy()
        params = self._layout.params(theta)
        attributes = dict(
            _theta=theta, _params=params, **self._public_attributes(params),
            _best_theta=self._best_theta.copy(),
            _optimizer=copy.deepcopy(self._optimizer), _rng=copy.deepcopy(self._rng),
            best_epoch_=self.best_epoch_, **_state.copy_curves(self),
        )
        return attributes

    # ------------------------------------------------------------------ pickling

    def __getstate__(self):
        from ._version import __version__

        state = dict(super().__getstate__(), _skrnn_version=__version__)
        state.pop("_params", None)  # views of _theta: rebuilt on unpickling
        return _pickling.to_plain(state)  # no skrnn class but the estimator's own

    def __setstate__(self, state):
        from ._version import __version__
        from .exceptions import InconsistentVersionWarning

        state = dict(state)
        pickled_version = state.pop("_skrnn_version", "unknown")
        if pickled_version != __version__:
            warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    original_version=pickled_version,
                )
            )
        super().__setstate__(_pickling.from_plain(state, type(self)))
        if "_theta" in self.__dict__:
            # fitted before 0.3.0: no best epoch, no ridge penalty (its linear path
            # trains on as it was trained, penalised by alpha)
            self.__dict__.setdefault("best_epoch_", None)
            if self._has_linear_path_option:
                self.__dict__.setdefault("skip_alpha_", None)
            if "x_mean_" not in self.__dict__:  # pickled before the input standardisation
                self.x_mean_, self.x_scale_ = _scaling.identity(self)
            # pickling copies views; make the public weights views of _theta again
            self._params = self._layout.params(self._theta)
            self._set_public_attributes()

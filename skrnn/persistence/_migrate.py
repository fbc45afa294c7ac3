"""Files written by earlier versions of the format, upgraded to the current shape.

- Version 1 predates the ``cell`` parameter: its models are Elman networks, and
  its ``fitted`` has no ``network`` (the hyper-parameters describe it).
- Version 2 first had no linear path (no ``skip_connection`` parameter, no
  ``skip_steps`` in ``network``), then gained it.
- Version 3 added ``best_epoch_`` (older files: None) and the ``skip_alpha``
  array (older files: ``skip_alpha_ = None``; their path stays penalised by
  ``alpha``, as it was trained).
- Version 4 added ``patch_length`` and ``readout`` (parameters, and in
  ``network``); older files: 1, one input step per step of the recurrence, and
  "last", the read-out of the last state, and ``flat_order`` ("time_major").
  And the regressor's ``loss`` and
  ``quantile``: older files "squared_error" and None.
- Version 5 added the ``x_mean`` and ``x_scale`` arrays, the input
  standardisation; older files: 0 and 1, the network read the inputs as they are.
"""

from ._format import check_keys

FITTED_KEYS = {  # and the head's (the estimator's _STATE_KEYS)
    "dtype", "network", "n_features_in_", "n_steps_", "n_features_per_step_", "n_outputs_",
    "feature_names_in_", "n_iter_", "t_", "loss_", "best_loss_",
    "best_validation_score_", "no_improvement_count", "early_stopping_curves",
    "best_epoch_", "has_skip_alpha",
}
# version 3 added best_epoch_ and the skip_alpha array (has_skip_alpha says whether
# the file holds it: a model loaded from an older file has none to save)
ADDED_IN_VERSION_3 = {"best_epoch_", "has_skip_alpha"}


def upgrade_params(params, format_version, format_name):
    """The hyper-parameters as the current estimator takes them."""
    if format_version == 1 and isinstance(params, dict):
        if "cell" in params:
            raise ValueError("invalid skrnn model file: format_version 1 has no cell")
        params = dict(params, cell="elman")  # version 1 knew the Elman cell only
    if format_version < 4 and isinstance(params, dict):
        if {"patch_length", "readout", "flat_order", "loss", "quantile"} & set(params):
            raise ValueError(f"invalid skrnn model file: format_version {format_version} "
                             "has no patch_length, readout, flat_order, loss or quantile")
        # before patches and pooling: one step per step, the last state read
        params = dict(params, patch_length=1, readout="last", flat_order="time_major")
        if format_name == "skrnn.RNNRegressor":  # and before the losses: squared error
            params = dict(params, loss="squared_error", quantile=None)
    if (format_name == "skrnn.RNNRegressor" and isinstance(params, dict)
            and "skip_connection" not in params):
        # written before the parameter existed: the model had no linear path
        params = dict(params, skip_connection=False)
    return params


def upgrade_fitted(fitted, format_version, head_keys, model):
    """``fitted`` with exactly the keys of its version checked, then the current keys:
    ``best_epoch_`` and ``network`` (with ``skip_steps``) filled in where missing."""
    keys = FITTED_KEYS | head_keys
    if format_version < 3:
        keys = keys - ADDED_IN_VERSION_3
    check_keys(fitted, keys - {"network"} if format_version == 1 else keys, "fitted")
    fitted = dict(fitted)
    if format_version < 3:
        fitted["best_epoch_"], fitted["has_skip_alpha"] = None, False
    if format_version == 1:  # the hyper-parameters were the fitted network's
        fitted["network"] = {"cell": "elman", "hidden_size": model.hidden_size,
                             "n_layers": model.n_layers, "activation": model.activation}
    network = fitted["network"]
    if isinstance(network, dict) and "skip_steps" not in network:
        fitted["network"] = network = dict(network, skip_steps=0)  # no linear path then
    if format_version < 4 and isinstance(network, dict):
        if "patch_length" in network or "readout" in network:
            raise ValueError(f"invalid skrnn model file: format_version {format_version} "
                             "has no patch_length and no readout")
        fitted["network"] = dict(network, patch_length=1, readout="last")
    return fitted

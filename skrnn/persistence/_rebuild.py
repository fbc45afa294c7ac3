"""A fitted model from checked metadata and arrays: the hyper-parameters, the
network's layout, every member the metadata implies, then the fitted state as
``fit`` leaves it. The head (regressor or classifier) restores its own part
(``_load_head_state``), the optimizer its own (:func:`skrnn._optimizers.load_optimizer_state`).
"""

from numbers import Real
from types import SimpleNamespace

import numpy as np

from .. import _optimizers, _state
from ._format import check_keys, count, expect, read_arrays, validation_curve_length
from ._migrate import upgrade_fitted, upgrade_params

RNG_KEYS = {"pos", "has_gauss", "cached_gaussian"}
OPTIMIZER_KEYS = {"solver", "t"}
OPTIMIZER_KINDS = {"adam": ("m", "v"), "sgd": ("velocity",)}  # kind -> state arrays
_FLOAT64 = (np.dtype(np.float64),)


def load(archive, members, metadata, cls, format_version):
    """The model a checked archive holds (see :func:`skrnn.persistence.load_model`)."""
    params = upgrade_params(metadata["params"], format_version, metadata["format"])
    model = model_from_params(
        cls, params, expect(metadata, "random_state_is_generator", bool, "the metadata"))
    fitted = upgrade_fitted(metadata["fitted"], format_version, cls._STATE_KEYS, model)
    sizes = _sizes(fitted)
    sizes.has_x_scaling = format_version >= 5  # the input standardisation arrays
    optimizer = _optimizer_meta(metadata["optimizer"])
    layout = _layout(fitted["network"], sizes, members)
    sizes.has_skip_alpha = expect(fitted, "has_skip_alpha", bool, "fitted")
    if sizes.has_skip_alpha and not layout.skip_steps:
        raise ValueError("invalid skrnn model file: has_skip_alpha without a linear path")
    expected = _expected_members(model, layout, sizes, fitted, optimizer)
    if sizes.early_stopping_curves:
        n_val = validation_curve_length(archive, members, sizes.n_iter)
        expected["validation_loss_curve"] = ((n_val,), _FLOAT64)
        expected["validation_scores"] = ((n_val,), _FLOAT64)
    arrays = read_arrays(archive, members, expected)
    _restore_network(model, layout, sizes, arrays)
    _restore_rng(model, metadata, arrays)
    _state.restore(model, fitted, arrays, count)
    _restore_optimizer(model, optimizer, arrays)
    model._set_public_attributes()
    return model


def model_from_params(cls, params, random_state_is_generator):
    if not isinstance(params, dict):
        raise ValueError("invalid skrnn model file: params must be a JSON object")
    check_keys(params, set(cls().get_params(deep=False)), "params")
    if random_state_is_generator and params["random_state"] is not None:
        raise ValueError(
            "invalid skrnn model file: random_state must be null when "
            "random_state_is_generator is true"
        )
    model = cls(**params)
    try:
        model._validate_params()
        model._check_cell_parameters()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid skrnn model file: params: {exc}") from exc
    return model


def _sizes(fitted):
    """The fitted sizes and flags, checked against each other."""
    dtype_name = expect(fitted, "dtype", str, "fitted")
    if dtype_name not in ("float32", "float64"):
        raise ValueError(f"invalid skrnn model file: dtype {dtype_name!r}")
    sizes = SimpleNamespace(
        dtype=np.dtype(dtype_name),
        n_features_per_step=count(fitted, "n_features_per_step_", 1),
        n_steps=count(fitted, "n_steps_", 1),
        n_features_in=count(fitted, "n_features_in_", 1),
        n_outputs=count(fitted, "n_outputs_", 1),
        n_iter=count(fitted, "n_iter_", 0),
        early_stopping_curves=expect(fitted, "early_stopping_curves", bool, "fitted"),
        feature_names=fitted["feature_names_in_"],
    )
    if sizes.n_features_in != sizes.n_steps * sizes.n_features_per_step:
        raise ValueError(
            "invalid skrnn model file: n_features_in_ is not n_steps_ * "
            "n_features_per_step_"
        )
    names = sizes.feature_names
    if names is not None and (
        not isinstance(names, list)
        or len(names) != sizes.n_features_in
        or not all(isinstance(n, str) for n in names)
    ):
        raise ValueError(
            "invalid skrnn model file: feature_names_in_ must be null or a list of "
            "n_features_in_ strings"
        )
    return sizes


def _optimizer_meta(meta):
    """``(kind, t)`` of the saved optimizer state, or None."""
    if meta is None:
        return None
    check_keys(meta, OPTIMIZER_KEYS, "optimizer")
    solver = meta["solver"]
    if solver not in OPTIMIZER_KINDS:
        raise ValueError(f"invalid skrnn model file: optimizer solver {solver!r}")
    return solver, count(meta, "t", 0)


def _layout(network, sizes, members):
    """The fitted network's :class:`~skrnn._network.Layout`, from ``network``."""
    from .._cells import CELLS
    from .._network import Layout

    check_keys(network, {"cell", "hidden_size", "n_layers", "activation", "skip_steps",
                         "patch_length", "readout"}, "network")
    cell = expect(network, "cell", str, "network")
    activation = expect(network, "activation", str, "network")
    if cell not in CELLS or activation not in CELLS[cell].ACTIVATIONS:
        raise ValueError(
            f"invalid skrnn model file: network cell {cell!r} with activation {activation!r}"
        )
    hidden_size, n_layers = count(network, "hidden_size", 1), count(network, "n_layers", 1)
    skip_steps = count(network, "skip_steps", 0)
    if skip_steps not in (0, sizes.n_steps):
        raise ValueError(
            "invalid skrnn model file: network skip_steps must be 0 or n_steps_, got "
            f"{skip_steps}"
        )
    patch_length = count(network, "patch_length", 1)
    readout = expect(network, "readout", str, "network")
    if readout not in ("last", "mean", "max"):
        raise ValueError(f"invalid skrnn model file: network readout {readout!r}")
    layout = Layout(cell, sizes.n_features_per_step * patch_length, hidden_size, n_layers,
                    sizes.n_outputs, activation, skip_steps, patch_length, readout)
    if len(layout.layer_blocks(0)) * n_layers + 2 > len(members):  # before listing them
        raise ValueError("invalid skrnn model file: arrays of some layers are missing")
    return layout


def block_names(layout):
    """File name -> shape of each block of the flat vector (``W_xh_0``, ..., ``W_hy``)."""
    return {name if layer is None else f"{name}_{layer}": shape
            for name, layer, shape, _ in layout.blocks()}


def _expected_members(model, layout, sizes, fitted, optimizer):
    """Every member the metadata implies (name -> (shape, dtypes)), but the
    validation curves, whose length only their header tells."""
    shapes = block_names(layout)
    expected = {name: (shape, (sizes.dtype,)) for name, shape in shapes.items()}
    expected.update(model._load_head_state(fitted, sizes.n_outputs))
    if sizes.has_x_scaling:
        expected["x_mean"] = expected["x_scale"] = ((sizes.n_features_per_step,), (sizes.dtype,))
    if sizes.has_skip_alpha:  # a linear path has the ridge penalty it started with
        expected["skip_alpha"] = ((sizes.n_outputs,), _FLOAT64)
    expected["loss_curve"] = ((sizes.n_iter,), _FLOAT64)
    expected["grad_norm_curve"] = ((sizes.n_iter,), _FLOAT64)
    expected["rng_keys"] = ((624,), (np.dtype(np.uint32),))
    if optimizer is not None:
        for array in OPTIMIZER_KINDS[optimizer[0]]:
            for name, shape in shapes.items():
                expected[f"{optimizer[0]}_{array}/{name}"] = (shape, (sizes.dtype,))
    return expected


def fill(params, arrays, prefix=""):
    """Copy the file's blocks into the named views of a flat vector."""
    for name, view in params.named():
        view[...] = arrays[prefix + name]


def _restore_network(model, layout, sizes, arrays):
    model.n_features_in_ = sizes.n_features_in
    if sizes.feature_names is not None:
        model.feature_names_in_ = np.asarray(sizes.feature_names, dtype=object)
    model.n_steps_, model.n_features_per_step_ = sizes.n_steps, sizes.n_features_per_step
    model.n_outputs_ = sizes.n_outputs
    model._load_head_arrays(arrays)
    _restore_x_scaling(model, sizes, arrays)
    model._layout = layout
    model._theta = np.zeros(layout.size, dtype=sizes.dtype)
    model._params = layout.params(model._theta)
    fill(model._params, arrays)
    if model._has_linear_path_option:
        # a path from an older file was penalised by alpha, as then (BaseRNN._penalty)
        model.skip_alpha_ = arrays["skip_alpha"] if sizes.has_skip_alpha else None
        if sizes.has_skip_alpha and not np.all(
                (model.skip_alpha_ > 0) & np.isfinite(model.skip_alpha_)):
            raise ValueError("invalid skrnn model file: skip_alpha must be positive and finite")


def _restore_x_scaling(model, sizes, arrays):
    """The input standardisation; a file written before it: the identity."""
    if not sizes.has_x_scaling:
        model.x_mean_ = np.zeros(sizes.n_features_per_step, dtype=sizes.dtype)
        model.x_scale_ = np.ones(sizes.n_features_per_step, dtype=sizes.dtype)
        return
    model.x_mean_, model.x_scale_ = arrays["x_mean"], arrays["x_scale"]
    if not (np.isfinite(model.x_mean_).all() and np.isfinite(model.x_scale_).all()
            and (model.x_scale_ > 0).all()):
        raise ValueError("invalid skrnn model file: x_mean must be finite and x_scale "
                         "positive and finite")


def _restore_rng(model, metadata, arrays):
    rng_meta = metadata["rng"]
    check_keys(rng_meta, RNG_KEYS, "rng")
    pos = count(rng_meta, "pos", 0)
    has_gauss = expect(rng_meta, "has_gauss", int, "rng")
    cached_gaussian = float(expect(rng_meta, "cached_gaussian", Real, "rng"))
    # RandomState.set_state accepts any position, and then reads out of bounds
    # (a crash, not an exception) when drawing: check the range ourselves
    if not (0 <= pos <= 624 and has_gauss in (0, 1) and np.isfinite(cached_gaussian)):
        raise ValueError(
            "invalid skrnn model file: bad generator state (pos must be in [0, 624], "
            "has_gauss 0 or 1, cached_gaussian finite)"
        )
    rng = np.random.RandomState()
    try:
        rng.set_state(("MT19937", arrays["rng_keys"], pos, has_gauss, cached_gaussian))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid skrnn model file: bad generator state: {exc}") from exc
    model._rng = rng
    if metadata["random_state_is_generator"]:
        model.random_state = rng  # fit used the given RandomState itself


def _restore_optimizer(model, optimizer, arrays):
    from .._optimizers import load_optimizer_state

    model._optimizer = None  # a later fit then starts a fresh optimizer
    if optimizer is None:
        return
    kind, t = optimizer
    model._optimizer = _optimizers.make_optimizer(model, kind)
    state = {}
    for array in OPTIMIZER_KINDS[kind]:
        flat = np.empty_like(model._theta)
        fill(model._params.like(flat), arrays, f"{kind}_{array}/")
        state[array] = flat
    load_optimizer_state(model._optimizer, t, state)

"""Save a fitted RNNRegressor or RNNClassifier without pickle, and load it back safely.

:func:`save_model` writes one file: a ZIP archive in the layout of NumPy's
``.npz`` (so ``numpy.load(path)`` opens it too), holding

``metadata.json``
    UTF-8 JSON: the file format and the skrnn version that wrote it, the
    hyper-parameters (``get_params(deep=False)``), and the scalar fitted
    state. Python's ``json`` writes ``Infinity`` for an infinite value (e.g.
    ``best_loss_`` before the first epoch ended).
``<name>.npy``
    One array each, in the ``.npy`` format, never of object dtype:

    - ``W_xh_<l>``, ``b_h_<l>``, ``W_hh_<l>`` (and the cell's extra blocks,
      GRU's ``b_hn_<l>``) for each layer ``l``, ``W_hy``, ``b_y`` (and
      ``W_xy``, a regressor's linear path from the window): the
      network, named and shaped as :class:`skrnn._network.Layout` lays it out,
      with the read-out in the units of the *standardised* target
      (``output_weights_ = W_hy * y_scale_``, ``output_bias_ = b_y * y_scale_
      + y_mean_``), all of the model's dtype;
    - ``skip_alpha``: the ridge penalty of a regressor's linear path;
    - ``y_mean``, ``y_scale``: a regressor's target standardisation (a
      classifier's ``classes_`` are JSON values in the metadata, with their
      dtype and the type of target);
    - ``loss_curve``, ``grad_norm_curve`` and, after a fit with early
      stopping, ``validation_loss_curve`` and ``validation_scores``;
    - ``rng_keys``: the 624 words of the Mersenne Twister that shuffles the
      samples (its position is in the JSON);
    - optional optimizer state, in the same per-matrix layout:
      ``adam_m/<name>`` and ``adam_v/<name>`` (Adam) or
      ``sgd_velocity/<name>`` (SGD).

Arrays are stored by name rather than as the internal flat parameter vector,
so the file does not depend on how a version of skrnn lays that vector out.
Format version 2 added the ``cell`` hyper-parameter (and GRU's ``b_hn``);
files of version 1, written before it, hold Elman networks and still load.
The fitted network's ``skip_steps`` (the linear path) was added to version 2
later; a file without it has no linear path. Version 3 added ``skip_alpha``
(the ridge penalty the linear path started with, float64, one per output;
older files load with ``skip_alpha_ = None``: their path stays penalised by
``alpha``, as it was trained) and ``best_epoch_`` (older files: None).

:func:`load_model` is meant to be safe on untrusted files: it never unpickles
(arrays are read with ``allow_pickle=False`` semantics, only float or uint32
dtypes are accepted), it accepts no member it does not expect, it checks the
JSON against the format and the hyper-parameters with scikit-learn's parameter
validation, it checks the dtype and shape of every array against the sizes in
the JSON before reading it, and it only reads uncompressed (stored) members,
so it never reads more data than the file holds. Anything else is a
``ValueError``. Loading a file written by another skrnn version warns with
:class:`skrnn.exceptions.InconsistentVersionWarning`.

The loaded model predicts exactly as the saved one. It can also continue
training: ``partial_fit``, or ``fit`` with ``warm_start=True``, resume from
the saved weights, target standardisation, shuffling generator and counters.
With the optimizer state saved (the default) the continuation is bit for bit
the one the saved model would have run; saved with ``include_optimizer=False``
the optimizer restarts from zero moments (a new Adam warm-up), like switching
``solver``.

Examples
--------
>>> import io, warnings
>>> import numpy as np
>>> from skrnn import RNNRegressor
>>> from skrnn.persistence import load_model, save_model
>>> rng = np.random.RandomState(0)
>>> X = rng.normal(size=(50, 4, 1))
>>> y = X[:, -1, 0]
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter is tiny
...     model = RNNRegressor(max_iter=3, random_state=0).fit(X, y)
>>> buffer = io.BytesIO()                 # or a path such as "model.npz"
>>> save_model(model, buffer)
>>> _ = buffer.seek(0)
>>> loaded = load_model(buffer)
>>> bool(np.array_equal(loaded.predict(X), model.predict(X)))
True
"""

import io
import json
import warnings
import zipfile
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["save_model", "load_model"]

FORMAT_VERSION = 3
# versions this skrnn reads; 1 predates the cell parameter (always Elman)
_READABLE_VERSIONS = (1, 2, 3)
_METADATA = "metadata.json"
_MAX_METADATA_BYTES = 64 * 2**20
_OPTIMIZER_ARRAYS = {"adam": ("adam_m", "adam_v"), "sgd": ("sgd_velocity",)}
_OPTIMIZER_ATTRIBUTES = {"adam_m": "m", "adam_v": "v", "sgd_velocity": "velocity"}
_METADATA_KEYS = {
    "format", "format_version", "skrnn_version", "params", "random_state_is_generator",
    "fitted", "rng", "optimizer",
}
_FITTED_KEYS = {  # and the head's, in _HEAD_KEYS
    "dtype", "network", "n_features_in_", "n_steps_", "n_features_per_step_", "n_outputs_",
    "feature_names_in_", "n_iter_", "t_", "loss_", "best_loss_",
    "best_validation_score_", "no_improvement_count", "early_stopping_curves",
    "best_epoch_",
}
_ADDED_IN_VERSION_3 = {"best_epoch_"}  # older files load with None
_RNG_KEYS = {"pos", "has_gauss", "cached_gaussian"}
_OPTIMIZER_KEYS = {"solver", "t"}


# ----------------------------------------------------------------------- saving


def save_model(model, path, *, include_optimizer=True):
    """Save a fitted :class:`~skrnn.RNNRegressor` as ``.npz`` arrays plus JSON.

    Parameters
    ----------
    model : RNNRegressor
        A fitted model.
    path : str, path-like or binary file object
        Where to write. Nothing is appended to the name: use a ``.npz``
        suffix if ``numpy.load`` should recognise the file. An existing file
        is replaced, and only once the whole content has been built, so a
        failure (e.g. an unfitted model) leaves it untouched.
    include_optimizer : bool, default=True
        Also save the optimizer state (Adam moments or SGD velocity, and the
        step count), so that continued training is exactly what the saved
        model would have done.

    Raises
    ------
    TypeError
        If ``model`` is not an ``RNNRegressor``, or a hyper-parameter cannot
        be written as JSON.
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    """
    from . import __version__

    format_name = next((name for name, cls in _formats().items() if type(model) is cls), None)
    if format_name is None:
        raise TypeError(
            f"save_model saves an RNNRegressor or an RNNClassifier, got "
            f"{type(model).__name__}; save a Pipeline with pickle or joblib, or its "
            "RNNRegressor or RNNClassifier step with save_model."
        )
    check_is_fitted(model)
    params, generator = _params_to_json(model)
    p = model._params
    dtype = model._theta.dtype
    arrays = dict(p.named())
    head, head_arrays = _save_head(model)
    arrays.update(head_arrays)
    if getattr(model, "skip_alpha_", None) is not None:  # the linear path's ridge penalty
        arrays["skip_alpha"] = np.asarray(model.skip_alpha_, dtype=np.float64)
    arrays["loss_curve"] = np.asarray(model.loss_curve_, dtype=np.float64)
    arrays["grad_norm_curve"] = np.asarray(model.grad_norm_curve_, dtype=np.float64)
    early_stopping_curves = model.validation_scores_ is not None
    if early_stopping_curves:
        arrays["validation_loss_curve"] = np.asarray(
            model.validation_loss_curve_, dtype=np.float64
        )
        arrays["validation_scores"] = np.asarray(model.validation_scores_, dtype=np.float64)
    kind, keys, pos, has_gauss, cached_gaussian = model._rng.get_state()
    if kind != "MT19937":  # pragma: no cover - RandomState only has MT19937
        raise TypeError(f"cannot save a {kind} random generator")
    arrays["rng_keys"] = np.asarray(keys, dtype=np.uint32)

    optimizer = None
    if include_optimizer and model._optimizer is not None:
        solver = _optimizer_kind(model._optimizer)
        for prefix in _OPTIMIZER_ARRAYS[solver]:
            state = getattr(model._optimizer, _OPTIMIZER_ATTRIBUTES[prefix])
            for name, view in p.like(state).named():
                arrays[f"{prefix}/{name}"] = view
        optimizer = {"solver": solver, "t": int(model._optimizer.t)}

    names = model.__dict__.get("feature_names_in_")
    metadata = {
        "format": format_name,
        "format_version": FORMAT_VERSION,
        "skrnn_version": __version__,
        "params": params,
        "random_state_is_generator": generator,
        "fitted": {
            "dtype": dtype.name,
            # the fitted network's shape: the hyper-parameters may have been set
            # to other values since the fit
            "network": {
                "cell": model._layout.cell_name,
                "hidden_size": int(model._layout.hidden_size),
                "n_layers": int(model._layout.n_layers),
                "activation": model._layout.activation,
                "skip_steps": int(model._layout.skip_steps),
            },
            "n_features_in_": int(model.n_features_in_),
            "n_steps_": int(model.n_steps_),
            "n_features_per_step_": int(model.n_features_per_step_),
            "n_outputs_": int(model.n_outputs_),
            **head,
            "feature_names_in_": None if names is None else [str(n) for n in names],
            "n_iter_": int(model.n_iter_),
            "t_": int(model.t_),
            "loss_": _float_or_none(model.__dict__.get("loss_")),
            "best_loss_": _float_or_none(model.best_loss_),
            "best_validation_score_": _float_or_none(model.best_validation_score_),
            "no_improvement_count": int(model._no_improvement_count),
            "early_stopping_curves": early_stopping_curves,
            "best_epoch_": None if model.best_epoch_ is None else int(model.best_epoch_),
        },
        "rng": {
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "optimizer": optimizer,
    }
    # build the whole archive in memory first: a failure never leaves half a file
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_METADATA, json.dumps(metadata, indent=1).encode("utf-8"))
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(
                    member, np.ascontiguousarray(array), allow_pickle=False
                )
    content = buffer.getvalue()
    if hasattr(path, "write"):
        path.write(content)
    else:
        with open(path, "wb") as file:
            file.write(content)


def _formats():
    from . import RNNClassifier, RNNRegressor

    return {"skrnn.RNNRegressor": RNNRegressor, "skrnn.RNNClassifier": RNNClassifier}


# the head's keys in "fitted", by format
_HEAD_KEYS = {
    "skrnn.RNNRegressor": {"y_ndim"},
    "skrnn.RNNClassifier": {"classes", "classes_dtype", "y_type", "best_monitored"},
}
_LABEL_DTYPES = ("object", "str", "bool", "int64", "int32", "float64", "float32")
_Y_TYPES = ("binary", "multiclass", "multilabel-indicator")


def _save_head(model):
    """The head's fitted state: JSON values and arrays."""
    if hasattr(model, "y_mean_"):  # the regressor: the target standardisation
        return {"y_ndim": int(model._y_ndim)}, {
            "y_mean": np.asarray(model.y_mean_), "y_scale": np.asarray(model.y_scale_)
        }
    classes = model.classes_
    kind = "str" if classes.dtype.kind == "U" else classes.dtype.name
    if kind not in _LABEL_DTYPES or (kind == "object" and not all(
            isinstance(c, str) for c in classes)):
        raise TypeError(
            f"cannot save classes_ of dtype {classes.dtype} as JSON; use labels that "
            "are strings, integers, floats or booleans."
        )
    return {
        "classes": [c.item() if isinstance(c, np.generic) else c for c in classes],
        "classes_dtype": kind,
        "y_type": model._label_binarizer.y_type_,
        "best_monitored": _float_or_none(model.__dict__.get("_best_monitored")),
    }, {}


def _load_head(model, format_name, fitted, n_outputs):
    """Check and restore the head's state; returns the arrays the file must hold."""
    if format_name == "skrnn.RNNRegressor":
        y_ndim = _expect(fitted, "y_ndim", int, "fitted")
        if y_ndim not in (1, 2) or (y_ndim == 1 and n_outputs != 1):
            raise ValueError("invalid skrnn model file: y_ndim must be 1 (one output) or 2")
        model._y_ndim = y_ndim
        floats = (np.dtype(np.float32), np.dtype(np.float64))
        return {"y_mean": ((n_outputs,), floats), "y_scale": ((n_outputs,), floats)}
    from sklearn.preprocessing import LabelBinarizer

    kind = _expect(fitted, "classes_dtype", str, "fitted")
    y_type = _expect(fitted, "y_type", str, "fitted")
    classes = _expect(fitted, "classes", list, "fitted")
    if kind not in _LABEL_DTYPES or y_type not in _Y_TYPES:
        raise ValueError(
            f"invalid skrnn model file: classes_dtype {kind!r} or y_type {y_type!r}"
        )
    numbers = (bool,) if kind == "bool" else (str,) if kind in ("str", "object") else Real
    if not all(isinstance(c, numbers) and (kind == "bool" or not isinstance(c, bool))
               for c in classes):
        raise ValueError(f"invalid skrnn model file: classes must be of kind {kind}")
    classes = np.array(classes, dtype=object if kind == "object" else None)
    if kind not in ("str", "object"):
        classes = classes.astype(kind)
    expected = {"binary": 1, "multiclass": len(classes), "multilabel-indicator": len(classes)}
    if len(set(classes.tolist())) != len(classes) or expected[y_type] != n_outputs or (
            y_type == "binary") != (len(classes) == 2 and n_outputs == 1):
        raise ValueError(
            "invalid skrnn model file: classes, y_type and n_outputs_ do not agree"
        )
    binarizer = LabelBinarizer()
    binarizer.fit(np.eye(len(classes), dtype=int) if y_type.startswith("multilabel")
                  else classes)
    if binarizer.y_type_ != y_type:
        raise ValueError("invalid skrnn model file: classes do not give that y_type")
    model._label_binarizer, model.classes_ = binarizer, binarizer.classes_
    model.out_activation_ = "softmax" if y_type == "multiclass" else "logistic"
    best = fitted["best_monitored"]
    if best is not None and (isinstance(best, bool) or not isinstance(best, Real)):
        raise ValueError("invalid skrnn model file: best_monitored must be a number or null")
    if best is not None:
        model._best_monitored = float(best)
    return {}


def _optimizer_kind(optimizer):
    from ._optimizers import AdamOptimizer, SGDOptimizer

    if isinstance(optimizer, AdamOptimizer):
        return "adam"
    if isinstance(optimizer, SGDOptimizer):
        return "sgd"
    raise TypeError(f"cannot save an optimizer of type {type(optimizer).__name__}")


def _float_or_none(value):
    return None if value is None else float(value)


def _params_to_json(model):
    """get_params(deep=False) as JSON values; a RandomState becomes a flag."""
    params = {}
    generator = False
    for key, value in model.get_params(deep=False).items():
        if key == "random_state" and isinstance(value, np.random.RandomState):
            generator = value is model._rng
            value = None
        elif isinstance(value, np.generic):
            value = value.item()
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise TypeError(
                f"cannot save the hyper-parameter {key}={value!r} as JSON; use an "
                "int, float, str, bool or None."
            )
        params[key] = value
    return params, generator


# ---------------------------------------------------------------------- loading


def load_model(path):
    """Load a model written by :func:`save_model`.

    Parameters
    ----------
    path : str, path-like or binary file object
        The file.

    Returns
    -------
    model : RNNRegressor
        The fitted model: same hyper-parameters, same predictions, and ready
        to continue training with ``partial_fit`` or ``warm_start``.

    Raises
    ------
    ValueError
        If the file is not a valid skrnn model file: not a ZIP archive,
        unknown or missing members or keys, values of the wrong type,
        invalid hyper-parameters, or arrays of the wrong dtype or shape.

    Warns
    -----
    skrnn.exceptions.InconsistentVersionWarning
        If the file was written by another skrnn version.
    """
    try:
        archive = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ValueError(f"not a skrnn model file (not a valid .npz archive): {exc}") from exc
    with archive:
        try:
            return _load(archive)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ValueError(f"not a skrnn model file (corrupt archive): {exc}") from exc


def _load(archive):
    from . import __version__
    from ._network import Layout
    from .exceptions import InconsistentVersionWarning

    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise ValueError("invalid skrnn model file: duplicate members in the archive")
    members = {info.filename: info for info in infos}
    if _METADATA not in members:
        raise ValueError(f"invalid skrnn model file: no {_METADATA} member")
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(
                f"invalid skrnn model file: member {info.filename!r} is compressed; "
                "load_model reads stored (uncompressed) members only"
            )
    metadata = _read_metadata(archive, members[_METADATA])

    _check_keys(metadata, _METADATA_KEYS, "the metadata")
    format_name = metadata["format"]
    if format_name not in _formats():
        raise ValueError(
            f"invalid skrnn model file: format {format_name!r}, expected one of "
            f"{sorted(_formats())}"
        )
    cls = _formats()[format_name]
    format_version = metadata["format_version"]
    if not (type(format_version) is int  # noqa: E721 - no bool, no float
            and format_version in _READABLE_VERSIONS):
        raise ValueError(
            f"unsupported skrnn model format_version {format_version!r}; "
            f"this skrnn reads versions {', '.join(map(str, _READABLE_VERSIONS))}"
        )
    saved_version = _expect(metadata, "skrnn_version", str, "the metadata")
    if saved_version != __version__:
        warnings.warn(
            InconsistentVersionWarning(
                estimator_name=cls.__name__,
                current_version=__version__,
                original_version=saved_version,
            )
        )

    params = metadata["params"]
    if format_version == 1 and isinstance(params, dict):
        if "cell" in params:
            raise ValueError("invalid skrnn model file: format_version 1 has no cell")
        params = dict(params, cell="elman")  # version 1 knew the Elman cell only
    if (format_name == "skrnn.RNNRegressor" and isinstance(params, dict)
            and "skip_connection" not in params):
        # written before the parameter existed: the model had no linear path
        params = dict(params, skip_connection=False)
    model = _model_from_params(
        cls, params,
        _expect(metadata, "random_state_is_generator", bool, "the metadata"),
    )
    fitted = metadata["fitted"]
    keys = _FITTED_KEYS | _HEAD_KEYS[format_name]
    if format_version < 3:
        keys = keys - _ADDED_IN_VERSION_3
    _check_keys(fitted, keys - {"network"} if format_version == 1 else keys, "fitted")
    if format_version < 3:
        fitted = dict(fitted, best_epoch_=None)
    dtype_name = _expect(fitted, "dtype", str, "fitted")
    if dtype_name not in ("float32", "float64"):
        raise ValueError(f"invalid skrnn model file: dtype {dtype_name!r}")
    dtype = np.dtype(dtype_name)
    n_features_per_step = _count(fitted, "n_features_per_step_", 1)
    n_steps = _count(fitted, "n_steps_", 1)
    n_features_in = _count(fitted, "n_features_in_", 1)
    n_outputs = _count(fitted, "n_outputs_", 1)
    n_iter = _count(fitted, "n_iter_", 0)
    if n_features_in != n_steps * n_features_per_step:
        raise ValueError(
            "invalid skrnn model file: n_features_in_ is not n_steps_ * "
            "n_features_per_step_"
        )
    feature_names = fitted["feature_names_in_"]
    if feature_names is not None and (
        not isinstance(feature_names, list)
        or len(feature_names) != n_features_in
        or not all(isinstance(n, str) for n in feature_names)
    ):
        raise ValueError(
            "invalid skrnn model file: feature_names_in_ must be null or a list of "
            "n_features_in_ strings"
        )

    network = _fitted_network(fitted, format_version, model)
    hidden_size, n_layers = network["hidden_size"], network["n_layers"]
    early_stopping_curves = _expect(fitted, "early_stopping_curves", bool, "fitted")
    optimizer_meta = metadata["optimizer"]
    if optimizer_meta is not None:
        _check_keys(optimizer_meta, _OPTIMIZER_KEYS, "optimizer")
        solver = optimizer_meta["solver"]
        if solver not in _OPTIMIZER_ARRAYS:
            raise ValueError(f"invalid skrnn model file: optimizer solver {solver!r}")
        optimizer_t = _count(optimizer_meta, "t", 0)

    # every member the metadata implies, no more and no fewer
    skip_steps = network["skip_steps"]
    if skip_steps not in (0, n_steps):
        raise ValueError(
            "invalid skrnn model file: network skip_steps must be 0 or n_steps_, got "
            f"{skip_steps}"
        )
    layout = Layout(network["cell"], n_features_per_step, hidden_size, n_layers, n_outputs,
                    network["activation"], skip_steps)
    if len(layout.layer_blocks(0)) * n_layers + 2 > len(members):  # before listing them
        raise ValueError("invalid skrnn model file: arrays of some layers are missing")
    param_shapes = {
        name if layer is None else f"{name}_{layer}": shape
        for name, layer, shape, _ in layout.blocks()
    }
    expected = {name: (shape, (dtype,)) for name, shape in param_shapes.items()}
    expected.update(_load_head(model, format_name, fitted, n_outputs))
    # from version 3 on, a linear path has the ridge penalty it started with
    has_skip_alpha = skip_steps and format_version >= 3
    if has_skip_alpha:
        expected["skip_alpha"] = ((n_outputs,), (np.dtype(np.float64),))
    expected["loss_curve"] = ((n_iter,), (np.dtype(np.float64),))
    expected["grad_norm_curve"] = ((n_iter,), (np.dtype(np.float64),))
    if early_stopping_curves:
        n_val = _validation_curve_length(archive, members, n_iter)
        expected["validation_loss_curve"] = ((n_val,), (np.dtype(np.float64),))
        expected["validation_scores"] = ((n_val,), (np.dtype(np.float64),))
    expected["rng_keys"] = ((624,), (np.dtype(np.uint32),))
    if optimizer_meta is not None:
        for prefix in _OPTIMIZER_ARRAYS[solver]:
            for name, shape in param_shapes.items():
                expected[f"{prefix}/{name}"] = (shape, (dtype,))
    wanted = {f"{name}.npy" for name in expected} | {_METADATA}
    unknown = sorted(set(members) - wanted)
    missing = sorted(wanted - set(members))
    if unknown or missing:
        raise ValueError(
            "invalid skrnn model file: "
            + (f"unexpected members {unknown[:5]}" if unknown else "")
            + ("; " if unknown and missing else "")
            + (f"missing members {missing[:5]}" if missing else "")
        )
    arrays = {
        name: _read_array(archive, members[f"{name}.npy"], shape, dtypes)
        for name, (shape, dtypes) in expected.items()
    }

    # the fitted state, as fit leaves it
    model.n_features_in_ = n_features_in
    if feature_names is not None:
        model.feature_names_in_ = np.asarray(feature_names, dtype=object)
    model.n_steps_, model.n_features_per_step_ = n_steps, n_features_per_step
    model.n_outputs_ = n_outputs
    if "y_mean" in arrays:  # the regressor's target standardisation
        model.y_mean_, model.y_scale_ = arrays["y_mean"], arrays["y_scale"]
    model._layout = layout
    model._theta = np.zeros(layout.size, dtype=dtype)
    model._params = layout.params(model._theta)
    _fill(model._params, arrays, "")
    rng = np.random.RandomState()
    rng_meta = metadata["rng"]
    _check_keys(rng_meta, _RNG_KEYS, "rng")
    pos = _count(rng_meta, "pos", 0)
    has_gauss = _expect(rng_meta, "has_gauss", int, "rng")
    cached_gaussian = float(_expect(rng_meta, "cached_gaussian", Real, "rng"))
    # RandomState.set_state accepts any position, and then reads out of bounds
    # (a crash, not an exception) when drawing: check the range ourselves
    if not (0 <= pos <= 624 and has_gauss in (0, 1) and np.isfinite(cached_gaussian)):
        raise ValueError(
            "invalid skrnn model file: bad generator state (pos must be in [0, 624], "
            "has_gauss 0 or 1, cached_gaussian finite)"
        )
    try:
        rng.set_state(("MT19937", arrays["rng_keys"], pos, has_gauss, cached_gaussian))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid skrnn model file: bad generator state: {exc}") from exc
    model._rng = rng
    if metadata["random_state_is_generator"]:
        model.random_state = rng  # fit used the given RandomState itself
    model.n_iter_, model.t_ = n_iter, _count(fitted, "t_", 0)
    model.loss_curve_ = arrays["loss_curve"].tolist()
    model.grad_norm_curve_ = arrays["grad_norm_curve"].tolist()
    model._no_improvement_count = _count(fitted, "no_improvement_count", 0)
    # a path from an older file was penalised by alpha, as then (see BaseRNN._penalty)
    if model._has_linear_path_option:
        model.skip_alpha_ = arrays["skip_alpha"] if has_skip_alpha else None
    if has_skip_alpha and not np.all((model.skip_alpha_ > 0) & np.isfinite(model.skip_alpha_)):
        raise ValueError("invalid skrnn model file: skip_alpha must be positive and finite")
    best_epoch = fitted["best_epoch_"]
    if best_epoch is not None:
        best_epoch = _count(fitted, "best_epoch_", 0)
        if best_epoch > n_iter:
            raise ValueError("invalid skrnn model file: best_epoch_ is beyond n_iter_")
    model.best_epoch_ = best_epoch
    if early_stopping_curves:
        model.validation_loss_curve_ = arrays["validation_loss_curve"].tolist()
        model.validation_scores_ = arrays["validation_scores"].tolist()
    else:
        model.validation_loss_curve_ = model.validation_scores_ = None
    for key in ("best_validation_score_", "best_loss_", "loss_"):
        value = fitted[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, Real)):
            raise ValueError(f"invalid skrnn model file: {key} must be a number or null")
        if value is not None or key != "loss_":  # no loss_ if epoch 1 was interrupted
            setattr(model, key, None if value is None else float(value))
    if early_stopping_curves != (model.best_validation_score_ is not None):
        raise ValueError(
            "invalid skrnn model file: best_validation_score_ must be set exactly "
            "when the validation curves are"
        )

    model._optimizer = None  # a later fit then starts a fresh optimizer
    if optimizer_meta is not None:
        model._optimizer = model._make_optimizer(solver)
        model._optimizer.t = optimizer_t
        for prefix in _OPTIMIZER_ARRAYS[solver]:
            state = getattr(model._optimizer, _OPTIMIZER_ATTRIBUTES[prefix])
            _fill(model._params.like(state), arrays, f"{prefix}/")
    model._set_public_attributes()
    return model


def _read_metadata(archive, info):
    with archive.open(info) as member:
        raw = member.read(_MAX_METADATA_BYTES + 1)
    if len(raw) > _MAX_METADATA_BYTES:
        raise ValueError("invalid skrnn model file: metadata.json is too large")
    try:
        metadata = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except ValueError as exc:  # includes JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"invalid skrnn model file: metadata.json: {exc}") from exc
    if not isinstance(metadata, dict):
        raise ValueError("invalid skrnn model file: metadata.json is not an object")
    return metadata


def _no_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _check_keys(mapping, keys, where):
    if not isinstance(mapping, dict):
        raise ValueError(f"invalid skrnn model file: {where} must be a JSON object")
    unknown, missing = sorted(set(mapping) - keys), sorted(keys - set(mapping))
    if unknown:
        raise ValueError(f"invalid skrnn model file: unknown keys {unknown} in {where}")
    if missing:
        raise ValueError(f"invalid skrnn model file: missing keys {missing} in {where}")


def _expect(mapping, key, kind, where):
    value = mapping[key]
    if kind is not bool and isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(
            f"invalid skrnn model file: {where} {key} must be of type "
            f"{getattr(kind, '__name__', kind)}, got {value!r}"
        )
    return value


def _count(mapping, key, minimum):
    value = _expect(mapping, key, Integral, key)
    if value < minimum:
        raise ValueError(f"invalid skrnn model file: {key} must be >= {minimum}, got {value}")
    return int(value)


def _fitted_network(fitted, format_version, model):
    """The fitted network's cell and sizes: recorded from version 2 on; before,
    the hyper-parameters (which a version-1 file saved as fitted)."""
    from ._cells import CELLS

    if format_version == 1:
        fitted = dict(fitted, network={
            "cell": "elman", "hidden_size": model.hidden_size,
            "n_layers": model.n_layers, "activation": model.activation,
        })
    network = fitted["network"]
    if isinstance(network, dict) and "skip_steps" not in network:
        # written before the linear path existed: none
        network = dict(network, skip_steps=0)
    _check_keys(network, {"cell", "hidden_size", "n_layers", "activation", "skip_steps"},
                "network")
    cell = _expect(network, "cell", str, "network")
    activation = _expect(network, "activation", str, "network")
    if cell not in CELLS or activation not in CELLS[cell].ACTIVATIONS:
        raise ValueError(
            f"invalid skrnn model file: network cell {cell!r} with activation {activation!r}"
        )
    return {"cell": cell, "activation": activation,
            "hidden_size": _count(network, "hidden_size", 1),
            "n_layers": _count(network, "n_layers", 1),
            "skip_steps": _count(network, "skip_steps", 0)}


def _model_from_params(cls, params, random_state_is_generator):
    if not isinstance(params, dict):
        raise ValueError("invalid skrnn model file: params must be a JSON object")
    _check_keys(params, set(cls().get_params(deep=False)), "params")
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


def _fill(p, arrays, prefix):
    for name, view in p.named():
        view[...] = arrays[prefix + name]


_NPY_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _read_header(member, name):
    try:
        version = np.lib.format.read_magic(member)
        reader = _NPY_HEADER_READERS.get(version)
        if reader is None:
            raise ValueError(f"unsupported .npy version {version}")
        return reader(member)
    except ValueError as exc:
        raise ValueError(f"invalid skrnn model file: array {name!r}: {exc}") from exc


def _validation_curve_length(archive, members, n_iter):
    """Length of the validation curves, from the .npy header, checked <= n_iter_."""
    info = members.get("validation_scores.npy")
    if info is None:
        raise ValueError("invalid skrnn model file: missing member validation_scores.npy")
    with archive.open(info) as member:
        shape = _read_header(member, "validation_scores")[0]
    if len(shape) != 1 or not 0 <= shape[0] <= n_iter:
        raise ValueError(
            "invalid skrnn model file: validation curves must be 1-D with at most "
            "n_iter_ entries"
        )
    return shape[0]


def _read_array(archive, info, shape, dtypes):
    """Read one .npy member after checking its header against ``shape``/``dtypes``."""
    name = info.filename[: -len(".npy")]
    with archive.open(info) as member:
        header_shape, fortran_order, dtype = _read_header(member, name)
        if dtype.hasobject or dtype.newbyteorder("=") not in dtypes:
            raise ValueError(
                f"invalid skrnn model file: array {name!r} has dtype {dtype}, "
                f"expected {' or '.join(d.name for d in dtypes)}"
            )
        if tuple(header_shape) != tuple(shape):
            raise ValueError(
                f"invalid skrnn model file: array {name!r} has shape "
                f"{tuple(header_shape)}, expected {tuple(shape)}"
            )
        n_bytes = int(np.prod(shape)) * dtype.itemsize
        if n_bytes > info.file_size:  # before reading: the file must hold the data
            raise ValueError(f"invalid skrnn model file: array {name!r} is truncated")
        data = member.read(n_bytes)
        if len(data) != n_bytes or member.read(1):
            raise ValueError(
                f"invalid skrnn model file: array {name!r} does not hold exactly "
                f"{n_bytes} bytes of data"
            )
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return np.array(array, dtype=dtype.newbyteorder("="), order="C")  # own, writeable copy


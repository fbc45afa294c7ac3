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
    - ``x_mean``, ``x_scale``: the input standardisation (``x_mean_``,
      ``x_scale_``, one value per feature of a step, the model's dtype);
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
Version 4 added ``patch_length`` and ``readout`` (parameters, and in the fitted
network); older files load with 1 and "last". Version 5 added ``x_mean`` and
``x_scale``, the input standardisation; older files load with 0 and 1 (their
networks read the inputs as they are).

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

import zipfile

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .. import _state
from ._format import FORMAT_VERSION, formats, open_metadata, write_archive
from ._rebuild import load as _load

__all__ = ["save_model", "load_model"]

# The package: _format.py reads and writes the file with its checks, _migrate.py
# upgrades files of earlier versions, _rebuild.py makes the model; the estimator's
# head saves and restores its own part (_head_state / _load_head_state), the
# optimizer its own (skrnn._optimizers.optimizer_state).


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
    format_name = next((name for name, cls in formats().items() if type(model) is cls), None)
    if format_name is None:
        raise TypeError(
            f"save_model saves an RNNRegressor or an RNNClassifier, got "
            f"{type(model).__name__}; save a Pipeline with pickle or joblib, or its "
            "RNNRegressor or RNNClassifier step with save_model."
        )
    check_is_fitted(model)
    params, generator = _params_to_json(model)
    head, arrays = model._head_state()
    arrays = {**dict(model._params.named()), **arrays, **_training_arrays(model)}
    kind, keys, pos, has_gauss, cached_gaussian = model._rng.get_state()
    if kind != "MT19937":  # pragma: no cover - RandomState only has MT19937
        raise TypeError(f"cannot save a {kind} random generator")
    arrays["rng_keys"] = np.asarray(keys, dtype=np.uint32)
    optimizer = None
    if include_optimizer and model._optimizer is not None:
        optimizer, optimizer_arrays = _optimizer_part(model)
        arrays.update(optimizer_arrays)
    from .._version import __version__

    metadata = {
        "format": format_name,
        "format_version": FORMAT_VERSION,
        "skrnn_version": __version__,
        "params": params,
        "random_state_is_generator": generator,
        "fitted": {**_fitted_metadata(model), **head},
        "rng": {"pos": int(pos), "has_gauss": int(has_gauss),
                "cached_gaussian": float(cached_gaussian)},
        "optimizer": optimizer,
    }
    content = write_archive(metadata, arrays)
    if hasattr(path, "write"):
        path.write(content)
    else:
        with open(path, "wb") as file:
            file.write(content)


def _training_arrays(model):
    """The input standardisation (the model's dtype), the linear path's penalty and
    the training curves (float64)."""
    arrays = {"x_mean": np.asarray(model.x_mean_), "x_scale": np.asarray(model.x_scale_)}
    if getattr(model, "skip_alpha_", None) is not None:  # the linear path's ridge penalty
        arrays["skip_alpha"] = np.asarray(model.skip_alpha_, dtype=np.float64)
    arrays.update(_state.curve_arrays(model))
    return arrays


def _optimizer_part(model):
    """``(JSON, arrays)`` of the optimizer's state, block by block of the layout."""
    from .._optimizers import optimizer_state

    try:
        kind, t, state = optimizer_state(model._optimizer)
    except AttributeError:
        raise TypeError(
            f"cannot save an optimizer of type {type(model._optimizer).__name__}"
        ) from None
    arrays = {}
    for array, values in state.items():
        for name, view in model._params.like(values).named():
            arrays[f"{kind}_{array}/{name}"] = view
    return {"solver": kind, "t": int(t)}, arrays


def _fitted_metadata(model):
    """The sizes, the network and the training state (the head adds its own keys)."""
    names = model.__dict__.get("feature_names_in_")
    layout = model._layout
    return {
        "dtype": model._theta.dtype.name,
        # the fitted network's shape: the hyper-parameters may have been set
        # to other values since the fit
        "network": {
            "cell": layout.cell_name,
            "hidden_size": int(layout.hidden_size),
            "n_layers": int(layout.n_layers),
            "activation": layout.activation,
            "skip_steps": int(layout.skip_steps),
            "patch_length": int(layout.patch_length),
            "readout": layout.readout,
        },
        "n_features_in_": int(model.n_features_in_),
        "n_steps_": int(model.n_steps_),
        "n_features_per_step_": int(model.n_features_per_step_),
        "n_outputs_": int(model.n_outputs_),
        "feature_names_in_": None if names is None else [str(n) for n in names],
        **_state.to_json(model),
        "has_skip_alpha": getattr(model, "skip_alpha_", None) is not None,
    }


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
            members, metadata, cls, format_version = open_metadata(archive)
            return _load(archive, members, metadata, cls, format_version)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ValueError(f"not a skrnn model file (corrupt archive): {exc}") from exc

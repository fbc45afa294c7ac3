"""The file itself: a ZIP archive of ``.npy`` members and ``metadata.json``, read
with checks before anything is trusted, and written in one piece.

Every error here is a ``ValueError`` whose message starts with "invalid skrnn
model file" (or "unsupported ..." for a format version this skrnn does not read).
"""

import io
import json
import zipfile
from numbers import Integral

import numpy as np

from .._warnings import warn

FORMAT_VERSION = 5
# versions this skrnn reads; 1 predates the cell parameter (always Elman)
READABLE_VERSIONS = (1, 2, 3, 4, 5)
METADATA = "metadata.json"
_MAX_METADATA_BYTES = 64 * 2**20
METADATA_KEYS = {
    "format", "format_version", "skrnn_version", "params", "random_state_is_generator",
    "fitted", "rng", "optimizer",
}


def formats():
    """Format name -> estimator class."""
    from .. import RNNClassifier, RNNRegressor

    return {"skrnn.RNNRegressor": RNNRegressor, "skrnn.RNNClassifier": RNNClassifier}


# ------------------------------------------------------------------- writing


def write_archive(metadata, arrays):
    """The whole file as bytes: built in memory, so a failure never leaves half a file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA, json.dumps(metadata, indent=1).encode("utf-8"))
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(
                    member, np.ascontiguousarray(array), allow_pickle=False
                )
    return buffer.getvalue()


# ------------------------------------------------------------------- reading


def open_metadata(archive):
    """``(members, metadata, estimator class, format version)`` of an opened archive:
    unique, uncompressed members, the metadata's top-level keys, a known format and
    a readable version (warns when another skrnn version wrote it)."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise ValueError("invalid skrnn model file: duplicate members in the archive")
    members = {info.filename: info for info in infos}
    if METADATA not in members:
        raise ValueError(f"invalid skrnn model file: no {METADATA} member")
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(
                f"invalid skrnn model file: member {info.filename!r} is compressed; "
                "load_model reads stored (uncompressed) members only"
            )
    metadata = _read_metadata(archive, members[METADATA])
    check_keys(metadata, METADATA_KEYS, "the metadata")
    format_name = metadata["format"]
    if format_name not in formats():
        raise ValueError(
            f"invalid skrnn model file: format {format_name!r}, expected one of "
            f"{sorted(formats())}"
        )
    cls = formats()[format_name]
    format_version = metadata["format_version"]
    if not (type(format_version) is int  # noqa: E721 - no bool, no float
            and format_version in READABLE_VERSIONS):
        raise ValueError(
            f"unsupported skrnn model format_version {format_version!r}; "
            f"this skrnn reads versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    _warn_if_another_version(metadata, cls)
    return members, metadata, cls, format_version


def _warn_if_another_version(metadata, cls):
    from .._version import __version__
    from ..exceptions import InconsistentVersionWarning

    saved_version = expect(metadata, "skrnn_version", str, "the metadata")
    if saved_version != __version__:
        warn(
            InconsistentVersionWarning(
                estimator_name=cls.__name__,
                current_version=__version__,
                original_version=saved_version,
            )
        )


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


def check_keys(mapping, keys, where):
    """``mapping`` is a JSON object with exactly ``keys``."""
    if not isinstance(mapping, dict):
        raise ValueError(f"invalid skrnn model file: {where} must be a JSON object")
    unknown, missing = sorted(set(mapping) - keys), sorted(keys - set(mapping))
    if unknown:
        raise ValueError(f"invalid skrnn model file: unknown keys {unknown} in {where}")
    if missing:
        raise ValueError(f"invalid skrnn model file: missing keys {missing} in {where}")


def expect(mapping, key, kind, where):
    """``mapping[key]``, of type ``kind`` (a bool is no int)."""
    value = mapping[key]
    if kind is not bool and isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(
            f"invalid skrnn model file: {where} {key} must be of type "
            f"{getattr(kind, '__name__', kind)}, got {value!r}"
        )
    return value


def count(mapping, key, minimum):
    """``mapping[key]``, an integer of at least ``minimum``."""
    value = expect(mapping, key, Integral, key)
    if value < minimum:
        raise ValueError(f"invalid skrnn model file: {key} must be >= {minimum}, got {value}")
    return int(value)


def float_or_none(value):
    return None if value is None else float(value)


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


def validation_curve_length(archive, members, n_iter):
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


def read_arrays(archive, members, expected):
    """Every member ``expected`` names (name -> (shape, dtypes)), no more, no fewer."""
    wanted = {f"{name}.npy" for name in expected} | {METADATA}
    unknown = sorted(set(members) - wanted)
    missing = sorted(wanted - set(members))
    if unknown or missing:
        raise ValueError(
            "invalid skrnn model file: "
            + (f"unexpected members {unknown[:5]}" if unknown else "")
            + ("; " if unknown and missing else "")
            + (f"missing members {missing[:5]}" if missing else "")
        )
    return {
        name: _read_array(archive, members[f"{name}.npy"], shape, dtypes)
        for name, (shape, dtypes) in expected.items()
    }


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

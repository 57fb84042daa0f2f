"""Model files and checkpoints: NumPy ``.npz`` arrays + JSON metadata, never pickle.

One layout for both kinds of file. A telar file is an uncompressed ``.npz`` (a zip of
``.npy`` members) that holds

- ``__telar__``: a ``uint8`` array, the UTF-8 bytes of the JSON metadata;
- one member per array (names such as ``model/0.weight``, ``optim/state/0/exp_avg``).

The metadata says what the file is and lists every array with its shape, dtype and SHA-256::

    {"format": "telar-model", "format_version": 1, "telar_version": "0.1.0",
     "arrays": {"model/0.weight": {"shape": [64, 784], "dtype": "float32", "sha256": "…"}},
     …the payload: architecture, class names, preprocessing (model) or epoch, RNG and
      optimiser state (checkpoint)…}

Keeping the metadata inside the archive makes a file one unit, written atomically (temporary
file, then rename). ``save_model`` also writes a readable copy beside it (``model.json``);
telar never reads that copy back.

Loading uses ``np.load(..., allow_pickle=False)`` and ``json.loads`` only, so it never runs code
from the file. A file that is missing, empty, not an ``.npz``, truncated, corrupt (bad zip, bad
CRC, an array whose bytes do not match its SHA-256), of another format or format version, or that
holds an object (pickled) array is refused with a :class:`~telar.errors.ModelFileError` that names
the file and the reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from telar import __version__
from telar.errors import ModelFileError
from telar.io.atomic import atomic_write, atomic_write_text

FORMAT_VERSION = 1
MODEL_FORMAT = "telar-model"
CHECKPOINT_FORMAT = "telar-checkpoint"
META_KEY = "__telar__"
_ZIP_MAGIC = b"PK\x03\x04"
_ALLOWED_KINDS = "biuf"  # bool, signed/unsigned integers, floats: nothing that can hold objects


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _jsonable(obj: Any) -> Any:
    """NumPy scalars to Python ones, tuples to lists, so ``json.dumps`` takes the metadata."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def save_telar_file(path: str | Path, fmt: str, meta: dict[str, Any],
                    arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``meta`` as a telar file of format ``fmt``, atomically."""
    if META_KEY in arrays:
        raise ValueError(f"array name {META_KEY!r} is reserved for the metadata")
    clean: dict[str, np.ndarray] = {}
    manifest: dict[str, dict[str, Any]] = {}
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.kind not in _ALLOWED_KINDS:
            raise ValueError(f"array {name!r} has dtype {array.dtype}; only numbers are stored")
        clean[name] = array
        manifest[name] = {"shape": list(array.shape), "dtype": array.dtype.str,
                          "sha256": _sha256(array)}
    full_meta = {"format": fmt, "format_version": FORMAT_VERSION,
                 "telar_version": __version__, **_jsonable(meta), "arrays": manifest}
    payload = json.dumps(full_meta, sort_keys=True).encode("utf-8")
    clean[META_KEY] = np.frombuffer(payload, dtype=np.uint8)
    with atomic_write(path, "wb") as f:
        np.savez(f, **clean)


def _refuse(path: Path, reason: str) -> ModelFileError:
    return ModelFileError(f"{path}: {reason}")


def load_telar_file(path: str | Path, fmt: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a telar file of format ``fmt``: ``(metadata, arrays)``, or raise ModelFileError.

    Memory stays bounded by what the file really holds: every zip entry's declared size is
    capped (:data:`MAX_FILE_BYTES` in all), and each member's ``.npy`` header (shape, dtype,
    size) is checked against its zip entry and the metadata *before* its data is read.
    """
    path = Path(path)
    if not path.exists():
        raise _refuse(path, "no such file")
    if not path.is_file():
        raise _refuse(path, "not a file")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
        if not head:
            raise _refuse(path, "the file is empty")
        if head != _ZIP_MAGIC:
            raise _refuse(path, f"not a telar {_kind(fmt)} file (not an .npz archive)")
        with zipfile.ZipFile(path) as archive:
            entries = _entries(path, archive)
            if META_KEY not in entries:
                raise _refuse(path, f"not a telar {_kind(fmt)} file (no telar metadata in it)")
            meta = _parse_meta(path, _read_member(path, archive, entries[META_KEY], META_KEY,
                                                  None))
            _check_format(path, meta, fmt)
            manifest = meta["arrays"]
            arrays = {name: _read_member(path, archive, info, name, manifest.get(name))
                      for name, info in entries.items() if name != META_KEY}
    except ModelFileError:
        raise
    except PermissionError:
        raise _refuse(path, "cannot read: permission denied") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError) as exc:
        raise _refuse(path, f"corrupt or truncated file ({_short(exc)})") from None
    _check_manifest(path, meta, arrays)
    return meta, arrays


#: The most a telar file may inflate to, all members together (their declared sizes).
MAX_FILE_BYTES = 2 << 30
#: The most its JSON metadata may take, and how deeply it may nest.
MAX_META_BYTES = 16 << 20
MAX_META_DEPTH = 64


def _entries(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's ``.npy`` members by array name, once their declared sizes are checked."""
    entries: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        name = info.filename.removesuffix(".npy")
        if name in entries:
            raise _refuse(path, f"array {name!r} appears twice in the archive")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(path, f"array {name!r} uses an unsupported zip compression")
        total += info.file_size
        if total > MAX_FILE_BYTES:
            raise _refuse(path, f"the archive declares over {MAX_FILE_BYTES >> 30} GiB of "
                                f"arrays (member {name!r} alone {info.file_size} bytes); "
                                "telar refuses it rather than fill memory")
        entries[name] = info
    return entries


def _read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
                 entry: Any) -> np.ndarray:
    """One ``.npy`` member: its header checked against the zip entry and ``entry`` (the
    metadata's ``{"shape", "dtype"}``, or ``None`` for the metadata member itself) first."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise _refuse(path, f"array {name!r} is in .npy format version {version}")
        if dtype.hasobject:
            raise _refuse(path, f"array {name!r} holds pickled Python objects; "
                                "telar never loads those")
        if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None:
            raise _refuse(path, f"array {name!r} has dtype {dtype}; telar files hold numbers "
                                "only")
        n_bytes = math.prod(shape) * dtype.itemsize
        header_bytes = f.tell()
        if header_bytes + n_bytes != info.file_size:
            raise _refuse(path, f"corrupt file: the header of array {name!r} declares "
                                f"{dtype.str}{list(shape)} ({n_bytes} bytes), its zip entry "
                                f"holds {info.file_size - header_bytes}")
        if entry is None:
            if n_bytes > MAX_META_BYTES or dtype != np.uint8 or len(shape) != 1:
                raise _refuse(path, "corrupt telar metadata (not a byte array of at most "
                                    f"{MAX_META_BYTES >> 20} MiB)")
        elif isinstance(entry, dict) and (list(shape) != entry.get("shape")
                                          or dtype.str != entry.get("dtype")):
            raise _refuse(path, f"corrupt file: array {name!r} is {dtype.str}{list(shape)}, "
                                f"the metadata says {entry.get('dtype')}{entry.get('shape')}")
        flat = np.empty(math.prod(shape), dtype=dtype)
        buffer, have = memoryview(flat.view(np.uint8)), 0
        while have < n_bytes:  # straight into the array: no second copy of a big member
            chunk = f.read(min(n_bytes - have, 1 << 24))
            if not chunk:
                raise EOFError(f"array {name!r} ends after {have} of {n_bytes} bytes")
            buffer[have:have + len(chunk)] = chunk
            have += len(chunk)
    return flat.reshape(shape, order="F" if fortran else "C")


def _kind(fmt: str) -> str:
    return fmt.removeprefix("telar-")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _parse_meta(path: Path, raw: np.ndarray) -> dict[str, Any]:
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _refuse(path, f"corrupt telar metadata ({_short(exc)})") from None
    except RecursionError:
        meta = None  # deeper than Python's parser goes: refused just below
    if meta is None or _depth(meta) > MAX_META_DEPTH:
        raise _refuse(path, f"corrupt telar metadata (nested more than {MAX_META_DEPTH} "
                            "levels deep)")
    if not isinstance(meta, dict):
        raise _refuse(path, "corrupt telar metadata (not a JSON object)")
    return meta


def _depth(tree: Any) -> int:
    """How deeply lists and objects nest in ``tree`` (iterative: any depth is safe)."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, level = todo.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_META_DEPTH:
                todo.extend((v, level + 1) for v in (node.values() if isinstance(node, dict)
                                                     else node))
    return deepest


def _check_format(path: Path, meta: dict[str, Any], fmt: str) -> None:
    found = meta.get("format")
    if found != fmt:
        if isinstance(found, str) and found.startswith("telar-"):
            raise _refuse(path, f"is a {found} file, not a {fmt} file")
        raise _refuse(path, f"not a telar {_kind(fmt)} file (format {found!r})")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise _refuse(path, f"{fmt} format version {version!r}; this telar "
                            f"({__version__}) reads version {FORMAT_VERSION}")
    if not isinstance(meta.get("arrays"), dict):
        raise _refuse(path, "corrupt telar metadata (no array list)")


def _check_manifest(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    manifest: dict[str, Any] = meta["arrays"]
    missing = sorted(set(manifest) - set(arrays))
    extra = sorted(set(arrays) - set(manifest))
    if missing:
        raise _refuse(path, f"corrupt file: array {missing[0]!r} is missing")
    if extra:
        raise _refuse(path, f"unexpected array {extra[0]!r} not listed in the metadata")
    for name, entry in manifest.items():
        array = arrays[name]
        if not isinstance(entry, dict):
            raise _refuse(path, f"corrupt telar metadata for array {name!r}")
        if list(array.shape) != entry.get("shape") or array.dtype.str != entry.get("dtype"):
            raise _refuse(path, f"corrupt file: array {name!r} is {array.dtype.str}"
                                f"{list(array.shape)}, the metadata says "
                                f"{entry.get('dtype')}{entry.get('shape')}")
        if _sha256(array) != entry.get("sha256"):
            raise _refuse(path, f"corrupt file: the bytes of array {name!r} do not match "
                                "their checksum")


# --- model files -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelFile:
    """A loaded model file: the architecture to rebuild, its arrays, and how inputs are prepared.

    ``architecture`` is JSON (e.g. ``{"kind": "mlp", …}`` for ``telar.nn.build_mlp``);
    ``arrays`` are the weights by name; ``preprocessing`` says how raw images become inputs
    (``{"input_shape": [28, 28], "scale": 1/255, "flatten": true, "dtype": "float32"}``).
    """

    path: Path
    architecture: dict[str, Any]
    arrays: dict[str, np.ndarray]
    class_names: tuple[str, ...]
    preprocessing: dict[str, Any]
    meta: dict[str, Any]


def save_model(path: str | Path, *, architecture: dict[str, Any], arrays: dict[str, np.ndarray],
               class_names: tuple[str, ...] | list[str], preprocessing: dict[str, Any],
               extra: dict[str, Any] | None = None, sidecar: bool = True) -> None:
    """Write a model file (``.npz`` + embedded JSON) and, if ``sidecar``, a ``.json`` copy."""
    meta = {"architecture": architecture, "class_names": list(class_names),
            "preprocessing": preprocessing, **(extra or {})}
    save_telar_file(path, MODEL_FORMAT, meta, arrays)
    if sidecar:
        readable = {"format": MODEL_FORMAT, "format_version": FORMAT_VERSION,
                    "note": "a readable copy of the metadata inside the .npz; telar ignores it",
                    **_jsonable(meta)}
        atomic_write_text(Path(path).with_suffix(".json"), json.dumps(readable, indent=2) + "\n")


def load_model(path: str | Path) -> ModelFile:
    """Load and check a model file; raise ModelFileError naming the file and the reason."""
    path = Path(path)
    meta, arrays = load_telar_file(path, MODEL_FORMAT)
    check_model_meta(path, meta, arrays)
    return ModelFile(path, meta["architecture"], arrays, tuple(meta["class_names"]),
                     meta["preprocessing"], meta)


#: The widest input ``preprocessing.input_shape`` may describe (values per image).
MAX_INPUT_VALUES = 1 << 24
_PREPROCESSING_DTYPES = ("float32", "float64")


def check_model_meta(path: str | Path, meta: dict[str, Any],
                     arrays: dict[str, np.ndarray]) -> None:
    """Check a model file's metadata before anything is built from it (ModelFileError if not).

    - ``class_names``: a non-empty list of strings;
    - ``preprocessing``: an object; ``input_shape`` a list of 1-4 positive integers (at most
      :data:`MAX_INPUT_VALUES` values), ``scale`` a finite positive number, ``dtype`` float32
      or float64, ``flatten`` true or false (each optional);
    - ``architecture``: an object; for a dense network (kind ``mlp``: ``input_size``,
      ``hidden``, ``classes``; kind ``seed``: ``sizes``) the layer widths must be positive
      integers, the input width must be the input shape's size, the output width the number
      of classes, and the weights they imply, ``sum(n_in * n_out)``, must be in the file's
      arrays, so a hand-edited 100,000,000-wide layer is refused before anything is allocated.
    """
    path = Path(path)
    architecture, names, pre = (meta.get(k) for k in ("architecture", "class_names",
                                                       "preprocessing"))
    if not isinstance(architecture, dict):
        raise _refuse(path, "corrupt telar metadata (no architecture)")
    if not (isinstance(names, list) and names and all(isinstance(c, str) for c in names)):
        raise _refuse(path, "corrupt telar metadata (no class names)")
    if not isinstance(pre, dict):
        raise _refuse(path, "corrupt telar metadata (no preprocessing)")
    shape = pre.get("input_shape")
    if shape is not None and not (isinstance(shape, list) and 1 <= len(shape) <= 4
                                  and all(_positive_int(n) for n in shape)
                                  and math.prod(shape) <= MAX_INPUT_VALUES):
        raise _refuse(path, f"bad preprocessing.input_shape {_clip(shape)} (a list of 1-4 "
                            f"positive integers, at most {MAX_INPUT_VALUES} values)")
    scale = pre.get("scale")
    if scale is not None and not (isinstance(scale, int | float) and not isinstance(scale, bool)
                                  and math.isfinite(scale) and scale > 0):
        raise _refuse(path, f"bad preprocessing.scale {_clip(scale)} (a finite positive number)")
    if pre.get("dtype") is not None and pre.get("dtype") not in _PREPROCESSING_DTYPES:
        raise _refuse(path, f"bad preprocessing.dtype {_clip(pre.get('dtype'))} (one of "
                            f"{', '.join(_PREPROCESSING_DTYPES)})")
    if pre.get("flatten") is not None and not isinstance(pre.get("flatten"), bool):
        raise _refuse(path, f"bad preprocessing.flatten {_clip(pre.get('flatten'))} "
                            "(true or false)")
    widths = _dense_widths(path, architecture)
    if widths is None:
        return
    if shape is not None and widths[0] is not None and widths[0] != math.prod(shape):
        raise _refuse(path, f"the architecture takes {widths[0]} inputs, the preprocessing "
                            f"makes {math.prod(shape)} ({' x '.join(map(str, shape))})")
    if widths[-1] is not None and widths[-1] != len(names):
        raise _refuse(path, f"the architecture has {widths[-1]} outputs for "
                            f"{len(names)} class names")
    implied = sum(a * b for a, b in zip(widths, widths[1:], strict=False)
                  if a is not None and b is not None)
    stored = sum(int(a.size) for a in arrays.values())
    if implied > stored:
        raise _refuse(path, f"architecture does not fit its weights: layer shapes of widths "
                            f"{_clip(widths)} need {implied} weights, the file holds {stored} "
                            "numbers")


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _clip(value: Any, limit: int = 60) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _dense_widths(path: Path, architecture: dict[str, Any]) -> list[int | None] | None:
    """The layer widths of a dense architecture (``None`` where it leaves one to a default),
    or ``None`` for an architecture of another kind."""
    kind = architecture.get("kind")
    if kind == "seed" or "sizes" in architecture:
        widths: list[Any] = architecture.get("sizes")  # type: ignore[assignment]
        if not isinstance(widths, list) or len(widths) < 2:
            raise _refuse(path, f"bad architecture.sizes {_clip(widths)} (a list of layer "
                                "widths, input first)")
    elif kind == "mlp":
        hidden = architecture.get("hidden", [])
        if not isinstance(hidden, list):
            raise _refuse(path, f"bad architecture.hidden {_clip(hidden)} (a list of widths)")
        widths = [architecture.get("input_size"), *hidden, architecture.get("classes")]
    else:
        return None
    if not all(w is None or _positive_int(w) for w in widths):
        raise _refuse(path, f"bad layer widths {_clip(widths)} in the architecture (positive "
                            "integers)")
    return widths


# --- checkpoints ---------------------------------------------------------------------------------

def save_checkpoint(path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write a training checkpoint (see :mod:`telar.train.checkpointing` for what goes in)."""
    save_telar_file(path, CHECKPOINT_FORMAT, meta, arrays)


def load_checkpoint(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a training checkpoint; raise ModelFileError naming the file and the reason."""
    return load_telar_file(path, CHECKPOINT_FORMAT)


# --- nested state (optimiser and schedule state dicts) ----------------------------------------

def split_state(tree: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Move the arrays of a nested dict/list into ``arrays`` (keys ``prefix/path``).

    Returns the JSON part, with ``{"__array__": key}`` where each array was. The inverse is
    :func:`join_state`. Used to store PyTorch-style optimiser state dicts without pickle.
    """
    if isinstance(tree, np.ndarray):
        arrays[prefix] = tree
        return {"__array__": prefix}
    if hasattr(tree, "data") and isinstance(tree.data, np.ndarray) \
            and not isinstance(tree, dict | list | tuple):
        arrays[prefix] = tree.data  # a Tensor: keep its values
        return {"__array__": prefix}
    if isinstance(tree, dict):
        if any(not isinstance(k, str | int) for k in tree):
            raise TypeError(f"state keys must be str or int at {prefix!r}")
        # JSON object keys are strings; remember which were ints so join_state gives them back.
        return {"__dict__": [[k, split_state(v, f"{prefix}/{k}", arrays)]
                             for k, v in tree.items()]}
    if isinstance(tree, list | tuple):
        out = [split_state(v, f"{prefix}/{i}", arrays) for i, v in enumerate(tree)]
        return {"__tuple__": out} if isinstance(tree, tuple) else out
    if isinstance(tree, np.generic):
        return tree.item()
    if tree is None or isinstance(tree, bool | int | float | str):
        return tree
    raise TypeError(f"cannot store a {type(tree).__name__} at {prefix!r} in a checkpoint")


def join_state(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Inverse of :func:`split_state`."""
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return arrays[tree["__array__"]]
        if set(tree) == {"__tuple__"}:
            return tuple(join_state(v, arrays) for v in tree["__tuple__"])
        if set(tree) == {"__dict__"}:
            return {k: join_state(v, arrays) for k, v in tree["__dict__"]}
        return {k: join_state(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [join_state(v, arrays) for v in tree]
    return tree

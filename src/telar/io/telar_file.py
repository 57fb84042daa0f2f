"""The telar file: NumPy ``.npz`` arrays + JSON metadata, never pickle.

One layout for every kind of file telar saves (model files and checkpoints,
:mod:`telar.io.model_file`; ``telar.save``, :mod:`telar.serialization`). A telar file is an
uncompressed ``.npz`` (a zip of ``.npy`` members) that holds

- ``__telar__``: a ``uint8`` array, the UTF-8 bytes of the JSON metadata;
- one member per array (names such as ``model/0.weight``, ``optim/state/0/exp_avg``).

The metadata says what the file is and lists every array with its shape, dtype and SHA-256::

    {"format": "telar-model", "format_version": 1, "telar_version": "0.1.0",
     "arrays": {"model/0.weight": {"shape": [64, 784], "dtype": "float32", "sha256": "…"}},
     …the payload: architecture, class names, preprocessing (model) or epoch, RNG and
      optimiser state (checkpoint)…}

Keeping the metadata inside the archive makes a file one unit, written atomically (temporary
file, then rename). Nested state (an optimiser's state dict) goes in through the codec of
:mod:`telar.io.state`.

Loading uses ``np.load(..., allow_pickle=False)`` and ``json.loads`` only, so it never runs code
from the file. A file that is missing, empty, not an ``.npz``, truncated, corrupt (bad zip, bad
CRC, an array whose bytes do not match its SHA-256), of another format or format version, or that
holds an object (pickled) array is refused with a :class:`~telar.errors.ModelFileError` that names
the file and the reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from telar.errors import ModelFileError
from telar.io.atomic import atomic_write
from telar.version import __version__

FORMAT_VERSION = 1
META_KEY = "__telar__"
_ZIP_MAGIC = b"PK\x03\x04"
_ALLOWED_KINDS = "biuf"  # bool, signed/unsigned integers, floats: nothing that can hold objects


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def jsonable(obj: Any) -> Any:
    """NumPy scalars to Python ones, tuples to lists, so ``json.dumps`` takes the metadata."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _members(fmt: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]
             ) -> dict[str, np.ndarray]:
    """The ``.npz`` members of a telar file: the checked arrays plus the metadata bytes."""
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
                 "telar_version": __version__, **jsonable(meta), "arrays": manifest}
    payload = json.dumps(full_meta, sort_keys=True).encode("utf-8")
    clean[META_KEY] = np.frombuffer(payload, dtype=np.uint8)
    return clean


def save_telar_file(path: str | Path, fmt: str, meta: dict[str, Any],
                    arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``meta`` as a telar file of format ``fmt``, atomically."""
    members = _members(fmt, meta, arrays)
    with atomic_write(path, "wb") as f:
        np.savez(f, **members)


def telar_file_bytes(fmt: str, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """The bytes :func:`save_telar_file` would write (for a telar file kept in memory, such as
    a pickled scikit-learn estimator's weights); :func:`read_telar_bytes` reads them."""
    buffer = io.BytesIO()
    np.savez(buffer, **_members(fmt, meta, arrays))
    return buffer.getvalue()


def refuse(path: Path, reason: str) -> ModelFileError:
    """The error for a file telar will not load: ``PATH: reason``."""
    return ModelFileError(f"{path}: {reason}")


def load_telar_file(path: str | Path, fmt: str,
                    check: Callable[[dict[str, Any]], None] | None = None,
                    ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a telar file of format ``fmt``: ``(metadata, arrays)``, or raise ModelFileError.

    Memory stays bounded by what the file really holds: every zip entry's declared size is
    capped (:data:`MAX_FILE_BYTES` in all), and each member's ``.npy`` header (shape, dtype,
    size) is checked against its zip entry and the metadata *before* its data is read.
    ``check(meta)`` runs once the metadata is read and before any array is: a model file's
    architecture is held to the arrays its manifest lists (:func:`manifest_shapes`) there.
    """
    path = Path(path)
    if not path.exists():
        raise refuse(path, "no such file")
    if not path.is_file():
        raise refuse(path, "not a file")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except PermissionError:
        raise refuse(path, "cannot read: permission denied") from None
    return _read_archive(path, path, head, fmt, check)


def read_telar_bytes(data: bytes, fmt: str, name: str = "<telar bytes>"
                     ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """:func:`load_telar_file` for a telar file held in memory; errors name it ``name``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ModelFileError(f"{name}: expected the bytes of a telar file, got "
                             f"{type(data).__name__}")
    data = bytes(data)
    return _read_archive(Path(name), io.BytesIO(data), data[:4], fmt)


def _read_archive(path: Path, source: Path | io.BytesIO, head: bytes, fmt: str,
                  check: Callable[[dict[str, Any]], None] | None = None,
                  ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The checks and reading shared by files and bytes (``path`` names the source in
    errors; ``head`` is its first four bytes; ``check`` as in :func:`load_telar_file`)."""
    try:
        if not head:
            raise refuse(path, "the file is empty")
        if head != _ZIP_MAGIC:
            raise refuse(path, f"not a telar {_kind(fmt)} file (not an .npz archive)")
        with zipfile.ZipFile(source) as archive:
            entries = _entries(path, archive)
            if META_KEY not in entries:
                raise refuse(path, f"not a telar {_kind(fmt)} file (no telar metadata in it)")
            meta = _parse_meta(path, _read_member(path, archive, entries[META_KEY], META_KEY,
                                                  None))
            _check_format(path, meta, fmt)
            manifest = meta["arrays"]
            if check is not None:  # every header first: the container's errors come first
                for name, info in entries.items():
                    if name != META_KEY:
                        _read_header(path, archive, info, name, manifest.get(name))
                check(meta)
            arrays = {name: _read_member(path, archive, info, name, manifest.get(name))
                      for name, info in entries.items() if name != META_KEY}
    except ModelFileError:
        raise
    except PermissionError:
        raise refuse(path, "cannot read: permission denied") from None
    except MemoryError:
        raise refuse(path, "too large to load in memory") from None
    except Exception as exc:  # noqa: BLE001 - what a damaged archive makes the readers raise
        # zipfile, zlib and NumPy's .npy header parser raise BadZipFile, zlib.error, EOFError,
        # OSError, ValueError, KeyError, struct.error, tokenize.TokenError, RuntimeError
        # (an encrypted member), NotImplementedError...: all mean this file is damaged
        raise refuse(path, f"corrupt or truncated file ({_short(exc)})") from None
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
            raise refuse(path, f"array {name!r} appears twice in the archive")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(path, f"array {name!r} uses an unsupported zip compression")
        total += info.file_size
        if total > MAX_FILE_BYTES:
            raise refuse(path, f"the archive declares over {MAX_FILE_BYTES >> 30} GiB of "
                                f"arrays (member {name!r} alone {info.file_size} bytes); "
                                "telar refuses it rather than fill memory")
        entries[name] = info
    return entries


def _read_header(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
                 entry: Any) -> None:
    """Check one ``.npy`` member's header against the zip entry and ``entry`` (the
    metadata's ``{"shape", "dtype"}``) without reading its data."""
    with archive.open(info) as f:
        _header(path, f, info, name, entry)


def _header(path: Path, f: Any, info: zipfile.ZipInfo, name: str,
            entry: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise refuse(path, f"array {name!r} is in .npy format version {version}")
    if dtype.hasobject:
        raise refuse(path, f"array {name!r} holds pickled Python objects; "
                            "telar never loads those")
    if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None:
        raise refuse(path, f"array {name!r} has dtype {dtype}; telar files hold numbers "
                            "only")
    n_bytes = math.prod(shape) * dtype.itemsize
    header_bytes = f.tell()
    if header_bytes + n_bytes != info.file_size:
        raise refuse(path, f"corrupt file: the header of array {name!r} declares "
                            f"{dtype.str}{list(shape)} ({n_bytes} bytes), its zip entry "
                            f"holds {info.file_size - header_bytes}")
    if entry is None:
        if n_bytes > MAX_META_BYTES or dtype != np.uint8 or len(shape) != 1:
            raise refuse(path, "corrupt telar metadata (not a byte array of at most "
                                f"{MAX_META_BYTES >> 20} MiB)")
    elif isinstance(entry, dict) and (list(shape) != entry.get("shape")
                                      or dtype.str != entry.get("dtype")):
        raise refuse(path, f"corrupt file: array {name!r} is {dtype.str}{list(shape)}, "
                            f"the metadata says {entry.get('dtype')}{entry.get('shape')}")
    return shape, fortran, dtype


def _read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
                 entry: Any) -> np.ndarray:
    """One ``.npy`` member: its header checked against the zip entry and ``entry`` (the
    metadata's ``{"shape", "dtype"}``, or ``None`` for the metadata member itself) first."""
    with archive.open(info) as f:
        shape, fortran, dtype = _header(path, f, info, name, entry)
        n_bytes = math.prod(shape) * dtype.itemsize
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
        raise refuse(path, f"corrupt telar metadata ({_short(exc)})") from None
    except RecursionError:
        meta = None  # deeper than Python's parser goes: refused just below
    if meta is None or _depth(meta) > MAX_META_DEPTH:
        raise refuse(path, f"corrupt telar metadata (nested more than {MAX_META_DEPTH} "
                            "levels deep)")
    if not isinstance(meta, dict):
        raise refuse(path, "corrupt telar metadata (not a JSON object)")
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
            raise refuse(path, f"is a {found} file, not a {fmt} file")
        raise refuse(path, f"not a telar {_kind(fmt)} file (format {found!r})")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise refuse(path, f"{fmt} format version {version!r}; this telar "
                            f"({__version__}) reads version {FORMAT_VERSION}")
    if not isinstance(meta.get("arrays"), dict):
        raise refuse(path, "corrupt telar metadata (no array list)")


def manifest_shapes(path: Path, meta: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Each array's shape as the metadata lists it (read before any array is); ModelFileError
    when an entry is not ``{"shape": [n, ...], ...}`` with counts >= 0."""
    shapes = {}
    for name, entry in meta["arrays"].items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if (not isinstance(shape, list) or len(shape) > 32 or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
            raise refuse(path, f"corrupt telar metadata for array {name!r}")
        shapes[name] = tuple(shape)
    return shapes


def _check_manifest(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    manifest: dict[str, Any] = meta["arrays"]
    missing = sorted(set(manifest) - set(arrays))
    extra = sorted(set(arrays) - set(manifest))
    if missing:
        raise refuse(path, f"corrupt file: array {missing[0]!r} is missing")
    if extra:
        raise refuse(path, f"unexpected array {extra[0]!r} not listed in the metadata")
    for name, entry in manifest.items():
        array = arrays[name]
        if not isinstance(entry, dict):
            raise refuse(path, f"corrupt telar metadata for array {name!r}")
        if list(array.shape) != entry.get("shape") or array.dtype.str != entry.get("dtype"):
            raise refuse(path, f"corrupt file: array {name!r} is {array.dtype.str}"
                                f"{list(array.shape)}, the metadata says "
                                f"{entry.get('dtype')}{entry.get('shape')}")
        if _sha256(array) != entry.get("sha256"):
            raise refuse(path, f"corrupt file: the bytes of array {name!r} do not match "
                                "their checksum")

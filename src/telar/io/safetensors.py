"""The safetensors format, read and written by telar itself (no pickle, no dependency).

A file is ``N`` (8 bytes, little-endian unsigned), an ``N``-byte JSON header, then the data::

    {"0.weight": {"dtype": "F32", "shape": [64, 784], "data_offsets": [0, 200704]}, ...,
     "__metadata__": {"format": "pt"}}

each tensor's bytes (little-endian, C order) at ``[begin, end)`` of the data, which they cover
exactly, one after another. :func:`load_safetensors` checks everything before it reads a byte
of data, so a hostile file is refused in one line (:class:`~telar.errors.ModelFileError`) and
never makes telar allocate what it claims: a header longer than the file or than
:data:`MAX_HEADER_BYTES`, JSON that is not an object of entries, an unknown dtype, a shape whose
size is not its byte range (a 100 GB shape in a small file), offsets that overlap, leave holes
or run past the end. The arrays then come from the bytes actually present.

>>> save_safetensors({"w": np.ones((2, 3), np.float32)}, "w.safetensors")  # doctest: +SKIP
>>> load_safetensors("w.safetensors")["w"].shape                           # doctest: +SKIP
(2, 3)
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from telar.errors import ConfigError, ModelFileError
from telar.io.atomic import atomic_write

#: The largest header telar reads (the reference implementation's own limit).
MAX_HEADER_BYTES = 100_000_000
#: The most dimensions an entry may have (NumPy's limit is 64).
MAX_DIMS = 32
#: safetensors dtype name -> NumPy dtype (little-endian). BF16 and the F8 kinds have no NumPy
#: dtype: such files are refused by name.
DTYPES: dict[str, np.dtype] = {name: np.dtype(code) for name, code in {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"}.items()}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}
METADATA = "__metadata__"


# --------------------------------------------------------------------------- writing
def _array(name: Any, value: Any) -> np.ndarray:
    if not isinstance(name, str) or not name or name == METADATA:
        raise ConfigError(f"save_safetensors: tensor names must be non-empty text other than "
                          f"{METADATA!r}, got {name!r}")
    if not isinstance(value, np.ndarray) and hasattr(value, "data"):
        value = value.data  # a telar Tensor or Parameter
    array = np.asarray(value)
    dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
    if dtype not in _NAMES:
        raise ConfigError(f"save_safetensors: {name}: dtype {array.dtype} has no safetensors "
                          f"name (known: {', '.join(str(d) for d in _NAMES)})")
    return np.asarray(array, dtype=dtype, order="C")  # (ascontiguousarray makes 0-d 1-d)


def save_safetensors(state_dict: Mapping[str, Any], path: str | os.PathLike[str],
                     metadata: Mapping[str, str] | None = None) -> None:
    """Write ``state_dict`` (name -> array or Tensor) to ``path`` atomically, with
    ``metadata`` (text -> text) under ``__metadata__``. Tensors are laid out by name; the
    header is padded with spaces to a multiple of 8 bytes, so the data starts aligned."""
    arrays = {name: _array(name, value) for name, value in state_dict.items()}
    header: dict[str, Any] = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ConfigError("save_safetensors: metadata must map text to text")
        header[METADATA] = dict(metadata)
    offset = 0
    for name in sorted(arrays):
        array = arrays[name]
        header[name] = {"dtype": _NAMES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with atomic_write(path) as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in sorted(arrays):
            f.write(arrays[name].reshape(-1).view(np.uint8))  # the bytes, no copy


# --------------------------------------------------------------------------- reading
def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a name appears twice ({next(k for k in keys if keys.count(k) > 1)!r})")
    return dict(pairs)


def _entry(name: str, entry: Any, data_bytes: int) -> tuple[np.dtype, tuple[int, ...], int, int]:
    """One header entry checked: ``(dtype, shape, begin, end)``; ValueError says why not."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ValueError(f"{name}: expected dtype, shape and data_offsets, got "
                         f"{sorted(entry) if isinstance(entry, dict) else type(entry).__name__}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPES:
        raise ValueError(f"{name}: unknown or unsupported dtype {str(dtype)[:20]!r} (telar "
                         f"reads {', '.join(DTYPES)})")

    def integer(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(map(integer, shape)):
        raise ValueError(f"{name}: shape must be a list of at most {MAX_DIMS} non-negative "
                         f"integers, got {str(shape)[:60]}")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(map(integer, offsets)) \
            or offsets[0] > offsets[1]:
        raise ValueError(f"{name}: data_offsets must be [begin, end] with begin <= end, got "
                         f"{str(offsets)[:60]}")
    begin, end = offsets
    if end > data_bytes:
        raise ValueError(f"{name}: data_offsets [{begin}, {end}] run past the "
                         f"{data_bytes} bytes of data")
    size = math.prod(shape) * DTYPES[dtype].itemsize  # Python integers: no overflow
    if size != end - begin:
        raise ValueError(f"{name}: shape {shape} of {dtype} needs {size} bytes, its "
                         f"data_offsets hold {end - begin}")
    return DTYPES[dtype], tuple(shape), begin, end


def _header(f: Any, path: Path) -> tuple[dict[str, Any], int]:
    """The checked header of the open file and its size (JSON included)."""
    total = os.fstat(f.fileno()).st_size
    prefix = f.read(8)
    if len(prefix) < 8:
        raise ValueError(f"{total} bytes is too short for the 8-byte header length")
    (n,) = struct.unpack("<Q", prefix)
    if n > MAX_HEADER_BYTES:
        raise ValueError(f"header length {n} exceeds the {MAX_HEADER_BYTES}-byte limit")
    if n > total - 8:
        raise ValueError(f"header length {n} runs past the end of the file "
                         f"({total} bytes)")
    raw = f.read(n)
    if not raw.startswith(b"{"):
        raise ValueError("the header is not a JSON object")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"the header is not JSON ({str(exc)[:80]})") from None
    return header, total - 8 - n


def _read_checked(path: str | os.PathLike[str], with_data: bool
                  ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            header, data_bytes = _header(f, path)
            metadata = header.pop(METADATA, {})
            if not isinstance(metadata, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
                raise ValueError(f"{METADATA} must map text to text")
            entries = {name: _entry(name, e, data_bytes) for name, e in header.items()}
            spans = sorted((begin, end, name) for name, (_, _, begin, end) in entries.items())
            position = 0
            for begin, end, name in spans:
                if begin != position:
                    what = "overlap the tensor before" if begin < position else \
                        "leave a hole after the tensor before"
                    raise ValueError(f"{name}: data_offsets [{begin}, {end}] {what} "
                                     f"(which ends at {position})")
                position = end
            if position != data_bytes:
                raise ValueError(f"the tensors cover {position} of the {data_bytes} bytes "
                                 f"of data")
            arrays: dict[str, np.ndarray] = {}
            start = f.tell()  # the data starts right after the header
            for name, (dtype, shape, begin, end) in entries.items() if with_data else ():
                f.seek(start + begin)
                buffer = bytearray(end - begin)  # no more than the file holds (checked)
                if f.readinto(buffer) != end - begin:
                    raise ValueError(f"{name}: the file ended while reading it")
                arrays[name] = np.frombuffer(buffer, dtype).reshape(shape).astype(
                    dtype.newbyteorder("="), copy=False)
    except ValueError as exc:
        raise ModelFileError(f"{path}: not a valid safetensors file: {exc}") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return arrays, metadata


def load_safetensors(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The arrays of a safetensors file by name (writable NumPy arrays, native byte order);
    ModelFileError naming the file and the first problem if it is not a valid one."""
    return _read_checked(path, with_data=True)[0]


def load_safetensors_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file (the whole header checked, no data read)."""
    return _read_checked(path, with_data=False)[1]

"""A fitted :class:`~telar.sklearn.TelarClassifier` as the bytes of a telar file.

``pickle`` calls the estimator's ``__getstate__``, which hands the fitted part to
:func:`dump_fitted`: the learner's arrays (weights, batch-norm statistics, optimiser moments)
go into a telar file (format ``telar-sklearn``: ``.npz`` members + JSON metadata,
:mod:`telar.io.telar_file`) held as one ``bytes`` value, so the pickle stream carries no
pickled ndarray (whose unpickling can run code) but a byte string only telar's reader opens,
with ``allow_pickle=False`` and its checks (sizes, checksums, numbers only). The fitted
attributes travel in the same file: numbers and lists as JSON, numeric arrays as members,
label arrays of text (``classes_`` of strings) as JSON lists with their dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from telar.io.state import decode, encode
from telar.io.telar_file import read_telar_bytes, telar_file_bytes

FORMAT = "telar-sklearn"
#: JSON scalars a label array of text may hold.
_JSON_SCALARS = (str, int, float, bool, type(None))


def _encode_labels(obj: Any, name: str, arrays: dict[str, np.ndarray]) -> Any:
    """Arrays the telar file cannot hold (strings, objects) as ``{"__labels__": [...],
    "dtype": "<U5"}``; ``None`` for everything else (the codec's own rules)."""
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "OUS":
        values = obj.tolist()
        flat = np.asarray(obj, dtype=object).ravel().tolist()
        if not all(isinstance(v, _JSON_SCALARS) for v in flat):
            raise TypeError(f"{name}: labels must be strings or numbers to be stored")
        return {"__labels__": values, "dtype": obj.dtype.str}
    return None


def _decode_labels(tree: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    if set(tree) != {"__labels__", "dtype"}:
        return None
    return np.array(tree["__labels__"], dtype=np.dtype(tree["dtype"]))


def dump_fitted(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """``meta`` (nested state: numbers, text, lists, dicts, arrays) and the learner's
    ``arrays`` as the bytes of a telar file."""
    members = {f"learner/{k}": np.asarray(v) for k, v in arrays.items()}
    tree = encode(meta, "fitted", members, _encode_labels)
    return telar_file_bytes(FORMAT, {"fitted": tree}, members)


def load_fitted(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Inverse of :func:`dump_fitted`: ``(meta, learner arrays)``; ModelFileError for bytes
    that are not a sound telar-sklearn file."""
    file_meta, members = read_telar_bytes(data, FORMAT, name="the pickled TelarClassifier")
    meta = decode(file_meta.get("fitted"), members, _decode_labels)
    arrays = {k.removeprefix("learner/"): v for k, v in members.items()
              if k.startswith("learner/")}
    return meta, arrays

"""``telar.save`` / ``telar.load``: PyTorch's calls, telar's safe file format.

``save(obj, path)`` stores dicts, lists and tuples of tensors, ndarrays, numbers, strings,
``None`` and bools (a ``state_dict()``, an optimiser's state dict, a checkpoint dict) as a telar
file: an ``.npz`` of the arrays plus JSON metadata (:mod:`telar.io.telar_file`'s writer, format
``"telar-object"``), whatever the file is called (``model.pth`` included). Loading uses
``np.load(allow_pickle=False)`` and JSON only, so it never runs code from the file; a tensor
comes back as a tensor and an ndarray as an ndarray.

A ``.pt``/``.pth`` written by PyTorch is a pickle (inside a zip since PyTorch 1.6); telar
refuses it with a message saying how to convert it, rather than unpickling.

>>> telar.save(model.state_dict(), "model.pth")               # doctest: +SKIP
>>> model.load_state_dict(telar.load("model.pth"))
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.errors import ModelFileError
from telar.io.telar_file import load_telar_file, save_telar_file

OBJECT_FORMAT = "telar-object"
_PICKLE_PROTOCOL_BYTE = 0x80
_LEGACY_TORCH_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")


def _encode(obj: Any, key: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON part of ``obj``; arrays move into ``arrays`` under ``key``."""
    if isinstance(obj, Tensor):
        arrays[key] = obj.data
        return {"__tensor__": key, "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, dict):
        if any(not isinstance(k, str | int) for k in obj):
            raise TypeError(f"telar.save: dict keys must be str or int (at {key!r})")
        return {"__dict__": [[k, _encode(v, f"{key}/{i}", arrays)]
                             for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, list | tuple):
        items = [_encode(v, f"{key}/{i}", arrays) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"telar.save stores tensors, arrays, numbers, strings and dicts/lists of "
                    f"them; got a {type(obj).__name__} at {key!r} (save its state_dict())")


def _decode(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(tree, list):
        return [_decode(v, arrays) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__tensor__" in tree:
        value = Tensor(arrays[tree["__tensor__"]])
        if tree.get("requires_grad"):
            value.requires_grad_(True)
        return value
    if "__array__" in tree:
        return arrays[tree["__array__"]]
    if "__tuple__" in tree:
        return tuple(_decode(v, arrays) for v in tree["__tuple__"])
    if "__dict__" in tree:
        return {k: _decode(v, arrays) for k, v in tree["__dict__"]}
    raise ModelFileError(f"unknown entry in a telar object file: {sorted(tree)}")


def save(obj: Any, f: str | os.PathLike[str], pickle_module: Any = None,
         pickle_protocol: int | None = None, **kwargs: Any) -> None:
    """Write ``obj`` to ``f`` atomically (see the module docstring for what it may hold).

    ``pickle_module``/``pickle_protocol`` are accepted for PyTorch compatibility and ignored:
    nothing is pickled.
    """
    if not isinstance(f, str | os.PathLike):
        raise TypeError("telar.save writes to a path (str or os.PathLike), not a file object")
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, "obj", arrays)
    save_telar_file(f, OBJECT_FORMAT, {"object": tree}, arrays)


def load(f: str | os.PathLike[str], map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = True, mmap: bool | None = None, **kwargs: Any) -> Any:
    """Read what :func:`save` wrote. Never unpickles: ``weights_only`` is always in effect.

    Raises :class:`telar.errors.ModelFileError` for a missing, corrupt or foreign file (a
    PyTorch pickle included), naming the file and the reason.
    """
    if map_location is not None:
        from telar.engine.devices import check_device

        if not callable(map_location) and not isinstance(map_location, dict):
            check_device(map_location)
    path = Path(f)
    _refuse_pytorch_file(path)
    meta, arrays = load_telar_file(path, OBJECT_FORMAT)
    return _decode(meta.get("object"), arrays)


def _refuse_pytorch_file(path: Path) -> None:
    if not path.is_file():
        return  # load_telar_file names the problem
    with open(path, "rb") as fh:
        head = fh.read(16)
    how = ("telar never unpickles (it could run code). Convert it in PyTorch: "
           "`np.savez('weights.npz', **{k: v.numpy() for k, v in "
           "torch.load(path, weights_only=True).items()})`, then load the arrays with "
           "np.load and model.load_state_dict(...)")
    if head[:1] == bytes([_PICKLE_PROTOCOL_BYTE]) or head.startswith(_LEGACY_TORCH_MAGIC):
        raise ModelFileError(f"{path}: a pickle file (PyTorch's legacy format); {how}")
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            raise ModelFileError(f"{path}: a PyTorch file (a zip holding data.pkl, a pickle); "
                                 f"{how}")

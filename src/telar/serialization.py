"""``telar.save`` / ``telar.load``: PyTorch's calls, telar's safe file format.

``save(obj, path)`` stores dicts, lists and tuples of tensors, ndarrays, numbers, strings,
``None`` and bools (a ``state_dict()``, an optimiser's state dict, a checkpoint dict) as a telar
file: an ``.npz`` of the arrays plus JSON metadata (:mod:`telar.io.telar_file`, format
``"telar-object"``, the tree encoded by :mod:`telar.io.state`), whatever the file is called
(``model.pth`` included). Loading uses
``np.load(allow_pickle=False)`` and JSON only, so it never runs code from the file; a tensor
comes back as a tensor and an ndarray as an ndarray.

A ``.pt``/``.pth`` written by PyTorch is a pickle (inside a zip since PyTorch 1.6); telar
refuses it with a message saying how to convert it, rather than unpickling.

>>> telar.save(model.state_dict(), "model.pth")               # doctest: +SKIP
>>> model.load_state_dict(telar.load("model.pth"))
"""

from __future__ import annotations

import functools
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.array import to_host
from telar.engine.devices import as_device, device
from telar.errors import ModelFileError
from telar.io.model_file import MODEL_FORMAT
from telar.io.state import array_named, decode, encode, store
from telar.io.telar_file import load_telar_file, save_telar_file

OBJECT_FORMAT = "telar-object"
_PICKLE_PROTOCOL_BYTE = 0x80
_LEGACY_TORCH_MAGIC = (0x1950A86A20F9469CFC6C).to_bytes(10, "little")


def _encode_tensor(obj: Any, name: str, arrays: dict[str, np.ndarray]) -> Any:
    """A tensor keeps its kind in the file: ``{"__tensor__": name, "requires_grad": ...}``;
    its values are written from the host, so the file is the same whichever device held it."""
    if isinstance(obj, Tensor):
        return {"__tensor__": store(to_host(obj.array), name, arrays),
                "requires_grad": obj.requires_grad}
    return None


def _decode_tensor(tree: dict[str, Any], arrays: dict[str, np.ndarray],
                   target: device | None = None) -> Tensor | None:
    if "__tensor__" not in tree:
        return None
    values = array_named(tree["__tensor__"], arrays)
    value = Tensor(values if target is None else target.put(values))
    if tree.get("requires_grad"):
        value.requires_grad_(True)
    return value


def save(obj: Any, f: str | os.PathLike[str], pickle_module: Any = None,
         pickle_protocol: int | None = None, **kwargs: Any) -> None:
    """Write ``obj`` to ``f`` atomically (see the module docstring for what it may hold).

    ``pickle_module``/``pickle_protocol`` are accepted for PyTorch compatibility and ignored:
    nothing is pickled.
    """
    if not isinstance(f, str | os.PathLike):
        raise TypeError("telar.save writes to a path (str or os.PathLike), not a file object")
    arrays: dict[str, np.ndarray] = {}
    try:
        tree = encode(obj, "obj", arrays, _encode_tensor)
    except TypeError as exc:
        raise TypeError(f"telar.save stores tensors, arrays, numbers, strings and dicts/lists "
                        f"of them ({exc}; save a model's state_dict())") from None
    save_telar_file(f, OBJECT_FORMAT, {"object": tree}, arrays)


def load(f: str | os.PathLike[str], map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = True, mmap: bool | None = None, **kwargs: Any) -> Any:
    """Read what :func:`save` wrote. Never unpickles: ``weights_only`` is always in effect.

    Raises :class:`telar.errors.ModelFileError` for a missing, corrupt or foreign file (a
    PyTorch pickle included), naming the file and the reason.
    """
    target = None  # map_location "cuda" puts the tensors on the GPU; a dict or callable: CPU
    if map_location is not None:
        if not callable(map_location) and not isinstance(map_location, dict):
            target = as_device(map_location)
    path = Path(f)
    _refuse_pytorch_file(path)
    try:
        meta, arrays = load_telar_file(path, OBJECT_FORMAT)
    except ModelFileError as exc:
        if f"is a {MODEL_FORMAT} file" in str(exc):  # a run's model.npz: say what reads it
            raise ModelFileError(f"{path}: a trained model (telar train's model file), not "
                                 "an object telar.save wrote; load it with "
                                 "telar.load_predictor(path): .predict(images) gives class "
                                 "names, .network is the model") from None
        raise
    return decode(meta.get("object"), arrays, functools.partial(_decode_tensor, target=target))


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
        except Exception:  # noqa: BLE001 - damaged: load_telar_file names the problem
            return
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            raise ModelFileError(f"{path}: a PyTorch file (a zip holding data.pkl, a pickle); "
                                 f"{how}")

"""Devices, PyTorch-style: ``cpu`` (NumPy) and ``cuda`` (CuPy, where it and a GPU exist).

A tensor's device is where its array lives (:func:`telar.engine.array.device_of`). Asking for
``cuda`` where CuPy or a GPU is missing raises a one-line error saying which and how to install
it; any other device type raises (rather than silently running somewhere else). An operation
on tensors of two devices raises PyTorch's error (:func:`check_same_device`).
"""

from __future__ import annotations

from typing import Any

from telar.engine.array import device_of, host, require_cuda, to_device
from telar.engine.dtypes import is_dtype


class device:  # noqa: N801 - PyTorch's name
    """``telar.device("cpu")``; ``type`` and ``index`` as in ``torch.device``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index  # noqa: A001
        kind, _, number = str(type).partition(":")
        self.type = kind
        self.index = int(number) if number else index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def put(self, array: Any) -> Any:
        """``array`` on this device (itself when it is there already)."""
        return to_device(array, self.type, self.index)


CPU = device("cpu")


def as_device(where: Any) -> device | None:
    """``where`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``, a :class:`device`, or a GPU index as
    an int) as a :class:`device`, ``None`` for ``None``. ``cuda`` needs CuPy and a GPU
    (:class:`~telar.engine.array.CudaUnavailableError` says which is missing); other types
    raise ``RuntimeError``."""
    if where is None:
        return None
    if isinstance(where, int) and not isinstance(where, bool):
        where = device("cuda", where)
    if not isinstance(where, str | device):
        raise TypeError(f"expected a device such as 'cpu' or 'cuda', got {where!r}")
    chosen = device(where)
    if chosen.type == "cpu":
        return CPU
    if chosen.type == "cuda":
        require_cuda()
        return device("cuda", chosen.index or 0)
    raise RuntimeError(f"telar runs on 'cpu' (NumPy) or 'cuda' (CuPy); device {str(where)!r} "
                       "is not supported")


def check_device(where: Any) -> None:
    """Raise unless ``where`` is ``None`` or a device telar can use here (:func:`as_device`)."""
    as_device(where)


def device_of_array(a: Any) -> device:
    """The :class:`device` an array lives on."""
    kind, index = device_of(a)
    return CPU if kind == "cpu" else device(kind, index)


def check_same_device(*arrays: Any) -> None:
    """PyTorch's error for an operation whose tensors live on different devices. Arrays of
    one type need no look (the common case costs one ``type()`` per array)."""
    first = type(arrays[0])
    if all(type(a) is first for a in arrays[1:]):
        return
    found = []
    for a in arrays:
        if a is None or isinstance(a, int | float):
            continue
        where = str(device_of_array(a))
        if where == "cuda":
            where = "cuda:0"
        if where not in found:
            found.append(where)
    if len(found) > 1:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {found[1] if found[0] == 'cpu' else found[0]} and "
                           f"{found[0] if found[0] == 'cpu' else found[1]}!")


def to_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[device | None, Any]:
    """The device and dtype asked for by ``.to(...)``'s arguments (``None`` for either not
    named): ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other_tensor)`` (its
    device and dtype) and the keywords ``device``, ``dtype``, ``non_blocking``, ``copy``."""
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", None)
    target = as_device(kwargs.pop("device", None))
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, type | host.dtype):  # checked first: `tensor in (float, ...)`
            if not is_dtype(arg):                # would compare element-wise
                raise TypeError(f"to() got an unknown dtype {arg!r}")
            dtype = arg
        elif not isinstance(arg, str | device | int) and hasattr(arg, "dtype"):
            dtype = arg.dtype  # another tensor: take its dtype and device
            target = getattr(arg, "device", target)
        else:
            target = as_device(arg)
    return target, dtype

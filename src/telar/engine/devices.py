"""Devices, PyTorch-style. telar computes with NumPy on the CPU, so ``cpu`` is the only device;
``telar.cuda.is_available()`` and ``telar.accelerator.is_available()`` answer False, and asking
for another device raises (rather than silently running somewhere else).
"""

from __future__ import annotations

from typing import Any

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


CPU = device("cpu")


def check_device(where: Any) -> None:
    """Accept ``None``, ``"cpu"``/``device("cpu")`` (or an int/str of a CPU device); raise
    ``RuntimeError`` for any other device, as PyTorch does without that backend."""
    if where is None:
        return
    if isinstance(where, str | device):
        kind = device(where).type
        if kind == "cpu":
            return
        raise RuntimeError(f"telar runs on the CPU (NumPy); device {str(where)!r} is not "
                           "available (telar.cuda.is_available() is False)")
    raise TypeError(f"expected a device such as 'cpu', got {where!r}")


def to_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The dtype asked for by ``.to(...)``'s arguments (``None`` for none), after checking that
    any device named is the CPU: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
    ``to(other_tensor)`` and the keywords ``device``, ``dtype``, ``non_blocking``, ``copy``."""
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", None)
    check_device(kwargs.pop("device", None))
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if is_dtype(arg):
            dtype = arg
        elif not isinstance(arg, str | device | type) and hasattr(arg, "dtype"):
            dtype = arg.dtype  # another tensor: take its dtype
        else:
            check_device(arg)
    return dtype

"""``telar.Size`` and the dtype a tensor reports: PyTorch's printed forms.

``x.size()`` and ``x.shape`` are a :class:`Size`, a tuple that prints as ``telar.Size([2, 3])``
(PyTorch's ``torch.Size([2, 3])``) and still equals ``(2, 3)``. ``x.dtype`` is a
:class:`DType`, which prints as ``telar.float32`` and compares equal to NumPy's dtype and to
``telar.float32`` (NumPy's scalar type); NumPy accepts it wherever a dtype goes (it reads its
``dtype`` attribute), and it answers the NumPy dtype's attributes (``kind``, ``itemsize``...).

>>> import telar
>>> telar.zeros(2, 3).size(), telar.zeros(1).dtype
(telar.Size([2, 3]), telar.float32)
"""

from __future__ import annotations

from typing import Any

from telar.engine.array import host


class Size(tuple):  # noqa: SLOT001 - a tuple with PyTorch's printed form
    """A shape: a tuple of ints printed as ``telar.Size([...])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"telar.Size([{', '.join(str(n) for n in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of values a tensor of this shape holds."""
        count = 1
        for n in self:
            count *= n
        return count


class DType:
    """A tensor's dtype as PyTorch prints it (``telar.float32``), over NumPy's ``dtype``."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        self.dtype = host.dtype(dtype)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, DType):
            return self.dtype == other.dtype
        try:
            return bool(self.dtype == host.dtype(other))
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __repr__(self) -> str:
        return f"telar.{'bool' if self.dtype.kind == 'b' else self.dtype.name}"

    __str__ = __repr__

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.dtype, name)

    def __reduce__(self) -> Any:
        return (DType, (self.dtype.str,))


_DTYPES: dict[Any, DType] = {}


def dtype_of(dtype: Any) -> DType:
    """The (shared) :class:`DType` of a NumPy dtype."""
    found = _DTYPES.get(dtype)
    if found is None:
        found = _DTYPES[dtype] = DType(dtype)
    return found


__all__ = ["Size", "DType", "dtype_of"]

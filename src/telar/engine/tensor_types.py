"""PyTorch's legacy tensor types: ``telar.FloatTensor([1, 2])``, ``x.type(telar.LongTensor)``,
``isinstance(x, telar.FloatTensor)``.

Each type names a dtype. Calling it builds a tensor of that dtype: from data
(``FloatTensor([[1, 2]])``, ``FloatTensor(ndarray)``), or, given sizes, an uninitialised one
(``FloatTensor(2, 3)``, zeros here: NumPy's ``empty`` would show garbage); ``isinstance`` checks
the dtype, as in PyTorch. :meth:`Tensor.type` accepts them.

>>> import telar
>>> telar.FloatTensor([1, 2]).dtype
dtype('float32')
"""

from __future__ import annotations

from typing import Any

from telar.engine.array import xp
from telar.engine.dtypes import TYPE_NAMES
from telar.engine.tensor import Tensor


class LegacyTensorType(type):
    """The metaclass: ``isinstance(x, FloatTensor)`` is ``x.dtype == float32``."""

    dtype: Any

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and instance.array.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'telar.{cls.__name__}'>"


def _legacy_new(cls: LegacyTensorType, *args: Any) -> Tensor:
    if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return Tensor(xp.zeros(args, dtype=cls.dtype))
    if len(args) == 1 and isinstance(args[0], tuple) and all(isinstance(a, int) for a in args[0]):
        return Tensor(xp.zeros(args[0], dtype=cls.dtype))  # FloatTensor(x.size())
    if len(args) > 1:
        raise TypeError(f"{cls.__name__}() takes sizes (ints) or one sequence of values, "
                        f"got {args!r:.60}")
    if not args:
        return Tensor(xp.zeros((0,), dtype=cls.dtype))
    data = args[0].array if isinstance(args[0], Tensor) else args[0]
    return Tensor(xp.array(data, dtype=cls.dtype))


def _make(name: str, dtype: Any) -> LegacyTensorType:
    return LegacyTensorType(name, (), {"dtype": xp.dtype(dtype), "__new__": _legacy_new,
                                        "__doc__": f"A {xp.dtype(dtype).name} tensor "
                                                   f"(PyTorch's legacy ``{name}``)."})


#: name -> type, for every dtype with a legacy name (``FloatTensor``... ``BoolTensor``).
TENSOR_TYPES: dict[str, LegacyTensorType] = {
    type_name: _make(type_name, dtype_name) for dtype_name, type_name in TYPE_NAMES.items()}
FloatTensor = TENSOR_TYPES["FloatTensor"]
DoubleTensor = TENSOR_TYPES["DoubleTensor"]
HalfTensor = TENSOR_TYPES["HalfTensor"]
LongTensor = TENSOR_TYPES["LongTensor"]
IntTensor = TENSOR_TYPES["IntTensor"]
ShortTensor = TENSOR_TYPES["ShortTensor"]
CharTensor = TENSOR_TYPES["CharTensor"]
ByteTensor = TENSOR_TYPES["ByteTensor"]
BoolTensor = TENSOR_TYPES["BoolTensor"]


def legacy_dtype(kind: Any) -> Any:
    """The dtype a ``type()`` argument names: a legacy type, its name as a string
    (``"torch.FloatTensor"``, ``"telar.FloatTensor"``), or a dtype (returned as it is)."""
    if isinstance(kind, LegacyTensorType):
        return kind.dtype
    if isinstance(kind, str):
        name = kind.rsplit(".", 1)[-1]
        if name not in TENSOR_TYPES:
            raise ValueError(f"invalid type: {kind!r} (expected e.g. 'torch.FloatTensor')")
        return TENSOR_TYPES[name].dtype
    return kind


__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
           "CharTensor", "ByteTensor", "BoolTensor", "LegacyTensorType", "legacy_dtype"]

"""PyTorch's dtype names (``telar.float32``, ``telar.long``...) and how to recognise a dtype.

They are NumPy's scalar types, so ``x.dtype == telar.float32`` and ``np.zeros(3, telar.long)``
both work. Floating-point tensors default to float32, PyTorch's default dtype.
"""

from __future__ import annotations

import builtins
from typing import Any

from telar.engine.array import host
from telar.engine.size import DType

float32 = float = host.float32  # noqa: A001 - PyTorch's names
float64 = double = host.float64
float16 = half = host.float16
int64 = long = host.int64
int32 = int = host.int32  # noqa: A001
int16 = short = host.int16
int8 = host.int8
uint8 = host.uint8
bool = host.bool_  # noqa: A001
dtype = host.dtype

#: Every dtype name above, as ``telar.<name>`` exposes it.
DTYPE_NAMES = ("float32", "float", "float64", "double", "float16", "half", "int64", "long",
               "int32", "int", "int16", "short", "int8", "uint8", "bool")

#: NumPy dtype name -> PyTorch's legacy tensor type name (``x.type()``).
TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
              "int32": "IntTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
              "float16": "HalfTensor", "int16": "ShortTensor", "int8": "CharTensor"}


def is_dtype(value: Any) -> builtins.bool:
    """Whether ``value`` names a dtype: a NumPy dtype or scalar type, or Python's ``float``,
    ``int`` or ``bool`` (as ``.to(float)`` accepts)."""
    if isinstance(value, host.dtype | DType):  # DType: what ``tensor.dtype`` gives
        return True
    if isinstance(value, type) and issubclass(value, host.generic):
        return True
    return value in (builtins.float, builtins.int, builtins.bool)


__all__ = [*DTYPE_NAMES, "dtype"]

"""Element-wise functions beyond arithmetic: trigonometric, hyperbolic, ``log1p``, ``round``.

Each computes its output with the array module and records its derivative beside it, as in
:mod:`telar.engine.arithmetic` (``dx = g * f'(x)``):

- ``sin' = cos``, ``cos' = -sin``, ``tan' = 1 + tan^2``;
- ``asin' = 1 / sqrt(1 - x^2)``, ``acos' = -1 / sqrt(1 - x^2)``, ``atan' = 1 / (1 + x^2)``;
- ``sinh' = cosh``, ``cosh' = sinh`` (``tanh`` is an activation);
- ``asinh' = 1 / sqrt(x^2 + 1)``, ``acosh' = 1 / sqrt(x^2 - 1)``, ``atanh' = 1 / (1 - x^2)``;
- ``log1p' = 1 / (1 + x)`` (``log(1 + x)`` accurate for tiny ``x``), ``expm1' = e^x``;
- ``round`` is piecewise constant: its gradient is 0 (as PyTorch's), half to even.

>>> import telar
>>> telar.sin(telar.tensor([0.0])).item()
0.0
"""

from __future__ import annotations

from telar.engine.array import xp
from telar.engine.tensor import Tensor, make_result


def sin(x: Tensor) -> Tensor:
    """``sin x``; ``dx = g cos x``."""
    xd = x.array
    return make_result(xp.sin(xd), (x,), lambda g: (g * xp.cos(xd),))


def cos(x: Tensor) -> Tensor:
    """``cos x``; ``dx = -g sin x``."""
    xd = x.array
    return make_result(xp.cos(xd), (x,), lambda g: (-g * xp.sin(xd),))


def tan(x: Tensor) -> Tensor:
    """``tan x``; ``dx = g (1 + tan^2 x)``."""
    out = xp.tan(x.array)
    return make_result(out, (x,), lambda g: (g * (1 + out * out),))


def asin(x: Tensor) -> Tensor:
    """``arcsin x``; ``dx = g / sqrt(1 - x^2)``."""
    xd = x.array
    return make_result(xp.arcsin(xd), (x,), lambda g: (g / xp.sqrt(1 - xd * xd),))


def acos(x: Tensor) -> Tensor:
    """``arccos x``; ``dx = -g / sqrt(1 - x^2)``."""
    xd = x.array
    return make_result(xp.arccos(xd), (x,), lambda g: (-g / xp.sqrt(1 - xd * xd),))


def atan(x: Tensor) -> Tensor:
    """``arctan x``; ``dx = g / (1 + x^2)``."""
    xd = x.array
    return make_result(xp.arctan(xd), (x,), lambda g: (g / (1 + xd * xd),))


def sinh(x: Tensor) -> Tensor:
    """``sinh x``; ``dx = g cosh x``."""
    xd = x.array
    return make_result(xp.sinh(xd), (x,), lambda g: (g * xp.cosh(xd),))


def cosh(x: Tensor) -> Tensor:
    """``cosh x``; ``dx = g sinh x``."""
    xd = x.array
    return make_result(xp.cosh(xd), (x,), lambda g: (g * xp.sinh(xd),))


def asinh(x: Tensor) -> Tensor:
    """``arsinh x``; ``dx = g / sqrt(x^2 + 1)``."""
    xd = x.array
    return make_result(xp.arcsinh(xd), (x,), lambda g: (g / xp.sqrt(xd * xd + 1),))


def acosh(x: Tensor) -> Tensor:
    """``arcosh x`` (``x >= 1``); ``dx = g / sqrt(x^2 - 1)``."""
    xd = x.array
    return make_result(xp.arccosh(xd), (x,), lambda g: (g / xp.sqrt(xd * xd - 1),))


def atanh(x: Tensor) -> Tensor:
    """``artanh x`` (``|x| < 1``); ``dx = g / (1 - x^2)``."""
    xd = x.array
    return make_result(xp.arctanh(xd), (x,), lambda g: (g / (1 - xd * xd),))


def log1p(x: Tensor) -> Tensor:
    """``ln(1 + x)``; ``dx = g / (1 + x)``."""
    xd = x.array
    return make_result(xp.log1p(xd), (x,), lambda g: (g / (1 + xd),))


def expm1(x: Tensor) -> Tensor:
    """``e^x - 1``; ``dx = g e^x``."""
    out = xp.expm1(x.array)
    return make_result(out, (x,), lambda g: (g * (out + 1),))


def round(x: Tensor, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """``x`` rounded half to even (to ``decimals`` places); ``dx = 0``."""
    return make_result(xp.round(x.array, decimals), (x,), lambda g: (xp.zeros_like(g),))


__all__ = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
           "atanh", "log1p", "expm1", "round"]

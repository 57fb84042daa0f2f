"""Weight initialisers, seeded through an explicit ``numpy.random.Generator``.

For a weight of shape ``(n_out, n_in)``:

- ``xavier_report``: the report's Xavier, ``W = N(0, 1) * sqrt(2 / (n_in + n_out))``
  (normal, variance ``2 / (n_in + n_out)``; Glorot & Bengio's normal variant).
- ``xavier_uniform``: ``U(-a, a)``, ``a = sqrt(6 / (n_in + n_out))`` (same variance).
- ``he_normal``: ``N(0, 2 / n_in)`` (He et al., for ReLU).
- ``he_uniform``: ``U(-a, a)``, ``a = sqrt(6 / n_in)``.
- ``pytorch``: ``U(-1/sqrt(n_in), 1/sqrt(n_in))``, PyTorch's default for ``nn.Linear``
  (``kaiming_uniform_(w, a=sqrt(5))``), and ``nn.Linear``'s default here too.

Below them, PyTorch's in-place initialisers (``kaiming_uniform_``, ``xavier_normal_``,
``zeros_``, ...): they overwrite a tensor's values, drawing from ``generator`` or else telar's
default generator (seeded by :func:`telar.manual_seed`), and return the tensor::

    def init_weights(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, std=0.01)
    net.apply(init_weights)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from telar.constraints import OneOf
from telar.engine.init_mode import init_skipped
from telar.engine.random import as_rng
from telar.errors import ConfigError

Initialiser = Callable[[tuple[int, int], np.random.Generator, np.dtype], np.ndarray]


def xavier_report(shape: tuple[int, int], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    n_out, n_in = shape
    return (rng.standard_normal(shape) * math.sqrt(2.0 / (n_in + n_out))).astype(dtype)


def xavier_uniform(shape: tuple[int, int], rng: np.random.Generator,
                   dtype=np.float32) -> np.ndarray:
    n_out, n_in = shape
    a = math.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=shape).astype(dtype)


def he_normal(shape: tuple[int, int], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    return (rng.standard_normal(shape) * math.sqrt(2.0 / shape[1])).astype(dtype)


def he_uniform(shape: tuple[int, int], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    a = math.sqrt(6.0 / shape[1])
    return rng.uniform(-a, a, size=shape).astype(dtype)


def pytorch_default(shape: tuple[int, int], rng: np.random.Generator,
                    dtype=np.float32) -> np.ndarray:
    a = 1.0 / math.sqrt(shape[1])
    return rng.uniform(-a, a, size=shape).astype(dtype)


INITIALISERS: dict[str, Initialiser] = {
    "xavier_report": xavier_report,
    "xavier_uniform": xavier_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "pytorch": pytorch_default,
}
#: The name of an initialiser of :data:`INITIALISERS` (the dense spec, ``--init``, layers).
INIT = OneOf(INITIALISERS)


def _undrawn(shape: tuple[int, int], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    return np.zeros(shape, dtype)


def get_initialiser(name: str | Initialiser) -> Initialiser:
    """The initialiser called ``name`` (or ``name`` itself when it is already a function);
    inside :func:`telar.engine.init_mode.skip_init`, one that leaves the weights at zero."""
    if init_skipped():
        return _undrawn
    if callable(name):
        return name
    try:
        return INITIALISERS[name]
    except KeyError:
        raise ConfigError(f"unknown initialiser {name!r}; choose one of "
                          f"{', '.join(INITIALISERS)}") from None


# --------------------------------------------------------------------------- in place (PyTorch)
def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gains: 1 (linear, sigmoid), 5/3 (tanh), sqrt(2) (relu),
    sqrt(2 / (1 + a^2)) (leaky_relu with slope ``a``, default 0.01), 3/4 (selu)."""
    if nonlinearity in ("linear", "identity", "sigmoid") or nonlinearity.startswith("conv"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    """``fan_in = shape[1] * receptive``, ``fan_out = shape[0] * receptive`` where
    ``receptive`` is the product of the dimensions after the first two (conv kernels)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("fan in and fan out need a tensor of at least 2 dimensions")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Any, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Any, values: np.ndarray | float) -> Any:
    tensor.array[...] = values  # in place: optimisers and views keep their references
    return tensor


def _rng(generator: Any) -> np.random.Generator:
    return as_rng(generator)


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
    """``U(a, b)``."""
    return _fill(tensor, _rng(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
    """``N(mean, std^2)``."""
    return _fill(tensor, _rng(generator).normal(mean, std, size=tensor.shape))


def constant_(tensor: Any, val: float) -> Any:
    return _fill(tensor, val)


def zeros_(tensor: Any) -> Any:
    return _fill(tensor, 0.0)


def ones_(tensor: Any) -> Any:
    return _fill(tensor, 1.0)


def xavier_uniform_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    """``U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    """``N(0, std^2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Any:
    """``U(-b, b)``, ``b = gain * sqrt(3 / fan)`` (He et al.); ``gain`` from
    :func:`calculate_gain` with slope ``a``. ``a = sqrt(5)`` gives nn.Linear's default."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Any, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Any:
    """``N(0, std^2)``, ``std = gain / sqrt(fan)``."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Any:
    """``N(mean, std^2)`` redrawn until inside ``[a, b]`` (rejection sampling)."""
    rng = _rng(generator)
    out = rng.normal(mean, std, size=tensor.shape)
    bad = (out < a) | (out > b)
    while bad.any():
        out[bad] = rng.normal(mean, std, size=int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, out)

"""Weight initialisers, seeded through an explicit ``numpy.random.Generator``.

For a weight of shape ``(n_out, n_in)``:

- ``xavier_report``: the report's Xavier, ``W = N(0, 1) * sqrt(2 / (n_in + n_out))``
  (normal, variance ``2 / (n_in + n_out)``; Glorot & Bengio's normal variant).
- ``xavier_uniform``: ``U(-a, a)``, ``a = sqrt(6 / (n_in + n_out))`` (same variance).
- ``he_normal``: ``N(0, 2 / n_in)`` (He et al., for ReLU).
- ``he_uniform``: ``U(-a, a)``, ``a = sqrt(6 / n_in)``.
- ``pytorch``: ``U(-1/sqrt(n_in), 1/sqrt(n_in))``, PyTorch's default for ``nn.Linear``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

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


def get_initialiser(name: str | Initialiser) -> Initialiser:
    """The initialiser called ``name`` (or ``name`` itself when it is already a function)."""
    if callable(name):
        return name
    try:
        return INITIALISERS[name]
    except KeyError:
        raise ConfigError(f"unknown initialiser {name!r}; choose one of "
                          f"{', '.join(INITIALISERS)}") from None

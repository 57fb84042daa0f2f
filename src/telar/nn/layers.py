"""Layers: ``Linear``, ``Dropout``, ``BatchNorm1d``, ``Flatten``, ``Unflatten``, ``Identity``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from telar.constraints import DROPOUT
from telar.engine import Tensor
from telar.engine import functional as F
from telar.engine.array import xp
from telar.engine.devices import as_device
from telar.engine.random import as_rng
from telar.errors import ConfigError
from telar.nn.init import Initialiser, get_initialiser
from telar.nn.module import Module, Parameter


class Linear(Module):
    """``y = x @ W^T + b`` with ``W`` of shape ``(out_features, in_features)`` (PyTorch's layout).

    The default ``init="pytorch"`` is PyTorch's: ``W, b ~ U(-1/sqrt(in), 1/sqrt(in))``
    (``kaiming_uniform_(W, a=sqrt(5))``), drawn in PyTorch's order (weight, then bias), so
    unchanged PyTorch code trains the same way. The arguments are PyTorch's, in its order
    (``bias``, ``device``, ``dtype``: float32 when None), so a subclass passing them on works;
    telar's own are keyword-only: ``init``, a named initialiser (``"xavier_report"``,
    ``"he_normal"``, ...) that sets the weight and zeros the bias, and ``rng``, a Generator or
    a seed (``None`` draws from telar's default generator, :func:`telar.manual_seed`).

    >>> layer = Linear(784, 64, init="he_normal", rng=0)   # doctest: +SKIP
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None, *, init: str | Initialiser = "pytorch",
                 rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        target = as_device(device)  # checked first; the weights are drawn on the host
        dtype = np.float32 if dtype is None else dtype
        if in_features < 1 or out_features < 1:
            raise ConfigError(f"Linear needs positive sizes, got {in_features} -> {out_features}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.init_name = init if isinstance(init, str) else getattr(init, "__name__", "custom")
        generator = as_rng(rng)
        weight = get_initialiser(init)((out_features, in_features), generator, dtype)
        self.weight = Parameter(weight)
        if not bias:
            self.bias = None
        elif init == "pytorch":
            bound = 1.0 / math.sqrt(in_features)
            self.bias = Parameter(generator.uniform(-bound, bound, out_features).astype(dtype))
        else:
            self.bias = Parameter(xp.zeros(out_features, dtype=dtype))
        if target is not None:
            self.to_device(target)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"{self.in_features}, {self.out_features}, bias={self.bias is not None}, "
                f"init={self.init_name!r}")


class Dropout(Module):
    """Inverted dropout with probability ``p``, active only in training mode.

    ``generator`` is the layer's own ``numpy.random.Generator``; save and restore
    ``generator.bit_generator.state`` to resume a run bit for bit.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        self.p: float = DROPOUT.check(p, f"{type(self).__name__} p")
        self.generator = as_rng(rng)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, rng=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Batch normalisation of ``(N, C)`` features (PyTorch's ``BatchNorm1d``).

    ``out = gamma * (x - mean) / sqrt(var + eps) + beta``: batch statistics in training (and
    running averages updated with ``momentum``), the running averages in evaluation. The
    running statistics are buffers, so they are part of ``state_dict()``.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, dtype: Any = np.float32) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), float(momentum)
        self.weight = Parameter(xp.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(xp.zeros(num_features, dtype=dtype)) if affine else None
        self.register_buffer("running_mean", xp.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", xp.ones(num_features, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return F.batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var,
                            self.training, self.momentum, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class Flatten(Module):
    """Merge dimensions ``start_dim..end_dim`` into one (PyTorch's defaults: 1 and -1).

    ``(N, d1, d2, ...) -> (N, d1*d2*...)``; images ``(N, 28, 28)`` become ``(N, 784)``.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Tensor) -> Tensor:
        shape = x.array.shape
        start, end = self.start_dim % len(shape), self.end_dim % len(shape)
        if end <= start:
            return x
        merged = 1
        for size in shape[start:end + 1]:
            merged *= size
        return F.reshape(x, (*shape[:start], merged, *shape[end + 1:]))

    def extra_repr(self) -> str:
        return "" if (self.start_dim, self.end_dim) == (1, -1) else \
            f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension ``dim`` into ``sizes`` (PyTorch's ``Unflatten``): rows of 784 pixels
    ``(N, 784)`` become images ``(N, 1, 28, 28)`` with ``Unflatten(1, (1, 28, 28))``."""

    def __init__(self, dim: int, sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.dim, self.sizes = int(dim), tuple(int(s) for s in sizes)

    def forward(self, x: Tensor) -> Tensor:
        shape = x.array.shape
        dim = self.dim % len(shape)
        return F.reshape(x, (*shape[:dim], *self.sizes, *shape[dim + 1:]))

    def extra_repr(self) -> str:
        return f"{self.dim}, {self.sizes}"


class Identity(Module):
    """Returns its input (a placeholder layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x

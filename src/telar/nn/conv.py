"""Convolutional layers (PyTorch's names and semantics, NCHW): ``Conv2d``, ``MaxPool2d``,
``AvgPool2d``, ``AdaptiveAvgPool2d``, ``BatchNorm2d``, ``Dropout2d``.

Thin modules over :mod:`telar.engine.conv`, :mod:`telar.engine.pooling` and
:mod:`telar.engine.normalisation`, where the formulas and backward rules live.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine import functional as F
from telar.engine.array import xp
from telar.engine.random import as_rng
from telar.engine.windows import output_size
from telar.engine.windows import pair as engine_pair
from telar.errors import ConfigError
from telar.nn.init import Initialiser, get_initialiser
from telar.nn.layers import BatchNorm1d, Dropout
from telar.nn.module import Module, Parameter

Pair = int | tuple[int, int]


def _pair(value: Pair, name: str) -> tuple[int, int]:
    try:
        pair = engine_pair(value, name)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    return pair


class Conv2d(Module):
    """``out = conv2d(x, W) + b`` with ``W`` of shape ``(out_channels, in_channels, kh, kw)``.

    ``init="pytorch"`` (the default) is PyTorch's: ``kaiming_uniform_(a=sqrt(5))``, i.e.
    ``W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = in_channels * kh * kw``, and the
    bias ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``. Any other name of :mod:`telar.nn.init` draws
    the weight as an ``(out_channels, fan_in)`` matrix and starts the bias at zero.

    >>> conv = Conv2d(1, 32, 3, padding=1, rng=0)    # doctest: +SKIP
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Pair, stride: Pair = 1,
                 padding: Pair | str = 0, dilation: Pair = 1, groups: int = 1, bias: bool = True,
                 init: str | Initialiser = "pytorch",
                 rng: np.random.Generator | int | None = None, dtype: Any = np.float32) -> None:
        super().__init__()
        if in_channels < 1 or out_channels < 1:
            raise ConfigError(f"Conv2d needs positive channel counts, got {in_channels} -> "
                              f"{out_channels}")
        if groups != 1:
            raise ConfigError("Conv2d supports groups=1 only")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride, self.dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
        self.padding = padding if padding == "same" else _pair(padding, "padding")
        if min(*self.kernel_size, *self.stride, *self.dilation) < 1 or (
                padding != "same" and min(self.padding) < 0):
            raise ConfigError(f"Conv2d: kernel, stride and dilation must be positive and "
                              f"padding non-negative, got kernel {self.kernel_size}, stride "
                              f"{self.stride}, padding {self.padding}, dilation {self.dilation}")
        self.init_name = init if isinstance(init, str) else getattr(init, "__name__", "custom")
        generator = as_rng(rng)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        weight = get_initialiser(init)((self.out_channels, fan_in), generator, dtype)
        self.weight = Parameter(weight.reshape(shape))
        if not bias:
            self.bias = None
        elif self.init_name == "pytorch":
            bound = 1.0 / math.sqrt(fan_in)
            self.bias = Parameter(generator.uniform(-bound, bound, self.out_channels)
                                  .astype(dtype))
        else:
            self.bias = Parameter(xp.zeros(self.out_channels, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def output_shape(self, shape: tuple[int, int, int]) -> tuple[int, int, int]:
        """``(C, H, W) -> (out_channels, Ho, Wo)`` for one sample."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        if self.padding == "same":
            return self.out_channels, shape[1], shape[2]
        ph, pw = self.padding
        return (self.out_channels, output_size(shape[1], kh, sh, ph, dh),
                output_size(shape[2], kw, sw, pw, dw))

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}, init={self.init_name!r}")


class _Pool2d(Module):
    def __init__(self, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        if min(*self.kernel_size, *self.stride) < 1 or min(self.padding) < 0:
            raise ConfigError(f"{type(self).__name__}: kernel and stride must be positive, "
                              f"got kernel {self.kernel_size}, stride {self.stride}")
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ConfigError(f"{type(self).__name__}: padding {self.padding} must be at most "
                              f"half the kernel {self.kernel_size}")

    def output_shape(self, shape: tuple[int, int, int]) -> tuple[int, int, int]:
        """``(C, H, W) -> (C, Ho, Wo)`` for one sample."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return shape[0], output_size(shape[1], kh, sh, ph), output_size(shape[2], kw, sw, pw)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over ``kernel_size`` windows every ``stride`` (default: the kernel) pixels."""

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over ``kernel_size`` windows (zero padding counted, PyTorch's default)."""

    def __init__(self, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                             self.count_include_pad)


class AdaptiveAvgPool2d(Module):
    """Average into an ``output_size`` grid of adaptive bins; ``1`` is global average pooling."""

    def __init__(self, output_size: Pair = 1) -> None:
        super().__init__()
        self.output_size = _pair(output_size, "output_size")
        if min(self.output_size) < 1:
            raise ConfigError(f"AdaptiveAvgPool2d output size must be positive, got "
                              f"{self.output_size}")

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)

    def output_shape(self, shape: tuple[int, int, int]) -> tuple[int, int, int]:
        return shape[0], *self.output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class BatchNorm2d(BatchNorm1d):
    """Per-channel batch normalisation of ``(N, C, H, W)`` (PyTorch's ``BatchNorm2d``).

    Statistics over ``N, H, W``; ``running_mean`` and ``running_var`` are buffers, saved in
    ``state_dict()``; evaluation mode uses them instead of the batch's.
    """

    def forward(self, x: Tensor) -> Tensor:
        if x.array.ndim != 4:
            raise ValueError(f"BatchNorm2d expects (N, C, H, W) input, got shape {x.shape}")
        return F.batch_norm2d(x, self.weight, self.bias, self.running_mean, self.running_var,
                               self.training, self.momentum, self.eps)


class Dropout2d(Dropout):
    """Zero whole feature maps with probability ``p`` in training (``generator``: its RNG);
    a :class:`Dropout` whose mask is drawn per channel, not per value."""

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout2d(x, self.p, self.training, self.generator)

"""``Sequential``: modules applied in order, a ReLU next to a max-pool fused into one step."""

from __future__ import annotations

from collections.abc import Iterator

from telar.engine import Tensor
from telar.engine.functional import max_pool2d_relu
from telar.nn.activation import ReLU
from telar.nn.conv import MaxPool2d
from telar.nn.module import Module


class _ReLUMaxPool:
    """A ``ReLU`` and a ``MaxPool2d`` next to each other (either order), run as one step by
    :func:`telar.engine.pooling.max_pool2d_relu`: ``maxpool(relu(x)) = relu(maxpool(x))``
    exactly, values and gradients (ReLU is monotone), and the fused pass skips the ReLU's
    own passes over the conv output (3.2 M values per batch after the standard CNN's first
    convolution). Only the exact classes are fused: a subclass may do something else."""

    def __init__(self, relu: Module, pool: Module, written: tuple[Module, Module]) -> None:
        self.relu, self.pool, self.modules = relu, pool, written

    def forward(self, x: Tensor) -> Tensor:
        pool = self.pool
        return max_pool2d_relu(x, pool.kernel_size, pool.stride, pool.padding)


def _fuse_relu_and_max_pool(layers: list[Module]) -> list[Module | _ReLUMaxPool]:
    """The execution order: each ``ReLU`` next to a ``MaxPool2d`` is fused with it."""
    order: list[Module | _ReLUMaxPool] = []
    i = 0
    while i < len(layers):
        pair = tuple(type(m) for m in layers[i:i + 2])
        if pair in ((ReLU, MaxPool2d), (MaxPool2d, ReLU)):
            relu, pool = layers[i:i + 2] if pair[0] is ReLU else layers[i:i + 2][::-1]
            order.append(_ReLUMaxPool(relu, pool, (layers[i], layers[i + 1])))
            i += 2
        else:
            order.append(layers[i])
            i += 1
    return order


class Sequential(Module):
    """Apply modules in order; they are registered as ``"0"``, ``"1"``, ... like PyTorch's."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes modules, got {type(module).__name__} at {i}")
            setattr(self, str(i), module)
        self._layers = list(modules)
        self._order = _fuse_relu_and_max_pool(self._layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self._order:
            x = layer.forward(x)  # forward directly: one Python call fewer per layer
        return x

    def __getitem__(self, i: int) -> Module:
        return self._layers[i]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

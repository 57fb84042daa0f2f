"""Shape operations: views, permutations, indexing, joining, and dtype casts.

Each moves or copies values without arithmetic, so each backward puts ``g`` back where the
values came from: reshaped back, permuted by the inverse order, scattered to the indexed
places (adding repeats), split between the joined inputs, cast to the input's dtype.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

from telar.engine.array import Array, array_module, host, scatter_add
from telar.engine.devices import device
from telar.engine.tensor import Tensor, constant, make_result, operand
from telar.errors import ShapeError


def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    """A view with another shape; ``dx = g`` reshaped back."""
    old = x.array.shape
    try:
        out = x.array.reshape(shape)
    except ValueError:
        raise _reshape_error(shape, x.array.size) from None
    return make_result(out, (x,), lambda g: (g.reshape(old),))


def _reshape_error(shape: Sequence[int], size: int) -> ShapeError:
    """PyTorch's words for an impossible ``view``/``reshape``."""
    sizes = [int(n) for n in (shape if isinstance(shape, Sequence) else (shape,))]
    if sizes.count(-1) > 1:
        return ShapeError("only one dimension can be inferred")
    return ShapeError(f"shape '[{', '.join(map(str, sizes))}]' is invalid for input of size "
                      f"{size}")


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them if ``axes`` is None); ``dx`` uses the inverse order."""
    inverse = None if axes is None else tuple(host.argsort(axes))
    xp = array_module(x.array)
    return make_result(xp.transpose(x.array, axes), (x,), lambda g: (xp.transpose(g, inverse),))


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` (basic or advanced indexing); ``dx`` scatters ``g`` back, adding repeats."""
    if isinstance(index, Tensor):
        index = index.array
    elif isinstance(index, tuple):
        index = tuple(i.array if isinstance(i, Tensor) else i for i in index)
    xd = x.array
    xp = array_module(xd)
    if xp is not host:  # index arrays go where the values are
        index = _on_device(index, xp)

    def backward(g: Array) -> tuple[Array]:
        gx = xp.zeros_like(xd)
        scatter_add(gx, index, g)  # unbuffered: an index used twice receives both gradients
        return (gx,)

    return make_result(xd[index], (x,), backward)


def gather(x: Tensor, axis: int, index: Any) -> Tensor:
    """``torch.gather``: ``out[..., j, ...] = x[..., index[..., j, ...], ...]`` along ``axis``."""
    xd = x.array
    xp = array_module(xd)
    index = xp.asarray(index.array if isinstance(index, Tensor) else index)
    axis = axis % xd.ndim

    def backward(g: Array) -> tuple[Array]:
        full = list(xp.indices(index.shape, sparse=True))
        full[axis] = index
        gx = xp.zeros_like(xd)
        scatter_add(gx, tuple(full), g)
        return (gx,)

    return make_result(xp.take_along_axis(xd, index, axis=axis), (x,), backward)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join along ``axis``; each input's gradient is its slice of ``g``."""
    parts = tuple(operand(t) for t in tensors)
    sizes = [p.array.shape[axis] for p in parts]
    cuts = list(host.cumsum(sizes)[:-1])

    xp = array_module(*(p.array for p in parts))

    def backward(g: Array) -> list[Array | None]:
        pieces = xp.split(g, cuts, axis=axis)
        return [piece if p.requires_grad else None for p, piece in zip(parts, pieces, strict=True)]

    return make_result(xp.concatenate([p.array for p in parts], axis=axis), parts, backward)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one (``torch.flatten``); ``flatten(x, 1)``
    turns ``(N, d1, d2, ...)`` into ``(N, d1*d2*...)``."""
    shape = x.array.shape
    if not shape:
        return reshape(x, (1,))
    start, end = start_dim % len(shape), end_dim % len(shape)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    if start == end:
        return x
    return reshape(x, shape[:start] + (-1,) + shape[end + 1:])


def squeeze(x: Tensor, dim: int | None = None) -> Tensor:
    """Drop dimensions of size 1 (only ``dim`` when given; a no-op if its size is not 1)."""
    shape = x.array.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        d = dim % builtins.max(len(shape), 1)
        new = shape if not shape or shape[d] != 1 else shape[:d] + shape[d + 1:]
    return x if new == shape else reshape(x, new)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (negative counts from the end of the result)."""
    shape = x.array.shape
    d = dim % (len(shape) + 1)
    return reshape(x, shape[:d] + (1,) + shape[d:])


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dimension ``dim``."""
    return concatenate([unsqueeze(operand(t), dim) for t in tensors], dim)


def cast(x: Tensor, dtype: Any, copy: bool = False) -> Tensor:
    """``x`` as ``dtype``; the gradient is cast back, ``dx = g.astype(x.dtype)``.

    Casting to an integer or bool dtype ends the graph (no gradient flows through it).
    """
    source = x.array.dtype
    target = host.dtype(dtype)
    if target == source and not copy:
        return x
    out = x.array.astype(target, copy=True)
    if target.kind != "f":
        return constant(out)
    return make_result(out, (x,), lambda g: (g.astype(source, copy=False),))


def to_device(x: Tensor, target: device) -> Tensor:
    """``x`` on device ``target`` (itself when it is there); ``dx = g`` moved back, so a
    gradient reaches a tensor on another device, as ``tensor.to("cuda")`` does in PyTorch."""
    source = x.device
    if source == target:
        return x
    return make_result(target.put(x.array), (x,), lambda g: (source.put(g),))


def _on_device(index: Any, xp: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_on_device(i, xp) for i in index)
    return xp.asarray(index) if isinstance(index, host.ndarray) else index


def check_nchw(x: Array, what: str) -> None:
    """Raise ``ValueError`` unless ``x`` is a batch of images, ``(N, C, H, W)``."""
    if x.ndim != 4:
        raise ValueError(f"{what} expects input of shape (N, C, H, W), got shape {x.shape}")

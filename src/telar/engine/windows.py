"""Sliding windows over images ``(N, C, H, W)``: sizes, padding, and the slices a kernel reads.

Shared by the convolution and pooling operations (tuned and reference alike):

- :func:`pair` reads ``3`` or ``(3, 5)`` as ``(height, width)``;
- :func:`output_size` is PyTorch's ``floor((H + 2p - d(k - 1) - 1) / s) + 1``;
- :func:`pad_nhwc` / :func:`padded` put a border around images;
- :func:`offset` is the strided slice that kernel offset ``(p, q)`` of every window reads, so
  a window operation is a loop over the ``kh * kw`` offsets, each a whole-batch array op;
- :func:`tiles` views non-overlapping windows (stride = kernel) as extra axes, no copy.
"""

from __future__ import annotations

from telar.engine.array import Array, array_module, host

Pair = int | tuple[int, int]


def pair(value: Pair, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, host.integer)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                dilation: int = 1) -> int:
    """``floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1`` (PyTorch's rule)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def pad_nhwc(x: Array, ph: int, pw: int, fill: float = 0.0) -> Array:
    """``x`` (NCHW shape) as NHWC ``(N, H + 2ph, W + 2pw, C)`` with ``fill`` around it.

    Without padding this is a view (free when ``x`` is channels-last in memory); with padding
    one copy into a fresh buffer whose borders alone are filled.
    """
    nhwc = x.transpose(0, 2, 3, 1)
    if ph == 0 and pw == 0:
        return nhwc
    n, h, w, c = nhwc.shape
    out = array_module(x).empty((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    out[:, :ph] = fill
    out[:, h + ph:] = fill
    out[:, ph:h + ph, :pw] = fill
    out[:, ph:h + ph, w + pw:] = fill
    out[:, ph:h + ph, pw:w + pw] = nhwc
    return out


def padded(x: Array, ph: int, pw: int, fill: float) -> Array:
    """``x`` NCHW with ``fill`` around it (same memory layout), or ``x`` itself."""
    if ph == 0 and pw == 0:
        return x
    return pad_nhwc(x, ph, pw, fill).transpose(0, 3, 1, 2)


def offset(a: Array, p: int, q: int, sh: int, sw: int, ho: int, wo: int) -> Array:
    """The strided slice of ``a`` (NCHW) that kernel offset ``(p, q)`` of every window reads."""
    return a[:, :, p:p + sh * (ho - 1) + 1:sh, q:q + sw * (wo - 1) + 1:sw]


def tiles(a: Array, kh: int, kw: int, ho: int, wo: int) -> Array:
    """The view ``(N, Ho, kh, Wo, kw, C)`` of NCHW-shaped ``a``'s non-overlapping tiles.

    Axes in NHWC order: on channels-last memory (what ``conv2d`` returns) it is a plain
    strided view whose last axis is contiguous, and NumPy's loops (broadcasting ones too) run
    over it in memory order, 3x faster than over the NCHW-shaped view of the same memory.
    """
    n, c = a.shape[:2]
    return a.transpose(0, 2, 3, 1)[:, :ho * kh, :wo * kw].reshape(n, ho, kh, wo, kw, c)

"""Pooling over windows of images ``(N, C, H, W)``: max, average and adaptive average.

PyTorch's names and semantics (floor mode; ``stride`` defaults to the kernel). Max pooling
over non-overlapping windows, the case a CNN spends its pooling time in, runs the tuned
kernel :func:`telar.engine.cpu.pooling.max_pool_tiled`; every other window shape runs the
plain offset-by-offset loop of :mod:`telar.engine.reference.pooling`, which is also what the
tuned kernel is tested against. Average pooling is linear, so its backward spreads ``g``
evenly over each window.
"""

from __future__ import annotations

from typing import Any

from telar.engine.activations import relu
from telar.engine.array import Array, array_module, fast_kernels
from telar.engine.cpu.pooling import max_pool_tiled
from telar.engine.reference import pooling as reference
from telar.engine.shapes import check_nchw
from telar.engine.tensor import Tensor, make_result
from telar.engine.windows import Pair, offset, output_size, padded, pair, tiles


def _pool_geometry(x: Array, kernel_size: Pair, stride: Pair | None, padding: Pair,
                   what: str) -> tuple[int, int, int, int, int, int, int, int]:
    check_nchw(x, what)
    kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = pair(kernel_size if stride is None else stride, "stride")
    ph, pw = pair(padding, "padding")
    if kh < 1 or kw < 1 or sh < 1 or sw < 1:
        raise ValueError(f"{what}: kernel and stride must be positive")
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"{what}: padding {ph}x{pw} must be at most half the kernel {kh}x{kw}")
    ho = output_size(x.shape[2], kh, sh, ph)
    wo = output_size(x.shape[3], kw, sw, pw)
    if ho < 1 or wo < 1:
        raise ValueError(f"{what}: kernel {kh}x{kw} does not fit the input "
                         f"{x.shape[2]}x{x.shape[3]} (padding {ph}x{pw})")
    return kh, kw, sh, sw, ph, pw, ho, wo


def _tiled(kh: int, kw: int, sh: int, sw: int, ph: int, pw: int) -> bool:
    """Whether max-pool windows tile the input (stride = kernel, no padding) so that
    :func:`_max_pool_tiled` applies; it records each window's winner as a ``uint8`` code
    ``1 .. kh*kw``, hence fewer than 256 offsets."""
    return (sh, sw) == (kh, kw) and ph == pw == 0 and kh * kw < 256


def max_pool2d(x: Tensor, kernel_size: Pair, stride: Pair | None = None,
               padding: Pair = 0) -> Tensor:
    """Max over each ``kh x kw`` window (``torch.nn.functional.max_pool2d``, floor mode).

    ``out[n, c, i, j] = max_{p,q} xpad[n, c, i*sh + p, j*sw + q]``, padding with ``-inf``;
    ``stride`` defaults to the kernel. Backward: ``g`` goes to the first maximum of each
    window in row-major order (PyTorch's choice when values tie, e.g. zeros after ReLU);
    overlapping windows add their shares, one slice addition per kernel offset.
    Non-overlapping windows (stride = kernel, no padding) take the tuned kernel
    (:func:`~telar.engine.cpu.pooling.max_pool_tiled`, one byte kept per output); the others
    the plain loop (:func:`telar.engine.reference.pooling.max_pool2d`).
    """
    xd = x.array
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(xd, kernel_size, stride, padding,
                                                    "max_pool2d")
    if _tiled(kh, kw, sh, sw, ph, pw) and fast_kernels(xd):
        return max_pool_tiled(x, kh, kw, ho, wo)
    return reference.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw))


def max_pool2d_relu(x: Tensor, kernel_size: Pair, stride: Pair | None = None,
                    padding: Pair = 0) -> Tensor:
    """``relu(max_pool2d(x))``, which equals ``max_pool2d(relu(x))`` exactly (ReLU is monotone).

    Where the windows tile the input (stride = kernel, no padding) it is one pass: the
    running maximum starts at 0 (:func:`_max_pool_tiled`), so the ReLU costs nothing and its
    own forward and backward passes are saved. Other windows: the pool, then the ReLU on its
    ``kh*kw`` times smaller output. Gradients as the written order's, ties included: where a
    window's maximum is positive ``g`` goes to its first maximum, elsewhere nowhere.
    """
    xd = x.array
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(xd, kernel_size, stride, padding,
                                                    "max_pool2d")
    if _tiled(kh, kw, sh, sw, ph, pw) and fast_kernels(xd):
        return max_pool_tiled(x, kh, kw, ho, wo, relu=True)
    return relu(max_pool2d(x, kernel_size, stride, padding))


def avg_pool2d(x: Tensor, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
               count_include_pad: bool = True) -> Tensor:
    """Mean over each ``kh x kw`` window (``torch.nn.functional.avg_pool2d``, floor mode).

    ``out[n, c, i, j] = sum_{p,q} xpad[n, c, i*sh + p, j*sw + q] / D`` with zero padding and
    ``D = kh*kw`` (``count_include_pad=True``, PyTorch's default) or the number of unpadded
    values in the window. Backward: ``dxpad[window] += g / D``, one slice addition per kernel
    offset. Non-overlapping windows take a reshape fast path. Memory: nothing is kept.
    """
    xd = x.array
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(xd, kernel_size, stride, padding,
                                                    "avg_pool2d")
    n, c, h, w = xd.shape
    xp = array_module(xd)
    fast = (sh, sw) == (kh, kw) and ph == pw == 0
    if count_include_pad or (ph == pw == 0):
        divisor: Array | float = float(kh * kw)
    else:  # windows near the border count only the values inside the image
        ones = xp.zeros((1, 1, h + 2 * ph, w + 2 * pw))
        ones[:, :, ph:ph + h, pw:pw + w] = 1
        divisor = sum(offset(ones, p, q, sh, sw, ho, wo) for p in range(kh) for q in range(kw))
    if fast:  # sum of the kh*kw tile offsets, on the NHWC view (see _tiles)
        windows = tiles(xd, kh, kw, ho, wo)
        acc = windows[:, :, 0, :, 0].copy()
        for o in range(1, kh * kw):
            acc += windows[:, :, o // kw, :, o % kw]
        acc *= xd.dtype.type(1.0 / (kh * kw))
        out = acc.transpose(0, 3, 1, 2)
    else:
        xpad = padded(xd, ph, pw, 0.0)
        out = xp.zeros((n, c, ho, wo), dtype=xd.dtype)
        for p in range(kh):
            for q in range(kw):
                out += offset(xpad, p, q, sh, sw, ho, wo)
        out /= xp.asarray(divisor, dtype=xd.dtype)

    def backward(g: Array) -> tuple[Array]:
        share = (g / xp.asarray(divisor, dtype=g.dtype)).astype(xd.dtype, copy=False)
        if fast:
            gx = xp.zeros((n, h, w, c), dtype=xd.dtype).transpose(0, 3, 1, 2)
            tiles(gx, kh, kw, ho, wo)[...] = share.transpose(0, 2, 3, 1)[:, :, None, :, None]
            return (gx,)
        gpad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=xd.dtype)
        for p in range(kh):
            for q in range(kw):
                offset(gpad, p, q, sh, sw, ho, wo)[...] += share
        return (gpad[:, :, ph:ph + h, pw:pw + w],)

    return make_result(out, (x,), backward)


def _adaptive_matrix(size: int, out: int, dtype: Any, xp: Any) -> Array:
    """``A[i, k] = 1 / len(bin i)`` for ``k`` in bin ``i = [floor(i size/out), ceil((i+1)
    size/out))`` (PyTorch's bins), else 0: adaptive pooling along one axis is ``A @ x``."""
    a = xp.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        a[i, start:stop] = 1.0 / (stop - start)
    return a


def adaptive_avg_pool2d(x: Tensor, output_size: Pair) -> Tensor:
    """Average over ``Ho x Wo`` adaptive bins (``torch.nn.functional.adaptive_avg_pool2d``).

    Output ``1`` is global average pooling, ``out[n, c] = mean_{h,w} x[n, c, h, w]``. In
    general bin ``i`` along an axis of size ``H`` covers ``[floor(i H / Ho), ceil((i+1) H /
    Ho))``; pooling is linear and separable, ``out = A_h @ x @ A_w^T``, so the backward is
    ``dx = A_h^T @ g @ A_w`` (two small batched matrix products, no loops over pixels).
    """
    xd = x.array
    check_nchw(xd, "adaptive_avg_pool2d")
    n, c, h, w = xd.shape
    oh, ow = pair(output_size, "output_size")
    if oh < 1 or ow < 1:
        raise ValueError(f"adaptive_avg_pool2d: output size must be positive, got {oh}x{ow}")
    if (oh, ow) == (1, 1):
        out = xd.mean(axis=(2, 3), keepdims=True)

        def backward(g: Array) -> tuple[Array]:
            return (array_module(g).broadcast_to(g / (h * w), xd.shape),)

        return make_result(out, (x,), backward)
    xp = array_module(xd)
    a_h, a_w = _adaptive_matrix(h, oh, xd.dtype, xp), _adaptive_matrix(w, ow, xd.dtype, xp)
    out = a_h @ xd @ a_w.T

    def backward_general(g: Array) -> tuple[Array]:
        return (a_h.T @ g @ a_w,)

    return make_result(out, (x,), backward_general)

"""The 2-D convolution written plainly: im2col, one matrix product, and its backward.

Unrolling every window of the zero-padded input into a row of a matrix (*im2col*) turns the
convolution into one matrix product. For ``x`` ``(N, C, H, W)``, ``W`` ``(O, C, kh, kw)``,
with ``K = C kh kw`` columns and ``M = N Ho Wo`` rows::

    cols[(n, i, j), (c, p, q)] = xpad[n, c, i*sh + p*dh, j*sw + q*dw]          (M, K)
    out[(n, i, j), o]          = (cols @ W2^T)[(n, i, j), o] + b[o],   W2 = W as (O, K)

Backward, with ``G`` the output gradient as an ``(M, O)`` matrix::

    dW2   = G^T @ cols                                                          (O, K)
    db    = sum over the rows of G
    dcols = G @ W2                                                              (M, K)
    dxpad[n, c, i*sh + p*dh, j*sw + q*dw] += dcols[(n, i, j), (c, p, q)]        (col2im)

and ``dx`` is ``dxpad`` without its border. :func:`telar.engine.cpu.conv.conv2d` computes the
same in chunks, on threads, in channels-last memory; the tests hold it to this one.

>>> import numpy as np, telar
>>> x = telar.tensor(np.ones((1, 1, 3, 3)))
>>> w = telar.tensor(np.ones((1, 1, 2, 2)))
>>> conv2d(x, w, None, (1, 1), (0, 0), (1, 1)).array[0, 0]
array([[4., 4.],
       [4., 4.]])
"""

from __future__ import annotations

from telar.engine.array import Array, array_module
from telar.engine.tensor import Tensor, make_result
from telar.engine.windows import output_size

Geometry = tuple[int, int, int, int, int, int, int, int]  # kh, kw, sh, sw, dh, dw, ho, wo


def _window_slice(p: int, q: int, geometry: Geometry) -> tuple[slice, slice]:
    """The rows and columns of ``xpad`` that offset ``(p, q)`` of every window reads."""
    kh, kw, sh, sw, dh, dw, ho, wo = geometry
    return (slice(p * dh, p * dh + sh * (ho - 1) + 1, sh),
            slice(q * dw, q * dw + sw * (wo - 1) + 1, sw))


def im2col(xpad: Array, geometry: Geometry) -> Array:
    """``cols`` ``(N Ho Wo, C kh kw)``: row ``(n, i, j)`` holds the window output pixel
    ``(i, j)`` of sample ``n`` reads, one kernel offset ``(p, q)`` at a time."""
    kh, kw, sh, sw, dh, dw, ho, wo = geometry
    n, c = xpad.shape[:2]
    cols = array_module(xpad).empty((n, c, kh, kw, ho, wo), dtype=xpad.dtype)
    for p in range(kh):
        for q in range(kw):
            rows, columns = _window_slice(p, q, geometry)
            cols[:, :, p, q] = xpad[:, :, rows, columns]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * ho * wo, c * kh * kw)


def col2im(dcols: Array, padded_shape: tuple[int, ...], geometry: Geometry) -> Array:
    """The adjoint of :func:`im2col`: every entry of ``dcols`` added back to the place of
    ``xpad`` it was copied from (windows that overlap add up)."""
    kh, kw, sh, sw, dh, dw, ho, wo = geometry
    n, c = padded_shape[:2]
    windows = dcols.reshape(n, ho, wo, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    dxpad = array_module(dcols).zeros(padded_shape, dtype=dcols.dtype)
    for p in range(kh):
        for q in range(kw):
            rows, columns = _window_slice(p, q, geometry)
            dxpad[:, :, rows, columns] += windows[:, :, p, q]
    return dxpad


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple[int, int],
           padding: tuple[int, int], dilation: tuple[int, int]) -> Tensor:
    """``out = im2col(xpad) @ W2^T + b`` as an ``(N, O, Ho, Wo)`` tensor (module doc); the
    arguments are checked by :func:`telar.engine.conv.conv2d`."""
    xd, wd = x.array, weight.array
    n, c, h, w = xd.shape
    o, _, kh, kw = wd.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho, wo = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    geometry = (kh, kw, sh, sw, dh, dw, ho, wo)
    xpad = array_module(xd).zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=xd.dtype)
    xpad[:, :, ph:ph + h, pw:pw + w] = xd
    cols = im2col(xpad, geometry)
    w2 = wd.reshape(o, c * kh * kw)
    out = cols @ w2.T
    if bias is not None:
        out = out + bias.array

    def backward(g: Array) -> tuple[Array | None, ...]:
        g2 = g.transpose(0, 2, 3, 1).reshape(n * ho * wo, o)  # G, one row per output pixel
        gx = gw = None
        if x.requires_grad:
            gx = col2im(g2 @ w2, xpad.shape, geometry)[:, :, ph:ph + h, pw:pw + w]
        if weight.requires_grad:
            gw = (g2.T @ cols).reshape(wd.shape)
        if bias is None:
            return gx, gw
        return gx, gw, (g2.sum(axis=0) if bias.requires_grad else None)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make_result(out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2), parents, backward)

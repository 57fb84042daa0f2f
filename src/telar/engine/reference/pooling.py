"""Max pooling written plainly: a loop over the ``kh * kw`` offsets of the window.

For each kernel offset ``(p, q)`` every window reads one strided slice of the padded input
(:func:`telar.engine.windows.offset`); the output is their running maximum::

    out[n, c, i, j] = max_{p,q} xpad[n, c, i*sh + p, j*sw + q]          (xpad: -inf around x)

Backward: ``g`` goes to the *first* maximum of each window in row-major order (PyTorch's
choice when values tie, e.g. zeros after a ReLU), so the loop keeps a ``taken`` mask; where
windows overlap, their shares add up. Memory per batch: ``x`` and ``out`` are referenced.

This is the kernel for every window shape but non-overlapping tiles, which the tuned
:func:`telar.engine.cpu.pooling.max_pool_tiled` handles; the tests hold the two to each other.
"""

from __future__ import annotations

from telar.engine.array import Array, array_module
from telar.engine.tensor import Tensor, make_result
from telar.engine.windows import offset, output_size, padded


def max_pool2d(x: Tensor, kernel: tuple[int, int], stride: tuple[int, int],
               padding: tuple[int, int]) -> Tensor:
    """Max over each ``kh x kw`` window every ``(sh, sw)`` pixels, ``-inf`` padding
    ``(ph, pw)`` around the input (the arguments checked by the caller)."""
    xd = x.array
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho = output_size(xd.shape[2], kh, sh, ph)
    wo = output_size(xd.shape[3], kw, sw, pw)
    xp = array_module(xd)
    xpad = padded(xd, ph, pw, -xp.inf)
    out = None
    for p in range(kh):
        for q in range(kw):
            part = offset(xpad, p, q, sh, sw, ho, wo)
            out = part.copy(order="K") if out is None else xp.maximum(out, part, out=out)

    def backward(g: Array) -> tuple[Array]:
        taken = xp.zeros(out.shape, dtype=bool)
        gpad = xp.zeros_like(xpad)
        for p in range(kh):
            for q in range(kw):
                hit = offset(xpad, p, q, sh, sw, ho, wo) == out
                hit &= ~taken
                taken |= hit
                offset(gpad, p, q, sh, sw, ho, wo)[...] += g * hit
        return (gpad[:, :, ph:ph + xd.shape[2], pw:pw + xd.shape[3]],)

    return make_result(out, (x,), backward)

"""The tuned 2-D convolution on the CPU: chunked im2col, GEMMs, threads, scratch buffers.

The same maths as :mod:`telar.engine.reference.conv` (read that first), arranged for speed on
NumPy. :func:`conv2d` takes arguments already checked by :func:`telar.engine.conv.conv2d`.

Memory layout. Tensors have NCHW *shape*, but :func:`conv2d` returns its output as an NCHW view
of NHWC (channels-last) memory, the layout PyTorch calls ``channels_last``. NumPy's element-wise
ops and reductions keep that layout (``order="K"``), so a ``conv -> relu -> maxpool -> conv``
chain stays channels-last, and the next convolution reads its windows with the channels
contiguous: the im2col copy runs ~7x faster than from NCHW memory. Values and shapes are
exactly PyTorch's; only the strides differ (``np.ascontiguousarray`` gives NCHW memory).

The input gradient. For stride 1 (the common case) it is computed as a convolution of the
zero-padded ``G`` with the flipped kernel, one im2col copy and one GEMM
(:func:`_weight_and_input_grads`), measured faster than ``dcols = G W2`` followed by col2im;
other strides take col2im as ``kh * kw`` strided slice additions, one per kernel offset.

Chunking. The im2col matrices are built a few samples at a time (about an L2 cache:
:data:`~telar.engine.cpu.scratch.CHUNK_BYTES`) into reused scratch buffers, and each chunk's
GEMM reads them while they are still in cache; the backward pass rebuilds the forward's
chunks from the padded input for ``dW`` instead of keeping the whole matrix (the README's
"Speed" section gives what each of these measured).

Threads. The chunks of the forward, weight-gradient and input-gradient passes and of
max-pooling run on :func:`telar.engine.cpu.workers.workers` threads (one per core by default),
chunk ``j`` on thread ``j mod W``, each thread with its own scratch buffers. A chunk writes
only its own rows of the output (or of the input gradient), and ``dW`` is one partial product
per chunk, added in chunk order, so every result is bit-identical for any number of threads.
While two or more threads run, the BLAS is limited to one thread each. NumPy releases the GIL
for a product only when its output has more than 500 values, so a smaller ``dW`` is computed
as a stack of products (:func:`_weight_product`); otherwise the threads would take turns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from telar.engine.cpu.scratch import chunk_samples, scratch
from telar.engine.cpu.workers import run_chunks
from telar.engine.tensor import Tensor, make_result
from telar.engine.windows import output_size, pad_nhwc


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple[int, int],
           padding: tuple[int, int], dilation: tuple[int, int]) -> Tensor:
    """``out[n, o, i, j] = b[o] + sum_{c,p,q} W[o, c, p, q] xpad[n, c, i*sh + p*dh, j*sw + q*dw]``,
    tuned (see the module notes); the arguments are checked by the caller.

    Forward: one im2col copy and one GEMM per chunk; backward: one GEMM per chunk for
    ``dW = G^T cols`` and, for the input, either (stride 1) one im2col copy of the padded
    ``G`` and one GEMM with the flipped kernel, or one GEMM for ``dcols`` then ``kh*kw``
    slice additions (col2im).

    Memory per batch: the zero-padded input (``N*(H+2ph)*(W+2pw)*C`` values; 4.2 MB for the
    standard CNN's second layer) is kept for the backward pass, which rebuilds the im2col
    matrix from it chunk by chunk. The im2col chunks live in two per-thread scratch buffers
    of about :data:`~telar.engine.cpu.scratch.CHUNK_BYTES` each, kept for the next step; the
    backward pass also holds the padded output gradient (stride 1) or, otherwise, ``dcols``
    (``N*Ho*Wo*kh*kw*C`` values) and the padded input gradient.
    """
    xd, wd = x.array, weight.array
    n, c, h, w = xd.shape
    o, _, kh, kw = wd.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho, wo = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    k = kh * kw * c
    xpad = pad_nhwc(xd, ph, pw)
    w2 = wd.transpose(0, 2, 3, 1).reshape(o, k)  # (O, kh*kw*C): a small copy
    rows = ho * wo  # output pixels per sample
    fwd_chunk = chunk_samples(n, rows * k * xd.itemsize)
    out2 = np.empty((n * rows, o), dtype=xd.dtype)
    # Few columns (the first layer: K = 9): the bias rides in the GEMM as a column of ones.
    fold = bias is not None and k < FOLD_BIAS_BELOW
    w2f = np.concatenate([w2, bias.array[:, None].astype(w2.dtype)], axis=1) if fold else w2
    starts = range(0, n, fwd_chunk)

    def forward_chunks(worker: int, count: int) -> None:
        # im2col + GEMM per chunk (the columns stay in cache), in this thread's scratch
        im2col = _im2col(xpad, kh, kw, sh, sw, dh, dw, ho, wo, fwd_chunk, slot=0, ones=fold)
        for s in starts[worker::count]:
            cols = im2col.chunk(s)
            part = out2[s * rows:s * rows + cols.shape[0]]
            np.matmul(cols, w2f.T, out=part)
            if bias is not None and not fold:
                part += bias.array

    run_chunks(len(starts), forward_chunks)
    out = out2.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)  # NCHW view of NHWC memory
    if not weight.requires_grad:
        del xpad
    # Stride 1 with padding at most the dilated kernel's reach: the input gradient is itself
    # a convolution (measured faster than dcols + col2im on the standard CNN).
    transposed = (sh, sw) == (1, 1) and ph <= dh * (kh - 1) and pw <= dw * (kw - 1)

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        g2 = g.transpose(0, 2, 3, 1).reshape(n * rows, o)  # free when g is channels-last
        gx = gw = gb = None
        fast_gx = x.requires_grad and transposed
        if weight.requires_grad or fast_gx:
            gw, gb, gx = _weight_and_input_grads(
                g, g2, xpad if weight.requires_grad else None, wd, fast_gx,
                (kh, kw, sh, sw, dh, dw, ph, pw, h, w), fold)
        if x.requires_grad and not transposed:
            dcols = (g2 @ w2).reshape(n, ho, wo, kh, kw, c)
            dxpad = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=g2.dtype)
            for p in range(kh):
                rows_p = slice(p * dh, p * dh + sh * (ho - 1) + 1, sh)
                for q in range(kw):
                    cols_q = slice(q * dw, q * dw + sw * (wo - 1) + 1, sw)
                    dxpad[:, rows_p, cols_q] += dcols[:, :, :, p, q]
            gx = dxpad[:, ph:ph + h, pw:pw + w].transpose(0, 3, 1, 2)
        if bias is None:
            return gx, gw
        if bias.requires_grad and gb is None:
            gb = np.einsum("ij->j", g2)
        return gx, gw, (gb if bias.requires_grad else None)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make_result(out, parents, backward)


FOLD_BIAS_BELOW = 64
"""Im2col widths ``K`` below which the bias is a column of ones in the GEMMs: for ``K = 9``
the forward GEMM + bias pass and the backward ``dW`` GEMM + bias sum got 25-50% faster; for
``K = 288`` the odd width made the GEMMs slower."""


def _windows(xpad: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
             ho: int, wo: int) -> np.ndarray:
    """The read-only view ``(N, Ho, Wo, kh, kw, C)`` of every window of NHWC ``xpad``."""
    s_n, s_h, s_w, s_c = xpad.strides
    return as_strided(xpad, (xpad.shape[0], ho, wo, kh, kw, xpad.shape[3]),
                      (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c), writeable=False)


class _Im2col:
    """Chunks of the im2col matrix of NHWC ``xpad``, ``step`` samples at a time.

    ``chunk(s)`` is the ``(m Ho Wo, kh kw C)`` matrix of samples ``s:s+step`` copied into
    scratch ``slot`` (valid until that slot's next use), with a last column of ones when
    ``ones`` (then ``cols @ [W2 | b]^T = cols W2^T + b``). The window view and the buffer are
    made once per call of the layer, so a chunk costs one copy and little Python.
    """

    def __init__(self, xpad: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
                 ho: int, wo: int, step: int, slot: int, ones: bool = False) -> None:
        self.windows = _windows(xpad, kh, kw, sh, sw, dh, dw, ho, wo)
        self.n, self.step, self.rows = xpad.shape[0], step, ho * wo
        k = kh * kw * xpad.shape[3]
        self.width = k + ones
        buffer = scratch((step, ho, wo, self.width), xpad.dtype, slot)
        if ones:
            buffer[..., k] = 1
        self.buffer = buffer
        self.target = buffer[..., :k].reshape((step,) + self.windows.shape[1:])

    def chunk(self, s: int) -> np.ndarray:
        m = min(self.step, self.n - s)
        np.copyto(self.target[:m], self.windows[s:s + m])
        return self.buffer[:m].reshape(m * self.rows, self.width)


class _Im2colRows(_Im2col):
    """:class:`_Im2col` for inputs with few channels, built transposed: ``(K, m Ho Wo)``.

    With ``C`` values per window offset the row-major copy moves runs of ``C`` values (one,
    for a grey-scale image), so NumPy copies nearly element by element; the transposed
    matrix is ``kh*kw*C`` row copies with runs of ``Wo`` values. ``chunk(s)`` returns its
    transpose, a Fortran-ordered view that the BLAS reads as it is (on the standard CNN's
    first layer, C = 1, about 30% faster both ways).
    """

    def __init__(self, xpad: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
                 ho: int, wo: int, step: int, slot: int, ones: bool = False) -> None:
        windows = _windows(xpad, kh, kw, sh, sw, dh, dw, ho, wo)  # (N, Ho, Wo, kh, kw, C)
        self.windows = windows.transpose(3, 4, 5, 0, 1, 2)  # (kh, kw, C, N, Ho, Wo)
        self.n, self.step, self.rows = xpad.shape[0], step, ho * wo
        k = kh * kw * xpad.shape[3]
        self.width = k + ones
        buffer = scratch((self.width, step * ho * wo), xpad.dtype, slot)
        if ones:
            buffer[k] = 1
        self.buffer = buffer
        self.target = buffer[:k].reshape(self.windows.shape[:3] + (step, ho, wo))

    def chunk(self, s: int) -> np.ndarray:
        m = min(self.step, self.n - s)
        np.copyto(self.target[:, :, :, :m], self.windows[:, :, :, s:s + m])
        return self.buffer[:, :m * self.rows].T


FEW_CHANNELS = 2
"""Inputs with at most this many channels take :class:`_Im2colRows`."""


def _im2col(xpad: np.ndarray, *args: int, **kwargs: Any) -> _Im2col:
    """:class:`_Im2colRows` for inputs with few channels, else :class:`_Im2col`."""
    kind = _Im2colRows if xpad.shape[3] <= FEW_CHANNELS else _Im2col
    return kind(xpad, *args, **kwargs)


def _weight_and_input_grads(g: np.ndarray, g2: np.ndarray, xpad: np.ndarray | None,
                            wd: np.ndarray, input_grad: bool, geometry: tuple[int, ...],
                            ones: bool = False
                            ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """``dW`` and, with ``ones``, ``db`` (when ``xpad`` is given) and the stride-1 ``dx`` (when
    ``input_grad``), chunked.

    ``g2`` is ``g`` as the ``(N Ho Wo, O)`` matrix ``G``. The stride-1 input gradient is a
    convolution of ``g`` with the flipped kernel: with ``T_h = dh (kh - 1) - ph`` rows
    (``T_w`` columns) of zeros around ``g``::

        dx[n, c, y, x] = sum_{p,q,o} gpad[n, o, y + p dh, x + q dw] W[o, c, kh-1-p, kw-1-q]

    i.e. one im2col copy of ``gpad`` and one GEMM with ``Wf[(p, q, o), c]``, no ``dcols`` and
    no col2im additions. Per chunk of samples: ``dW2 += G_chunk^T @ cols_chunk`` with
    ``cols_chunk`` rebuilt from ``xpad`` (the forward pass keeps the padded input, not its
    im2col matrix, and the rebuilt chunk is still in cache for the product), and ``dx_chunk``
    from the chunk's ``gpad``. Both scratch matrices stay about an L2 cache. With ``ones``
    the im2col chunks carry a column of ones, and the last column of ``dW2`` is
    ``db = sum_rows(G)``. The ``dW`` product is taken in the orientation whose output has the
    fewer rows (``cols^T G`` when ``K < O``: measured 40% faster for ``K = 9, O = 32``).
    """
    kh, kw, sh, sw, dh, dw, ph, pw, h, w = geometry
    n, o, ho, wo = g.shape
    _, c, _, _ = wd.shape
    rows, k = ho * wo, kh * kw * c
    per_sample = (rows * k if xpad is not None else 0)
    if input_grad:
        per_sample = max(per_sample, h * w * kh * kw * o)
        th, tw = dh * (kh - 1) - ph, dw * (kw - 1) - pw  # zeros around g
        flipped = wd[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(kh * kw * o, c)
        dx = np.empty((n, h, w, c), dtype=g.dtype)
    step = chunk_samples(n, per_sample * g.itemsize)
    starts = range(0, n, step)
    partials = None
    if xpad is not None:  # one dW2 product per chunk, added in chunk order below
        width = k + ones
        flip = width < o  # accumulate dW2^T = cols^T G instead
        partials = np.empty((len(starts),) + ((width, o) if flip else (o, width)),
                            dtype=g.dtype)
    if input_grad:
        g_nhwc = g.transpose(0, 2, 3, 1)

    def backward_chunks(worker: int, count: int) -> None:
        if xpad is not None:
            im2col = _im2col(xpad, kh, kw, sh, sw, dh, dw, ho, wo, step, slot=0, ones=ones)
        if input_grad:  # each chunk of g is padded in a reused buffer whose border stays 0
            gpad = scratch((step, ho + 2 * th, wo + 2 * tw, o), g.dtype, slot=5)
            gpad[:, :th] = 0
            gpad[:, th + ho:] = 0
            gpad[:, :, :tw] = 0
            gpad[:, :, tw + wo:] = 0
            g_windows = _windows(gpad, kh, kw, 1, 1, dh, dw, h, w)
            g_cols = scratch(g_windows.shape, g.dtype, slot=1)
        for j in range(worker, len(starts), count):
            s = starts[j]
            if xpad is not None:
                cols = im2col.chunk(s)
                gs = g2[s * rows:s * rows + cols.shape[0]]
                _weight_product(cols, gs, flip, partials[j])
            if input_grad:
                m = min(step, n - s)
                gpad[:m, th:th + ho, tw:tw + wo] = g_nhwc[s:s + m]
                np.copyto(g_cols[:m], g_windows[:m])
                np.matmul(g_cols[:m].reshape(m * h * w, -1), flipped,
                          out=dx[s:s + m].reshape(-1, c))

    run_chunks(len(starts), backward_chunks)
    gw = gb = None
    if partials is not None:
        gw2 = partials[0].copy()
        for part in partials[1:]:  # chunk order: the same sum for any number of threads
            gw2 += part
        gw2 = gw2.T if flip else gw2
        gw = np.ascontiguousarray(gw2[:, :k].reshape(o, kh, kw, c).transpose(0, 3, 1, 2))
        gb = gw2[:, k].copy() if ones else None
    return gw, gb, (dx.transpose(0, 3, 1, 2) if input_grad else None)


GIL_FREE_OUTPUT = 500
"""NumPy releases the GIL for a ``matmul`` only when its output (stacked products included)
has more than this many values (its ``NPY_BEGIN_THREADS_THRESHOLDED``): a smaller product holds
the GIL for the whole BLAS call and the chunk workers take turns."""


SMALL_PRODUCT = 1 << 19
"""Multiply-adds per product in :func:`_weight_product`'s stack."""


def _weight_product(cols: np.ndarray, gs: np.ndarray, flip: bool, out: np.ndarray) -> None:
    """One chunk's ``dW2`` (``gs^T cols``, or ``cols^T gs`` when ``flip``) into ``out``.

    A small ``dW2`` (the first layer's: ``10 x 32`` values) is not one product: NumPy would
    hold the GIL through it (:data:`GIL_FREE_OUTPUT`) and the other chunk worker would wait.
    Its rows are cut into blocks of at most :data:`SMALL_PRODUCT` multiply-adds, multiplied
    as one stacked ``matmul`` (output large enough, GIL released) and summed in block order.
    On the standard CNN's first layer this halves the backward pass on two workers (OpenBLAS
    also runs these thin products faster than one long one).
    """
    m = cols.shape[0]
    a, b = (cols, gs) if flip else (gs, cols)  # out = a^T b
    size = out.size
    if size > GIL_FREE_OUTPUT or m < 2:
        np.matmul(a.T, b, out=out)
        return
    stack = GIL_FREE_OUTPUT // size + 1  # products enough for the GIL to be released
    block = max(1, min(SMALL_PRODUCT // size, m // stack))
    full = m // block
    parts = scratch((full + 1,) + out.shape, out.dtype, slot=6)
    np.matmul(a[:full * block].reshape(full, block, -1).transpose(0, 2, 1),
              b[:full * block].reshape(full, block, -1), out=parts[:full])
    if m > full * block:
        np.matmul(a[full * block:].T, b[full * block:], out=parts[full])
        full += 1
    np.sum(parts[:full], axis=0, out=out)  # in block order: the same for any workers

"""Convolutional-network primitives on ``(N, C, H, W)`` tensors, each backward beside its forward.

PyTorch's names and semantics: :func:`conv2d`, :func:`max_pool2d`, :func:`avg_pool2d`,
:func:`adaptive_avg_pool2d`, :func:`batch_norm2d` (reached through ``F.batch_norm`` on 4-D
input) and :func:`dropout2d`.

Memory layout. Tensors have NCHW *shape*, but :func:`conv2d` returns its output as an NCHW view
of NHWC (channels-last) memory, the layout PyTorch calls ``channels_last``. NumPy's element-wise
ops and reductions keep that layout (``order="K"``), so a ``conv -> relu -> maxpool -> conv``
chain stays channels-last, and the next convolution reads its windows with the channels
contiguous: the im2col copy runs ~7x faster than from NCHW memory. Values and shapes are
exactly PyTorch's; only the strides differ (``np.ascontiguousarray`` gives NCHW memory).

The convolution as a matrix product (im2col). With ``K = kh * kw * C`` and ``M = N * Ho * Wo``::

    cols[(n, i, j), (p, q, c)] = xpad[n, c, i*sh + p*dh, j*sw + q*dw]        (M, K)
    out[(n, i, j), o]          = cols @ W2^T + b,  W2[o, (p, q, c)] = W[o, c, p, q]

Backward, with ``G`` the output gradient as an ``(M, O)`` matrix:

    dW2   = G^T @ cols                 (one GEMM)
    db    = sum over rows of G
    dcols = G @ W2                     (one GEMM)
    dxpad[n, c, i*sh + p*dh, j*sw + q*dw] += dcols[(n, i, j), (p, q, c)]   (col2im)

col2im runs as ``kh * kw`` strided slice additions, one per kernel offset ``(p, q)`` (no
``np.add.at`` scatter), then the padding is cropped off. For stride 1 (the common case) the
input gradient is computed instead as a convolution of the zero-padded ``G`` with the flipped
kernel, one im2col copy and one GEMM (:func:`_weight_and_input_grads`), measured faster.

Chunking. The im2col matrices are built a few samples at a time (about 2 MB, an L2 cache:
:data:`CHUNK_BYTES`) into reused scratch buffers, and each chunk's GEMM reads them while they
are still in cache; the backward pass rebuilds the forward's chunks from the padded input for
``dW`` instead of keeping the whole matrix. Measured on the standard CNN's second layer (one
thread): forward 17 -> 12 ms, input gradient 24 -> 14 ms, weight gradient 15 -> 14 ms.

Threads. The chunks of the forward, weight-gradient and input-gradient passes and of
max-pooling run on :func:`telar.chunk_workers.workers` threads (one per core by default),
chunk ``j`` on thread ``j mod W``, each thread with its own scratch buffers. A chunk writes
only its own rows of the output (or of the input gradient), and ``dW`` is one partial product
per chunk, added in chunk order, so every result is bit-identical for any number of threads.
While two or more threads run, the BLAS is limited to one thread each. NumPy releases the GIL
for a product only when its output has more than 500 values, so a smaller ``dW`` is computed
as a stack of products (:func:`_weight_product`); otherwise the threads would take turns.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from telar.autograd import Tensor, make_result
from telar.backend import xp
from telar.chunk_workers import run_chunks
from telar.functional import norm_grads, relu, update_running_stats

Pair = int | tuple[int, int]


def _pair(value: Pair, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0,
                dilation: int = 1) -> int:
    """``floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1`` (PyTorch's rule)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _check_4d(x: np.ndarray, what: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{what} expects input of shape (N, C, H, W), got shape {x.shape}")


def _pad_nhwc(x: np.ndarray, ph: int, pw: int, fill: float = 0.0) -> np.ndarray:
    """``x`` (NCHW shape) as NHWC ``(N, H + 2ph, W + 2pw, C)`` with ``fill`` around it.

    Without padding this is a view (free when ``x`` is channels-last in memory); with padding
    one copy into a fresh buffer whose borders alone are filled.
    """
    nhwc = x.transpose(0, 2, 3, 1)
    if ph == 0 and pw == 0:
        return nhwc
    n, h, w, c = nhwc.shape
    out = xp.empty((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    out[:, :ph] = fill
    out[:, h + ph:] = fill
    out[:, ph:h + ph, :pw] = fill
    out[:, ph:h + ph, w + pw:] = fill
    out[:, ph:h + ph, pw:w + pw] = nhwc
    return out


def _windows(xpad: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
             ho: int, wo: int) -> np.ndarray:
    """The read-only view ``(N, Ho, Wo, kh, kw, C)`` of every window of NHWC ``xpad``."""
    s_n, s_h, s_w, s_c = xpad.strides
    return as_strided(xpad, (xpad.shape[0], ho, wo, kh, kw, xpad.shape[3]),
                      (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c), writeable=False)


# --------------------------------------------------------------------------- convolution
def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Pair = 1,
           padding: Pair | str = 0, dilation: Pair = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, ``torch.nn.functional.conv2d`` with ``groups=1``.

    ``out[n, o, i, j] = b[o] + sum_{c,p,q} W[o, c, p, q] xpad[n, c, i*sh + p*dh, j*sw + q*dw]``
    for ``x`` ``(N, C, H, W)`` and ``W`` ``(O, C, kh, kw)``; ``padding="same"`` pads so that
    ``Ho = H`` (stride 1). Forward: one im2col copy and one GEMM; backward: one GEMM for
    ``dW = G^T cols`` and, for the input, either (stride 1) one im2col copy of the padded
    ``G`` and one GEMM with the flipped kernel, or one GEMM for ``dcols`` then ``kh*kw``
    slice additions (col2im); see the module notes.

    Memory per batch: the zero-padded input (``N*(H+2ph)*(W+2pw)*C`` values; 4.2 MB for the
    standard CNN's second layer) is kept for the backward pass, which rebuilds the im2col
    matrix from it chunk by chunk. The im2col chunks live in two per-thread scratch buffers
    of about :data:`CHUNK_BYTES` each, kept for the next step; the backward pass also holds
    the padded output gradient (stride 1) or, otherwise, ``dcols`` (``N*Ho*Wo*kh*kw*C``
    values) and the padded input gradient.
    """
    if groups != 1:
        raise NotImplementedError("conv2d supports groups=1 only")
    xd, wd = x.data, weight.data
    _check_4d(xd, "conv2d")
    n, c, h, w = xd.shape
    o, cw, kh, kw = wd.shape
    if cw != c:
        raise ValueError(f"conv2d: input has {c} channels, the weight expects {cw}")
    sh, sw = _pair(stride, "stride")
    dh, dw = _pair(dilation, "dilation")
    if padding == "same":
        if (sh, sw) != (1, 1):
            raise ValueError("conv2d padding='same' needs stride 1")
        ph, pw = dh * (kh - 1) // 2, dw * (kw - 1) // 2
        if dh * (kh - 1) % 2 or dw * (kw - 1) % 2:
            raise ValueError("conv2d padding='same' needs an odd (dilated) kernel size")
    else:
        ph, pw = _pair(padding, "padding")
    ho, wo = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    if ho < 1 or wo < 1:
        raise ValueError(f"conv2d: kernel {kh}x{kw} (dilation {dh}x{dw}) does not fit the "
                         f"padded input {h + 2 * ph}x{w + 2 * pw}")
    k = kh * kw * c
    xpad = _pad_nhwc(xd, ph, pw)
    w2 = wd.transpose(0, 2, 3, 1).reshape(o, k)  # (O, kh*kw*C): a small copy
    rows = ho * wo  # output pixels per sample
    fwd_chunk = _chunk(n, rows * k * xd.itemsize)
    out2 = xp.empty((n * rows, o), dtype=xd.dtype)
    # Few columns (the first layer: K = 9): the bias rides in the GEMM as a column of ones.
    fold = bias is not None and k < FOLD_BIAS_BELOW
    w2f = xp.concatenate([w2, bias.data[:, None].astype(w2.dtype)], axis=1) if fold else w2
    starts = range(0, n, fwd_chunk)

    def forward_chunks(worker: int, count: int) -> None:
        # im2col + GEMM per chunk (the columns stay in cache), in this thread's scratch
        im2col = _im2col(xpad, kh, kw, sh, sw, dh, dw, ho, wo, fwd_chunk, slot=0, ones=fold)
        for s in starts[worker::count]:
            cols = im2col.chunk(s)
            part = out2[s * rows:s * rows + cols.shape[0]]
            xp.matmul(cols, w2f.T, out=part)
            if bias is not None and not fold:
                part += bias.data

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
            dxpad = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=g2.dtype)
            for p in range(kh):
                rows_p = slice(p * dh, p * dh + sh * (ho - 1) + 1, sh)
                for q in range(kw):
                    cols_q = slice(q * dw, q * dw + sw * (wo - 1) + 1, sw)
                    dxpad[:, rows_p, cols_q] += dcols[:, :, :, p, q]
            gx = dxpad[:, ph:ph + h, pw:pw + w].transpose(0, 3, 1, 2)
        if bias is None:
            return gx, gw
        if bias.requires_grad and gb is None:
            gb = xp.einsum("ij->j", g2)
        return gx, gw, (gb if bias.requires_grad else None)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make_result(out, parents, backward)


CHUNK_BYTES = 2 << 20
"""Target size of one chunk's im2col matrix: about an L2 cache (2 MB measured best here)."""

FOLD_BIAS_BELOW = 64
"""Im2col widths ``K`` below which the bias is a column of ones in the GEMMs: for ``K = 9``
the forward GEMM + bias pass and the backward ``dW`` GEMM + bias sum got 25-50% faster; for
``K = 288`` the odd width made the GEMMs slower."""


def _chunk(n: int, bytes_per_sample: int) -> int:
    """Samples per chunk so that a chunk's im2col matrix holds at most about
    :data:`CHUNK_BYTES`, the chunks as even as their number allows (128 samples of at most 74
    per chunk: 64 + 64, not 74 + 54, so that two threads finish together)."""
    most = max(1, min(n, CHUNK_BYTES // max(1, bytes_per_sample)))
    return -(-n // -(-n // most))


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
        buffer = _scratch((step, ho, wo, self.width), xpad.dtype, slot)
        if ones:
            buffer[..., k] = 1
        self.buffer = buffer
        self.target = buffer[..., :k].reshape((step,) + self.windows.shape[1:])

    def chunk(self, s: int) -> np.ndarray:
        m = min(self.step, self.n - s)
        xp.copyto(self.target[:m], self.windows[s:s + m])
        return self.buffer[:m].reshape(m * self.rows, self.width)


class _Im2colRows(_Im2col):
    """:class:`_Im2col` for inputs with few channels, built transposed: ``(K, m Ho Wo)``.

    With ``C`` values per window offset the row-major copy moves runs of ``C`` values (one,
    for a grey-scale image), so NumPy copies nearly element by element; the transposed
    matrix is ``kh*kw*C`` row copies with runs of ``Wo`` values. ``chunk(s)`` returns its
    transpose, a Fortran-ordered view that the BLAS reads as it is. First layer of the
    standard CNN (C = 1, core 1): forward 4.1-5.1 -> 2.9-3.6 ms, backward 5.5 -> 3.1-3.3 ms.
    """

    def __init__(self, xpad: np.ndarray, kh: int, kw: int, sh: int, sw: int, dh: int, dw: int,
                 ho: int, wo: int, step: int, slot: int, ones: bool = False) -> None:
        windows = _windows(xpad, kh, kw, sh, sw, dh, dw, ho, wo)  # (N, Ho, Wo, kh, kw, C)
        self.windows = windows.transpose(3, 4, 5, 0, 1, 2)  # (kh, kw, C, N, Ho, Wo)
        self.n, self.step, self.rows = xpad.shape[0], step, ho * wo
        k = kh * kw * xpad.shape[3]
        self.width = k + ones
        buffer = _scratch((self.width, step * ho * wo), xpad.dtype, slot)
        if ones:
            buffer[k] = 1
        self.buffer = buffer
        self.target = buffer[:k].reshape(self.windows.shape[:3] + (step, ho, wo))

    def chunk(self, s: int) -> np.ndarray:
        m = min(self.step, self.n - s)
        xp.copyto(self.target[:, :, :, :m], self.windows[:, :, :, s:s + m])
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
        dx = xp.empty((n, h, w, c), dtype=g.dtype)
    step = _chunk(n, per_sample * g.itemsize)
    starts = range(0, n, step)
    partials = None
    if xpad is not None:  # one dW2 product per chunk, added in chunk order below
        width = k + ones
        flip = width < o  # accumulate dW2^T = cols^T G instead
        partials = xp.empty((len(starts),) + ((width, o) if flip else (o, width)),
                            dtype=g.dtype)
    if input_grad:
        g_nhwc = g.transpose(0, 2, 3, 1)

    def backward_chunks(worker: int, count: int) -> None:
        if xpad is not None:
            im2col = _im2col(xpad, kh, kw, sh, sw, dh, dw, ho, wo, step, slot=0, ones=ones)
        if input_grad:  # each chunk of g is padded in a reused buffer whose border stays 0
            gpad = _scratch((step, ho + 2 * th, wo + 2 * tw, o), g.dtype, slot=5)
            gpad[:, :th] = 0
            gpad[:, th + ho:] = 0
            gpad[:, :, :tw] = 0
            gpad[:, :, tw + wo:] = 0
            g_windows = _windows(gpad, kh, kw, 1, 1, dh, dw, h, w)
            g_cols = _scratch(g_windows.shape, g.dtype, slot=1)
        for j in range(worker, len(starts), count):
            s = starts[j]
            if xpad is not None:
                cols = im2col.chunk(s)
                gs = g2[s * rows:s * rows + cols.shape[0]]
                _weight_product(cols, gs, flip, partials[j])
            if input_grad:
                m = min(step, n - s)
                gpad[:m, th:th + ho, tw:tw + wo] = g_nhwc[s:s + m]
                xp.copyto(g_cols[:m], g_windows[:m])
                xp.matmul(g_cols[:m].reshape(m * h * w, -1), flipped,
                          out=dx[s:s + m].reshape(-1, c))

    run_chunks(len(starts), backward_chunks)
    gw = gb = None
    if partials is not None:
        gw2 = partials[0].copy()
        for part in partials[1:]:  # chunk order: the same sum for any number of threads
            gw2 += part
        gw2 = gw2.T if flip else gw2
        gw = xp.ascontiguousarray(gw2[:, :k].reshape(o, kh, kw, c).transpose(0, 3, 1, 2))
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
    Measured on the standard CNN's first layer, backward, 2 workers: 2.6-3.3 -> ~1.1-1.5 ms
    (OpenBLAS also runs these thin products faster than one long one).
    """
    m = cols.shape[0]
    a, b = (cols, gs) if flip else (gs, cols)  # out = a^T b
    size = out.size
    if size > GIL_FREE_OUTPUT or m < 2:
        xp.matmul(a.T, b, out=out)
        return
    stack = GIL_FREE_OUTPUT // size + 1  # products enough for the GIL to be released
    block = max(1, min(SMALL_PRODUCT // size, m // stack))
    full = m // block
    parts = _scratch((full + 1,) + out.shape, out.dtype, slot=6)
    xp.matmul(a[:full * block].reshape(full, block, -1).transpose(0, 2, 1),
              b[:full * block].reshape(full, block, -1), out=parts[:full])
    if m > full * block:
        xp.matmul(a[full * block:].T, b[full * block:], out=parts[full])
        full += 1
    xp.sum(parts[:full], axis=0, out=out)  # in block order: the same for any workers


_scratch_local = threading.local()


def _scratch(shape: tuple[int, ...], dtype: Any, slot: int = 0) -> np.ndarray:
    """A per-thread work array of ``shape`` in buffer ``slot``, reused from call to call (never
    returned to a caller: its contents live only until the slot's next use). Reuse keeps the
    chunk's memory in cache and spares a fresh allocation's page faults on every step."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    buffers = getattr(_scratch_local, "buffers", None)
    if buffers is None:
        buffers = _scratch_local.buffers = {}
    buffer = buffers.get(slot)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = buffers[slot] = xp.empty(nbytes, dtype=np.uint8)
    return buffer[:nbytes].view(dtype).reshape(shape)


# --------------------------------------------------------------------------- pooling
def _pool_geometry(x: np.ndarray, kernel_size: Pair, stride: Pair | None, padding: Pair,
                   what: str) -> tuple[int, int, int, int, int, int, int, int]:
    _check_4d(x, what)
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(kernel_size if stride is None else stride, "stride")
    ph, pw = _pair(padding, "padding")
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


def _padded(x: np.ndarray, ph: int, pw: int, fill: float) -> np.ndarray:
    """``x`` NCHW with ``fill`` around it (same memory layout), or ``x`` itself."""
    if ph == 0 and pw == 0:
        return x
    return _pad_nhwc(x, ph, pw, fill).transpose(0, 3, 1, 2)


def _like(template: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` copied into an array with ``template``'s memory layout."""
    out = xp.empty_like(template)
    xp.copyto(out, values)
    return out


def _offset(a: np.ndarray, p: int, q: int, sh: int, sw: int, ho: int, wo: int) -> np.ndarray:
    """The strided slice of ``a`` (NCHW) that kernel offset ``(p, q)`` of every window reads."""
    return a[:, :, p:p + sh * (ho - 1) + 1:sh, q:q + sw * (wo - 1) + 1:sw]


def max_pool2d(x: Tensor, kernel_size: Pair, stride: Pair | None = None,
               padding: Pair = 0) -> Tensor:
    """Max over each ``kh x kw`` window (``torch.nn.functional.max_pool2d``, floor mode).

    ``out[n, c, i, j] = max_{p,q} xpad[n, c, i*sh + p, j*sw + q]``, padding with ``-inf``;
    ``stride`` defaults to the kernel. Backward: ``g`` goes to the first maximum of each
    window in row-major order (PyTorch's choice when values tie, e.g. zeros after ReLU);
    overlapping windows add their shares, one slice addition per kernel offset.
    Non-overlapping windows (stride = kernel, no padding) take a reshape fast path
    (:func:`_max_pool_tiled`). Memory per batch: ``x`` and ``out`` are referenced; the fast
    path keeps one byte per output.
    """
    xd = x.data
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(xd, kernel_size, stride, padding,
                                                    "max_pool2d")
    n, c = xd.shape[:2]
    if _tiled(kh, kw, sh, sw, ph, pw):
        return _max_pool_tiled(x, kh, kw, ho, wo)
    xpad = _padded(xd, ph, pw, -np.inf)
    out = None
    for p in range(kh):
        for q in range(kw):
            part = _offset(xpad, p, q, sh, sw, ho, wo)
            out = part.copy(order="K") if out is None else xp.maximum(out, part, out=out)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        taken = xp.zeros(out.shape, dtype=bool)
        gpad = xp.zeros_like(xpad)
        for p in range(kh):
            for q in range(kw):
                hit = _offset(xpad, p, q, sh, sw, ho, wo) == out
                hit &= ~taken
                taken |= hit
                _offset(gpad, p, q, sh, sw, ho, wo)[...] += g * hit
        return (gpad[:, :, ph:ph + xd.shape[2], pw:pw + xd.shape[3]],)

    return make_result(out, (x,), backward)


def max_pool2d_relu(x: Tensor, kernel_size: Pair, stride: Pair | None = None,
                    padding: Pair = 0) -> Tensor:
    """``relu(max_pool2d(x))``, which equals ``max_pool2d(relu(x))`` exactly (ReLU is monotone).

    Where the windows tile the input (stride = kernel, no padding) it is one pass: the
    running maximum starts at 0 (:func:`_max_pool_tiled`), so the ReLU costs nothing and its
    own forward and backward passes are saved. Other windows: the pool, then the ReLU on its
    ``kh*kw`` times smaller output. Gradients as the written order's, ties included: where a
    window's maximum is positive ``g`` goes to its first maximum, elsewhere nowhere.
    """
    xd = x.data
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(xd, kernel_size, stride, padding,
                                                    "max_pool2d")
    if _tiled(kh, kw, sh, sw, ph, pw):
        return _max_pool_tiled(x, kh, kw, ho, wo, relu=True)
    return relu(max_pool2d(x, kernel_size, stride, padding))


def _tiled(kh: int, kw: int, sh: int, sw: int, ph: int, pw: int) -> bool:
    """Whether max-pool windows tile the input (stride = kernel, no padding) so that
    :func:`_max_pool_tiled` applies; it records each window's winner as a ``uint8`` code
    ``1 .. kh*kw``, hence fewer than 256 offsets."""
    return (sh, sw) == (kh, kw) and ph == pw == 0 and kh * kw < 256


def _tiles(a: np.ndarray, kh: int, kw: int, ho: int, wo: int) -> np.ndarray:
    """The view ``(N, Ho, kh, Wo, kw, C)`` of NCHW-shaped ``a``'s non-overlapping tiles.

    Axes in NHWC order: on channels-last memory (what :func:`conv2d` returns) it is a plain
    strided view whose last axis is contiguous, and NumPy's loops (broadcasting ones too) run
    over it in memory order, 3x faster than over the NCHW-shaped view of the same memory.
    """
    n, c = a.shape[:2]
    return a.transpose(0, 2, 3, 1)[:, :ho * kh, :wo * kw].reshape(n, ho, kh, wo, kw, c)


def _max_pool_tiled(x: Tensor, kh: int, kw: int, ho: int, wo: int,
                    relu: bool = False) -> Tensor:
    """Max pooling over non-overlapping ``kh x kw`` tiles, the reshape fast path; with ``relu``,
    ``relu(max_pool(x))`` in the same pass.

    Forward: a running maximum over the ``kh*kw`` tile offsets ``o`` of the view
    ``(N, Ho, kh, Wo, kw, C)`` (splitting axes never copies), which also records, as a
    ``uint8`` per output, ``1 +`` the offset of the first maximum: a later offset must be
    strictly larger to win, ``winner = max(winner, (o + 1) [x_o > running max])``. With
    ``relu`` the running maximum starts at 0 and the winner at 0 ("none"), so a window whose
    values are all <= 0 gives 0 and sends no gradient, exactly as a ReLU after the pool.
    Backward: one broadcast product ``g * (winner == offset + 1)`` writes the whole input
    gradient. Memory per batch: the ``N*C*Ho*Wo`` winner bytes. The output is channels-last
    in memory.
    """
    xd = x.data
    n, c, h, w = xd.shape
    tiles = _tiles(xd, kh, kw, ho, wo)
    out = xp.empty((n, ho, wo, c), dtype=xd.dtype)
    winner = xp.empty(out.shape, dtype=np.uint8)
    # Chunks of samples (about CHUNK_BYTES of input): the strided tile offsets are read while
    # the chunk is in cache, measured 2-3x faster than whole-batch passes.
    step = _chunk(n, kh * kw * ho * wo * c * xd.itemsize)
    starts = range(0, n, step)
    first = 0 if relu else 1  # without relu, offset 0 starts the running maximum

    def forward_chunks(worker: int, count: int) -> None:
        above = _scratch((step, ho, wo, c), np.bool_, slot=2)
        code = _scratch((step, ho, wo, c), np.uint8, slot=3)
        for s in starts[worker::count]:
            t, o_, w_ = tiles[s:s + step], out[s:s + step], winner[s:s + step]
            m = len(o_)
            if relu:
                o_[...] = 0
            else:
                xp.copyto(o_, t[:, :, 0, :, 0])
            w_[...] = first  # code 1: offset 0 holds the maximum so far; 0: none (relu)
            for o in range(first, kh * kw):
                part = t[:, :, o // kw, :, o % kw]
                xp.greater(part, o_, out=above[:m])
                xp.multiply(above[:m], np.uint8(o + 1), out=code[:m])
                xp.maximum(w_, code[:m], out=w_)
                xp.maximum(o_, part, out=o_)

    run_chunks(len(starts), forward_chunks)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        whole = ho * kh == h and wo * kw == w
        gx = (xp.empty if whole else xp.zeros)((n, h, w, c), dtype=g.dtype)  # channels-last
        gv = xp.ascontiguousarray(g.transpose(0, 2, 3, 1))  # free when g is channels-last
        gx_tiles = _tiles(gx.transpose(0, 3, 1, 2), kh, kw, ho, wo)
        # offset[i, p, j, q, c] = 1 + p kw + q (the winner codes), materialised so that every
        # operand below has contiguous (Wo, kw, C) rows: NumPy then loops over Wo*kw*C values
        # at a time, not C (measured 5.1 -> 4.0 ms on the first pool of the standard CNN).
        offset = xp.empty((ho, kh, wo, kw, c), dtype=np.uint8)
        offset[...] = xp.arange(1, kh * kw + 1, dtype=np.uint8).reshape(1, kh, 1, kw, 1)

        def backward_chunks(worker: int, count: int) -> None:
            winners = _scratch((step, ho, 1, wo, kw, c), np.uint8, slot=3)
            grads = _scratch((step, ho, 1, wo, kw, c), g.dtype, slot=4)
            hits = _scratch((step, ho, kh, wo, kw, c), np.bool_, slot=2)
            for s in starts[worker::count]:
                m = min(step, n - s)
                xp.copyto(winners[:m], winner[s:s + m, :, None, :, None, :])
                xp.copyto(grads[:m], gv[s:s + m, :, None, :, None, :])
                xp.equal(winners[:m], offset, out=hits[:m])
                xp.multiply(grads[:m], hits[:m], out=gx_tiles[s:s + m])

        run_chunks(len(starts), backward_chunks)
        return (gx.transpose(0, 3, 1, 2),)

    return make_result(out.transpose(0, 3, 1, 2), (x,), backward)


def avg_pool2d(x: Tensor, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0,
               count_include_pad: bool = True) -> Tensor:
    """Mean over each ``kh x kw`` window (``torch.nn.functional.avg_pool2d``, floor mode).

    ``out[n, c, i, j] = sum_{p,q} xpad[n, c, i*sh + p, j*sw + q] / D`` with zero padding and
    ``D = kh*kw`` (``count_include_pad=True``, PyTorch's default) or the number of unpadded
    values in the window. Backward: ``dxpad[window] += g / D``, one slice addition per kernel
    offset. Non-overlapping windows take a reshape fast path. Memory: nothing is kept.
    """
    xd = x.data
    kh, kw, sh, sw, ph, pw, ho, wo = _pool_geometry(xd, kernel_size, stride, padding,
                                                    "avg_pool2d")
    n, c, h, w = xd.shape
    fast = (sh, sw) == (kh, kw) and ph == pw == 0
    if count_include_pad or (ph == pw == 0):
        divisor: np.ndarray | float = float(kh * kw)
    else:  # windows near the border count only the values inside the image
        ones = xp.zeros((1, 1, h + 2 * ph, w + 2 * pw))
        ones[:, :, ph:ph + h, pw:pw + w] = 1
        divisor = sum(_offset(ones, p, q, sh, sw, ho, wo) for p in range(kh) for q in range(kw))
    if fast:  # sum of the kh*kw tile offsets, on the NHWC view (see _tiles)
        tiles = _tiles(xd, kh, kw, ho, wo)
        acc = tiles[:, :, 0, :, 0].copy()
        for o in range(1, kh * kw):
            acc += tiles[:, :, o // kw, :, o % kw]
        acc *= xd.dtype.type(1.0 / (kh * kw))
        out = acc.transpose(0, 3, 1, 2)
    else:
        xpad = _padded(xd, ph, pw, 0.0)
        out = xp.zeros((n, c, ho, wo), dtype=xd.dtype)
        for p in range(kh):
            for q in range(kw):
                out += _offset(xpad, p, q, sh, sw, ho, wo)
        out /= xp.asarray(divisor, dtype=xd.dtype)

    def backward(g: np.ndarray) -> tuple[np.ndarray]:
        share = (g / xp.asarray(divisor, dtype=g.dtype)).astype(xd.dtype, copy=False)
        if fast:
            gx = xp.zeros((n, h, w, c), dtype=xd.dtype).transpose(0, 3, 1, 2)
            _tiles(gx, kh, kw, ho, wo)[...] = share.transpose(0, 2, 3, 1)[:, :, None, :, None]
            return (gx,)
        gpad = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=xd.dtype)
        for p in range(kh):
            for q in range(kw):
                _offset(gpad, p, q, sh, sw, ho, wo)[...] += share
        return (gpad[:, :, ph:ph + h, pw:pw + w],)

    return make_result(out, (x,), backward)


def _adaptive_matrix(size: int, out: int, dtype: Any) -> np.ndarray:
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
    xd = x.data
    _check_4d(xd, "adaptive_avg_pool2d")
    n, c, h, w = xd.shape
    oh, ow = _pair(output_size, "output_size")
    if oh < 1 or ow < 1:
        raise ValueError(f"adaptive_avg_pool2d: output size must be positive, got {oh}x{ow}")
    if (oh, ow) == (1, 1):
        out = xd.mean(axis=(2, 3), keepdims=True)

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            return (xp.broadcast_to(g / (h * w), xd.shape),)

        return make_result(out, (x,), backward)
    a_h, a_w = _adaptive_matrix(h, oh, xd.dtype), _adaptive_matrix(w, ow, xd.dtype)
    out = a_h @ xd @ a_w.T

    def backward_general(g: np.ndarray) -> tuple[np.ndarray]:
        return (a_h.T @ g @ a_w,)

    return make_result(out, (x,), backward_general)


# --------------------------------------------------------------------------- normalisation
def batch_norm2d(x: Tensor, weight: Tensor | None, bias: Tensor | None,
                 running_mean: np.ndarray | None, running_var: np.ndarray | None,
                 training: bool, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Per-channel batch normalisation of ``(N, C, H, W)`` (PyTorch's ``BatchNorm2d``), fused.

    Statistics run over ``N, H, W``: the input is viewed as ``m = N*H*W`` rows of ``C``
    channels (free for channels-last memory). Training: ``mu``, ``var`` (biased) of the batch,
    ``xhat = (x - mu) / sqrt(var + eps)``, ``out = gamma xhat + beta``; the running statistics
    move by ``momentum`` (the running variance with the unbiased ``m / (m - 1)`` factor).
    Evaluation: the running statistics instead. Backward (training), with
    ``dbeta = sum(g)`` and ``dgamma = sum(g xhat)`` over the rows::

        dx = gamma / (m sqrt(var + eps)) (m g - dbeta - xhat dgamma)

    Memory per batch: the centred input ``x - mu`` (one array the size of ``x``) is kept; the
    sums use ``einsum`` so no squared temporary is made.
    """
    xd = x.data
    _check_4d(xd, "batch_norm2d")
    n, c, h, w = xd.shape
    rows = xd.transpose(0, 2, 3, 1).reshape(n * h * w, c)  # a copy only for NCHW memory
    m = rows.shape[0]
    use_batch = training or running_mean is None
    if use_batch:
        if m < 2:
            raise ValueError("batch_norm2d in training mode needs more than one value per "
                             "channel")
        mu = xp.einsum("ij->j", rows) / m  # einsum: 2.5x faster than rows.mean(axis=0)
        centred = rows - mu
        var = xp.einsum("ij,ij->j", centred, centred) / m
        if training and running_mean is not None and running_var is not None:
            update_running_stats(running_mean, running_var, mu, var, m, momentum)
    else:
        centred = rows - running_mean
        var = running_var
    inv_std = (1.0 / xp.sqrt(var + eps)).astype(xd.dtype)
    gamma = None if weight is None else weight.data
    scale = inv_std if gamma is None else inv_std * gamma
    out = centred * scale
    if bias is not None:
        out += bias.data

    def backward(g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        g2 = g.transpose(0, 2, 3, 1).reshape(m, c)  # free when g is channels-last
        g_sum = xp.einsum("ij->j", g2)
        g_xhat_sum = xp.einsum("ij,ij->j", g2, centred) * inv_std  # sum(g xhat)
        gx = None
        if x.requires_grad:
            if use_batch:
                gx = g2 * scale
                gx -= centred * (g_xhat_sum * inv_std * scale / m)
                gx -= g_sum * (scale / m)
            else:
                gx = g2 * scale
            gx = gx.reshape(n, h, w, c).transpose(0, 3, 1, 2)
        return norm_grads(gx, weight, bias, g_xhat_sum, g_sum)

    parents = tuple(t for t in (x, weight, bias) if t is not None)
    return make_result(out.reshape(n, h, w, c).transpose(0, 3, 1, 2), parents, backward)


# --------------------------------------------------------------------------- regularisation
def dropout2d(x: Tensor, p: float, training: bool, rng: np.random.Generator) -> Tensor:
    """Channel dropout (``torch.nn.functional.dropout2d``): zero whole ``(n, c)`` feature maps
    with probability ``p``, scale the kept ones by ``1/(1-p)``; ``dx = g * mask``.

    The mask has shape ``(N, C, 1, 1)``: adjacent pixels are correlated, so dropping single
    pixels regularises convolutions little. Memory: the ``N*C`` mask.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    xd = x.data
    _check_4d(xd, "dropout2d")
    if not training or p == 0.0:
        return x
    keep = rng.random(xd.shape[:2]) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(xd.dtype)[:, :, None, None]
    return make_result(xd * mask, (x,), lambda g: (g * mask,))


__all__ = ["conv2d", "max_pool2d", "max_pool2d_relu", "avg_pool2d", "adaptive_avg_pool2d",
           "batch_norm2d", "dropout2d", "output_size"]

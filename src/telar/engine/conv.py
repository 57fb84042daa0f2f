"""The 2-D convolution, ``torch.nn.functional.conv2d``: arguments checked, then a kernel runs.

For ``x`` of shape ``(N, C, H, W)`` and ``W`` of shape ``(O, C, kh, kw)``::

    out[n, o, i, j] = b[o] + sum_{c,p,q} W[o, c, p, q] xpad[n, c, i*sh + p*dh, j*sw + q*dw]

with ``xpad`` the input zero-padded by ``(ph, pw)``, ``(sh, sw)`` the stride and ``(dh, dw)``
the dilation; ``padding="same"`` pads so that ``Ho = H`` (stride 1). Two kernels compute it,
with the same arguments and the same results: :func:`telar.engine.reference.conv.conv2d`, the
textbook im2col in a few dozen lines (what to read first), and
:func:`telar.engine.cpu.conv.conv2d`, the tuned one NumPy runs (chunks, threads, scratch
buffers), which the tests hold to the reference.
"""

from __future__ import annotations

from telar.engine.array import fast_kernels
from telar.engine.cpu import conv as tuned
from telar.engine.devices import check_same_device
from telar.engine.reference import conv as reference
from telar.engine.shapes import check_nchw
from telar.engine.tensor import Tensor
from telar.engine.windows import Pair, output_size, pair


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Pair = 1,
           padding: Pair | str = 0, dilation: Pair = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (``torch.nn.functional.conv2d`` with ``groups=1``); see the
    module doc for the formula. Raises ``ValueError`` for shapes that do not fit."""
    if groups != 1:
        raise NotImplementedError("conv2d supports groups=1 only")
    xd, wd = x.array, weight.array
    check_nchw(xd, "conv2d")
    _, c, h, w = xd.shape
    _, cw, kh, kw = wd.shape
    if cw != c:
        raise ValueError(f"conv2d: input has {c} channels, the weight expects {cw}")
    sh, sw = pair(stride, "stride")
    dh, dw = pair(dilation, "dilation")
    if padding == "same":
        if (sh, sw) != (1, 1):
            raise ValueError("conv2d padding='same' needs stride 1")
        ph, pw = dh * (kh - 1) // 2, dw * (kw - 1) // 2
        if dh * (kh - 1) % 2 or dw * (kw - 1) % 2:
            raise ValueError("conv2d padding='same' needs an odd (dilated) kernel size")
    else:
        ph, pw = pair(padding, "padding")
    ho, wo = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    if ho < 1 or wo < 1:
        raise ValueError(f"conv2d: kernel {kh}x{kw} (dilation {dh}x{dw}) does not fit the "
                         f"padded input {h + 2 * ph}x{w + 2 * pw}")
    check_same_device(xd, wd, *(() if bias is None else (bias.array,)))
    # the tuned kernel works on NumPy's memory (threads, scratch); other arrays take the plain
    # one (the generic path: CuPy arrays, or NumPy inside telar.engine.array.generic_path)
    kernel = tuned.conv2d if fast_kernels(xd, wd) else reference.conv2d
    return kernel(x, weight, bias, (sh, sw), (ph, pw), (dh, dw))


__all__ = ["conv2d"]

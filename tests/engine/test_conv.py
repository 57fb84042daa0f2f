"""conv2d: backward against central differences (float64), forward and gradients against
PyTorch (float64 to 1e-10, float32 to ~1e-5), its output layout, and its one-line refusals."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import against_torch, check, normal_leaf

from telar.engine import functional as F

# (input shape, weight shape, keyword arguments): odd sizes, non-square, stride, padding,
# dilation, asymmetric everything.
CONV_CASES = [
    ((2, 3, 5, 4), (2, 3, 3, 3), {}),
    ((1, 2, 7, 6), (3, 2, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 2, 9, 7), (2, 2, 2, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    ((1, 1, 6, 5), (2, 1, 3, 3), {"padding": "same"}),
    ((2, 3, 4, 4), (4, 3, 1, 1), {}),
    ((1, 2, 5, 5), (2, 2, 2, 2), {"padding": 2}),           # stride 1, wide padding: col2im
    ((1, 2, 8, 7), (2, 2, 3, 3), {"dilation": 2, "padding": (1, 3)}),
    # "same" with unequal dilation and kernel sides: each axis pads from its own dilation
    ((1, 2, 7, 9), (2, 2, 3, 5), {"padding": "same", "dilation": (1, 2)}),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_conv2d_gradients_match_central_differences(xs, ws, kw, bias):
    x, w = normal_leaf(xs, 0), normal_leaf(ws, 1)
    if bias:
        check(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, normal_leaf(ws[0], 2))
    else:
        check(lambda x, w: F.conv2d(x, w, None, **kw), x, w)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_conv2d_forward_and_gradients_match_pytorch(xs, ws, kw, dtype, tol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    inputs = [rng.normal(size=s).astype(dtype) for s in (xs, ws, ws[:1])]
    against_torch(lambda x, w, b: F.conv2d(x, w, b, **kw),
                  lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kw), inputs, tol)


def test_conv2d_output_is_channels_last_in_memory_and_a_second_conv_reads_it():
    x, w = normal_leaf((2, 3, 5, 5), 0, np.float32), normal_leaf((4, 3, 3, 3), 1, np.float32)
    out = F.conv2d(x, w, padding=1)
    assert out.shape == (2, 4, 5, 5)
    assert out.data.transpose(0, 2, 3, 1).flags.c_contiguous
    twice = F.conv2d(F.relu(out), normal_leaf((2, 4, 3, 3), 2, np.float32))
    assert twice.shape == (2, 2, 3, 3)


def test_conv2d_rejects_channel_mismatch_and_kernels_larger_than_the_input():
    with pytest.raises(ValueError, match="3 channels"):
        F.conv2d(normal_leaf((1, 3, 5, 5), 0), normal_leaf((2, 2, 3, 3), 1))
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d(normal_leaf((1, 1, 2, 2), 0), normal_leaf((1, 1, 3, 3), 1))

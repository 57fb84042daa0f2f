"""Max, average and adaptive average pooling: backward against central differences, values
and gradients against PyTorch, ties included."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import against_torch, check, normal_leaf

import telar
from telar.engine import functional as F

POOL_CASES = [
    ((2, 3, 6, 4), {"kernel_size": 2}),                                   # fast path
    ((1, 2, 7, 5), {"kernel_size": 2}),                                   # fast path, crop
    ((2, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),        # overlapping
    ((1, 2, 5, 7), {"kernel_size": (2, 3), "stride": (1, 2)}),
    # unequal padding on the two axes: count_include_pad=False counts each axis's own padding
    ((1, 2, 6, 7), {"kernel_size": 3, "stride": 1, "padding": (1, 0)}),
    ((1, 1, 5, 6), {"kernel_size": (3, 5), "stride": 2, "padding": (0, 2)}),
]


@pytest.mark.parametrize("xs, kw", POOL_CASES)
def test_pooling_gradients_match_central_differences(xs, kw):
    x = normal_leaf(xs, 4)
    check(lambda x: F.max_pool2d(x, **kw), x)
    check(lambda x: F.avg_pool2d(x, **kw), x)
    if kw.get("padding"):
        check(lambda x: F.avg_pool2d(x, **kw, count_include_pad=False), x)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("xs, kw", POOL_CASES)
def test_pooling_matches_pytorch(xs, kw, dtype, tol):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).normal(size=xs).astype(dtype)
    tf = torch.nn.functional
    against_torch(lambda x: F.max_pool2d(x, **kw), lambda x: tf.max_pool2d(x, **kw), [x], tol)
    against_torch(lambda x: F.avg_pool2d(x, **kw), lambda x: tf.avg_pool2d(x, **kw), [x], tol)
    against_torch(lambda x: F.avg_pool2d(x, **kw, count_include_pad=False),
                  lambda x: tf.avg_pool2d(x, **kw, count_include_pad=False), [x], tol)


def test_max_pool_gives_a_tied_window_gradient_to_its_first_maximum_like_pytorch():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[1.0, 1.0], [1.0, 0.0]]  # a window of ties, and windows of zeros
    against_torch(lambda x: F.max_pool2d(x, 2), lambda x: torch.nn.functional.max_pool2d(x, 2),
                  [x], 1e-12)
    against_torch(lambda x: F.max_pool2d(x, 3, 1, 1),
                  lambda x: torch.nn.functional.max_pool2d(x, 3, 1, 1), [x], 1e-12)


@pytest.mark.parametrize("size", [1, (2, 3), (3, 3), (4, 2)])
def test_adaptive_average_pooling_matches_pytorch_and_central_differences(size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).normal(size=(2, 3, 7, 6))
    check(lambda x: F.adaptive_avg_pool2d(x, size), telar.tensor(x, requires_grad=True))
    against_torch(lambda x: F.adaptive_avg_pool2d(x, size),
                  lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size), [x], 1e-10)

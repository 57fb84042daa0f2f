"""Reductions (``sum``, ``mean``, ``max``): gradients over any axis, and ties sharing the
gradient of a maximum."""

from __future__ import annotations

import numpy as np
from helpers.engine import FAST, SEEDS, SHAPES, check, leaf
from hypothesis import given
from hypothesis import strategies as st

import telar
from telar.engine import functional as F


@FAST
@given(SHAPES, SEEDS, st.booleans(), st.data())
def test_sum_mean_max_gradients_over_any_axis(shape, seed, keepdims, data):
    axis = data.draw(st.sampled_from([None, *range(len(shape)), tuple(range(len(shape)))]))
    x = leaf(shape, seed)
    check(lambda x: F.sum(x, axis, keepdims), x)
    check(lambda x: F.mean(x, axis, keepdims), x)
    check(lambda x: F.max(x, axis, keepdims), x)  # continuous values: no ties


def test_max_shares_the_gradient_between_tied_maxima():
    x = telar.tensor(np.array([[1.0, 3.0, 3.0], [0.0, -1.0, 2.0]]), requires_grad=True)
    F.max(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0, 0, 1]])

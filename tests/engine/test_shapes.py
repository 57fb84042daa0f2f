"""Shape operations (reshape, transpose, indexing, ``gather``, ``concatenate``, casts): the
gradient routed back to where each value came from."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import FAST, SEEDS, SHAPES, check, leaf
from hypothesis import given
from hypothesis import strategies as st

import telar
from telar.engine import functional as F


@FAST
@given(SHAPES, SEEDS, st.data())
def test_reshape_and_transpose_gradients_route_values_back(shape, seed, data):
    x = leaf(shape, seed)
    axes = data.draw(st.permutations(range(len(shape))))
    weights = np.random.default_rng(seed).normal(size=shape)
    check(lambda x: F.transpose(x * weights, tuple(axes)), x)
    check(lambda x: F.reshape(x * weights, (-1,)), x)


@FAST
@given(st.integers(2, 5), st.integers(1, 4), SEEDS)
def test_indexing_with_repeated_indices_accumulates_gradients(n, m, seed):
    x = leaf((n, m), seed)
    rows = np.random.default_rng(seed).integers(0, n, size=6)  # repeats are likely
    check(lambda x: x[rows] * 1.5, x)
    check(lambda x: x[1:, ::2], x)


@FAST
@given(st.integers(1, 4), st.integers(2, 5), SEEDS)
def test_gather_along_an_axis_matches_central_differences(n, c, seed):
    x = leaf((n, c), seed)
    index = np.random.default_rng(seed).integers(0, c, size=(n, 3))
    check(lambda x: F.gather(x, 1, index), x)
    out = F.gather(x, 1, index)
    np.testing.assert_array_equal(out.data, x.data[np.arange(n)[:, None], index])


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), SEEDS)
def test_concatenate_splits_the_gradient_back_to_each_part(n, m, axis, seed):
    a, b = leaf((n, m), seed), leaf((n, m), seed + 1)
    check(lambda a, b: F.concatenate([a, b * 2.0, a], axis=axis), a, b)


def test_a_cast_passes_the_gradient_back_in_the_inputs_dtype():
    x = telar.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x.float() * telar.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [3.0, 4.0]


@pytest.mark.parametrize("shape", [(4, -1), (5,), (-1, -1), (7,)])
def test_an_impossible_view_raises_runtime_error_with_pytorchs_words(shape):
    torch = pytest.importorskip("torch")
    from telar.errors import TelarError
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(2, 3).view(*shape)
    with pytest.raises(RuntimeError) as ours:
        telar.ones(2, 3).view(*shape)
    assert str(ours.value) == str(theirs.value)
    assert isinstance(ours.value, TelarError) and isinstance(ours.value, ValueError)

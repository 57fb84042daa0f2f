"""Arithmetic (``+ - * / ** @``, ``linear``, ``exp``, ``log``, ``sqrt``): backward rules
against central differences in float64, gradients summed back over broadcast axes, and
PyTorch's refusal to mix float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import FAST, PAIRS, SEEDS, SHAPES, away_from_zero, check, leaf
from hypothesis import given
from hypothesis import strategies as st

import telar
from telar.engine import functional as F


@FAST
@given(PAIRS, SEEDS)
def test_add_sub_mul_gradients_sum_over_broadcast_axes(shapes, seed):
    a, b = (leaf(s, seed + i) for i, s in enumerate(shapes.input_shapes))
    check(lambda a, b: (a + b) * (a - b) * b, a, b)


@FAST
@given(PAIRS, SEEDS)
def test_division_gradients_match_central_differences_with_broadcasting(shapes, seed):
    a = leaf(shapes.input_shapes[0], seed)
    b = away_from_zero(shapes.input_shapes[1], seed + 1)
    check(F.div, a, b)


@FAST
@given(SHAPES, SEEDS, st.sampled_from([2.0, 3.0, 0.5, -1.5]))
def test_power_gradients_cover_base_and_exponent(shape, seed, exponent):
    base = leaf(shape, seed, 0.5, 2.0)
    check(lambda b: b ** exponent, base)
    power = leaf(shape, seed + 1, -1.0, 1.0)
    check(lambda b, p: F.pow(b, p), base, power)


@FAST
@given(SHAPES, SEEDS)
def test_negation_exp_log_sqrt_gradients(shape, seed):
    x = leaf(shape, seed, 0.2, 2.0)
    check(lambda x: F.neg(F.exp(x)) + F.log(x) * F.sqrt(x), x)


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 3), SEEDS)
def test_matmul_gradients_including_batched_and_vector_operands(n, k, m, batch, seed):
    a_shape = (batch, n, k) if batch else (n, k)
    check(F.matmul, leaf(a_shape, seed), leaf((k, m), seed + 1))
    check(F.matmul, leaf((k,), seed + 2), leaf((k, m), seed + 3))
    check(F.matmul, leaf((n, k), seed + 4), leaf((k,), seed + 5))


@FAST
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.booleans(), SEEDS)
def test_fused_linear_gradients_for_input_weight_and_bias(n, i, o, with_bias, seed):
    x, w, b = leaf((n, i), seed), leaf((o, i), seed + 1), leaf((o,), seed + 2)
    if with_bias:
        check(F.linear, x, w, b)
    else:
        check(F.linear, x, w)
    check(F.linear, leaf((2, n, i), seed + 3), w, b)


def test_broadcast_gradient_has_the_shape_of_the_input():
    x = telar.tensor(np.ones((4, 3)), requires_grad=True)
    b = telar.tensor(np.ones(3), requires_grad=True)
    c = telar.tensor(np.ones((4, 1)), requires_grad=True)
    (x * b + c).sum().backward()
    assert b.grad.shape == (3,) and c.grad.shape == (4, 1)
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(c.grad, [[3.0]] * 4)


def test_float64_input_to_a_float32_model_raises_like_pytorch():
    model = telar.nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="same dtype"):
        model(telar.tensor(np.ones((1, 3))))
    with pytest.raises(RuntimeError, match="same dtype"):
        telar.tensor(np.ones((2, 2))) @ telar.ones(2, 2)
    assert model(telar.tensor(np.ones((1, 3))).float()).dtype == np.float32
    assert model.double()(telar.tensor(np.ones((1, 3)))).dtype == np.float64


# ----------------------------------------------------------- type promotion (issue 20)
@pytest.mark.parametrize("case", [
    lambda t: t.tensor([1, 2, 3]) * 0.5,
    lambda t: t.tensor([0, 128, 255], dtype=t.uint8) / 255.,
    lambda t: t.tensor([1, 2]) / 2,
    lambda t: t.tensor([1, 2]) / t.tensor([2, 4]),
    lambda t: t.tensor([250], dtype=t.uint8) + 10,
    lambda t: t.tensor([1, 2]) + t.tensor([1.0, 2.0]),
    lambda t: 1.5 - t.tensor([1, 2]),
    lambda t: t.tensor([1, 2], dtype=t.int32) * 3,
    lambda t: t.tensor([True, False]) * 2.5,
    lambda t: t.tensor([1, 2]) * t.tensor([1.0, 2.0], dtype=t.float64),
    lambda t: t.tensor([1.0, 2.0], dtype=t.float16) * 3,
])
def test_mixed_dtypes_promote_as_pytorch_does(case):
    torch = pytest.importorskip("torch")
    ours, theirs = case(telar), case(torch)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "telar.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3, 4), (3, 4)), ((3,), (4,)),
                                    ((5, 3), (4,))])
def test_a_mismatched_matmul_raises_runtime_error_with_pytorchs_words(shapes):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(*shapes[0]) @ torch.ones(*shapes[1])
    with pytest.raises(RuntimeError) as ours:
        telar.ones(*shapes[0]) @ telar.ones(*shapes[1])
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 "
                                           r"and 5x4\)"):
        F.linear(telar.ones(2, 3), telar.ones(4, 5))


def test_where_picks_like_pytorch_and_routes_each_gradient_to_its_side():
    torch = pytest.importorskip("torch")
    from helpers.engine import against_torch
    rng = np.random.default_rng(5)
    cond = rng.random((3, 4)) > 0.5
    against_torch(lambda a, b: F.where(telar.tensor(cond), a, b),
                  lambda a, b: torch.where(torch.tensor(cond), a, b),
                  [rng.normal(size=(3, 4)), rng.normal(size=(1, 4))], 1e-12)
    check(lambda a, b: telar.where(telar.tensor(cond), a * a, b), leaf((3, 4), 1), leaf((4,), 2))
    rows, cols = telar.where(telar.tensor([[0, 3], [5, 0]]) > 0)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert telar.where(telar.tensor([True, False]), 1.5, telar.tensor([7.0])).tolist() == \
        [1.5, 7.0]

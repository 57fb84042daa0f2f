"""The engine itself: chain rule bookkeeping, graph depth, no_grad, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar.engine import functional as F


def test_a_value_used_twice_receives_both_gradients():
    x = telar.tensor(np.array([3.0]), requires_grad=True)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward(np.ones(1))
    assert x.grad[0] == 7.0


def test_shared_intermediate_sums_gradients_from_every_consumer():
    x = telar.tensor(np.array(2.0), requires_grad=True)
    h = x * 3.0
    z = h * h + F.exp(h) * 0.0 + h  # dz/dx = (2h + 1) * 3
    z.backward()
    assert x.grad == pytest.approx((2 * 6.0 + 1) * 3)


def test_backward_accumulates_into_grad_across_calls_until_zeroed():
    x = telar.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    x.zero_grad()
    assert x.grad is None


def test_a_graph_deeper_than_the_recursion_limit_backpropagates():
    import sys

    x = telar.tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(sys.getrecursionlimit() * 3):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** (sys.getrecursionlimit() * 3))


def test_diamond_graph_visits_the_shared_node_once():
    x = telar.tensor(np.array(1.5), requires_grad=True)
    a = F.tanh(x)
    b, c = a * 2.0, a * 3.0
    (b + c).backward()
    assert x.grad == pytest.approx(5.0 * (1 - np.tanh(1.5) ** 2))


def test_broadcast_gradient_has_the_shape_of_the_input():
    x = telar.tensor(np.ones((4, 3)), requires_grad=True)
    b = telar.tensor(np.ones(3), requires_grad=True)
    c = telar.tensor(np.ones((4, 1)), requires_grad=True)
    (x * b + c).sum().backward()
    assert b.grad.shape == (3,) and c.grad.shape == (4, 1)
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(c.grad, [[3.0]] * 4)


def test_grad_of_a_broadcast_sum_is_a_writable_array_of_its_own():
    x = telar.tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    x.grad += 1.0  # would fail on a read-only broadcast view
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_no_grad_records_no_graph_and_restores_on_exit():
    w = telar.tensor(np.ones(3), requires_grad=True)
    with telar.no_grad():
        y = w * 2.0
        assert not telar.is_grad_enabled()
    assert telar.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_restores_the_mode_even_after_an_exception():
    with pytest.raises(ZeroDivisionError), telar.no_grad():
        _ = 1 / 0
    assert telar.is_grad_enabled()


def test_constants_get_no_gradient_and_skip_work():
    x = telar.tensor(np.ones((2, 3)))  # an input: no gradient wanted
    w = telar.tensor(np.ones((4, 3)), requires_grad=True)
    F.linear(x, w).sum().backward()
    assert x.grad is None and w.grad is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_the_inputs_through_forward_and_backward(dtype):
    x = telar.tensor(np.ones((3, 4), dtype=dtype), requires_grad=True)
    w = telar.tensor(np.ones((2, 4), dtype=dtype), requires_grad=True)
    loss = F.cross_entropy(F.relu(F.linear(x, w)) * 0.5 + 1.0, np.array([0, 1, 1]))
    loss.backward()
    assert loss.dtype == dtype and x.grad.dtype == dtype and w.grad.dtype == dtype


def test_non_scalar_backward_needs_an_explicit_gradient():
    x = telar.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="more than one element"):
        (x * 2.0).backward()
    (x * 2.0).backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -2.0])


def test_operators_with_numpy_arrays_on_the_left_build_the_graph():
    x = telar.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x - np.array([1.0, 1.0]) / x
    assert isinstance(y, telar.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0 + 1.0, 4.0 + 0.25])


def test_only_floating_tensors_can_require_gradients():
    with pytest.raises(TypeError, match="floating"):
        telar.tensor(np.array([1, 2]), requires_grad=True)

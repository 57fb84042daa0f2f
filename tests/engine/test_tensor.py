"""The Tensor and its graph: construction, chain-rule bookkeeping, graph depth, dtypes,
backward's arguments, and conversion to Python numbers."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import check, leaf, t

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


def test_grad_of_a_broadcast_sum_is_a_writable_array_of_its_own():
    x = telar.tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    x.grad += 1.0  # would fail on a read-only broadcast view
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


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


def test_only_floating_tensors_can_require_gradients():
    with pytest.raises(TypeError, match="floating"):
        telar.tensor(np.array([1, 2]), requires_grad=True)


def test_composite_graph_with_a_value_used_three_times():
    x = leaf((3, 4), 1)
    w = leaf((4, 2), 2)
    check(lambda x, w: F.tanh(x @ w).sum() * F.sigmoid(x).mean() + (x * x).sum(), x, w)


@pytest.mark.parametrize("value", ["abc", None, b"bytes", np.array([1, None], dtype=object),
                                   np.array(["1", "2"]), np.array(["2020-01-01"],
                                                                  dtype="datetime64[D]")])
def test_a_tensor_of_something_other_than_numbers_is_refused_at_construction(value):
    with pytest.raises(TypeError, match="a Tensor holds numbers"):
        telar.Tensor(value)


def test_tensors_of_numbers_are_still_accepted():
    for value in (1, 2.5, True, [1, 2], np.arange(3), np.ones(2, np.complex64)):
        assert telar.Tensor(value).data.dtype.kind in "biufc"


def test_one_element_tensors_convert_to_python_numbers_and_format_like_them():
    loss = t(0.123456789)
    assert isinstance(loss.item(), float) and float(loss) == pytest.approx(0.123456789)
    assert f"{loss:>7f}" == "0.123457" and f"{loss:.2f}" == "0.12"
    assert int(t([7])) == 7 and ["a", "b", "c"][t(2)] == "c"
    with pytest.raises(RuntimeError, match="cannot be converted"):
        t([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t([1.0, 2.0]))


def test_backward_twice_through_a_freed_graph_raises_unless_retain_graph():
    x = t([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    z = (x * 3).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert x.grad.tolist() == [2 + 6.0, 4 + 6.0]


# --------------------------------------------------------------- p.data as PyTorch's (issue 20)
def test_data_is_a_tensor_sharing_the_parameters_memory_outside_the_graph():
    torch = pytest.importorskip("torch")
    p = telar.nn.Linear(3, 2).weight
    theirs = torch.nn.Linear(3, 2).weight
    with torch.no_grad():
        theirs.copy_(torch.from_numpy(p.array))
    for param in (p, theirs):
        param.data.add_(1.5)
        param.data.mul_(2)
        param.data[0, 0] = 7.0
    np.testing.assert_array_equal(p.array, theirs.detach().numpy())
    data = p.data
    assert isinstance(data, telar.Tensor) and not data.requires_grad and data.grad_fn is None
    assert np.shares_memory(p.data.numpy(), p.array)
    p.data.zero_()
    assert not p.array.any()
    p.data = telar.ones(4)  # PyTorch's replacement idiom
    assert p.shape == (4,) and p.requires_grad
    _, predicted = telar.max(telar.tensor([[0.1, 0.9], [0.8, 0.2]]).data, 1)
    assert predicted.tolist() == [1, 0]


def test_a_gradient_prints_as_pytorch_prints_it():
    torch = pytest.importorskip("torch")
    printed = []
    for lib in (telar, torch):
        w = lib.ones(2, 3, requires_grad=True)
        (w * 2).sum().backward()
        printed.append((repr(w.grad), str(w.grad)))
    assert printed[0] == printed[1]
    assert printed[0][0].startswith("tensor([[2., 2., 2.],")

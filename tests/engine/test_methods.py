"""The tensor methods, as PyTorch scripts use them: comparisons, reductions with ``dim``,
shape helpers, dtype conversions, in-place updates, operators with NumPy on the left."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import t

import telar
from telar import gradcheck


def test_comparisons_are_element_wise_bool_tensors_never_identity_checks():
    a, b = t([1.0, 2.0, 3.0]), t([1.0, 0.0, 3.0])
    for result, expected in [(a == b, [True, False, True]), (a != b, [False, True, False]),
                             (a < 2, [True, False, False]), (a <= 2, [True, True, False]),
                             (a > b, [False, True, False]), (a >= 3, [False, False, True]),
                             (a.eq(b), [True, False, True])]:
        assert isinstance(result, telar.Tensor) and result.dtype == np.bool_
        assert result.tolist() == expected


def test_ndarray_equals_tensor_compares_element_wise_so_accuracy_counts_hits():
    pred, y = np.array([0, 1, 2, 2]), t([0, 1, 1, 2])
    hits = pred == y
    assert isinstance(hits, telar.Tensor) and hits.tolist() == [True, True, False, True]
    assert (np.float32(2.0) * t([1.0, 2.0])).tolist() == [2.0, 4.0]


def test_quickstart_accuracy_line_counts_the_correct_predictions():
    pred = t([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    y = t([1, 0, 0])
    correct = (pred.argmax(1) == y).type(telar.float).sum().item()
    assert correct == 2.0 and isinstance(correct, float)


def test_tensors_hash_by_identity_so_sets_and_dicts_of_parameters_work():
    a, b = t([1.0]), t([1.0])
    assert len({a, b}) == 2 and {a: 1}[a] == 1


def test_argmax_and_argmin_take_dim_keepdim_and_the_axis_alias():
    x = t([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]])
    assert x.argmax().item() == 3 and x.argmin().item() == 4
    assert x.argmax(1).tolist() == [1, 0] and x.argmax(dim=0).tolist() == [1, 0, 0]
    assert x.argmax(1, keepdim=True).shape == (2, 1) and x.argmax(axis=1).dtype == np.int64
    assert x.argmin(dim=1).tolist() == [0, 1]


def test_max_with_dim_returns_values_and_indices_and_values_carry_gradients():
    x = t([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]], requires_grad=True)
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.max(1).values is not None and x.min(dim=1).indices.tolist() == [0, 1]
    assert x.max(1, keepdim=True)[1].shape == (2, 1)
    assert x.max().item() == 7.0 and x.min().item() == 0.0
    values.sum().backward()
    assert x.grad.tolist() == [[0, 1, 0], [1, 0, 0]]
    assert telar.max(t([1.0, 4.0]), ).item() == 4.0
    assert t([1.0, 4.0]).max(t([3.0, 2.0])).tolist() == [3.0, 4.0]


def test_sum_and_mean_take_dim_and_keepdim_as_well_as_axis_and_keepdims():
    x = t([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(dim=0).tolist() == [4.0, 6.0] and x.sum(1, keepdim=True).shape == (2, 1)
    assert x.mean(axis=1).tolist() == [1.5, 3.5] and x.mean(dim=(0, 1)).item() == 2.5
    assert t([1, 2, 3]).sum().item() == 6
    with pytest.raises(RuntimeError, match="floating"):
        t([1, 2]).mean()


def test_view_view_as_flatten_and_the_shape_helpers():
    x = telar.arange(24).view(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.view(-1, 12).shape == (2, 12)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert telar.flatten(x, 0, 1).shape == (6, 4) and x.flatten(start_dim=1, end_dim=1) is x
    assert t([1, 2, 3, 4]).view_as(t([[0, 0], [0, 0]])).shape == (2, 2)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.numel() == 24 and x.dim() == 3
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(1).squeeze(1).shape == (2, 3, 4) and x.squeeze(0) .shape == (2, 3, 4)
    assert telar.zeros(1, 3, 1).squeeze().shape == (3,)
    assert x.permute(2, 0, 1).shape == (4, 2, 3) and x.transpose(0, 2).shape == (4, 3, 2)
    assert x.transpose(0, 1)[1, 0, 2].item() == x[0, 1, 2].item()


def test_type_float_long_to_cpu_clone_and_requires_grad_():
    x = t([1.7, -2.2])
    assert x.type() == "telar.FloatTensor" and x.long().dtype == np.int64
    assert x.long().tolist() == [1, -2] and x.type(telar.float64).dtype == np.float64
    assert x.to("cpu") is x and x.cpu() is x and x.to(telar.device("cpu")) is x
    assert x.to(telar.float64).dtype == np.float64 and x.to("cpu", telar.int64).dtype == np.int64
    assert x.double().float().dtype == np.float32 and x.int().dtype == np.int32
    if not telar.cuda.is_available():  # with a GPU, tests/engine/test_array.py moves tensors
        with pytest.raises(RuntimeError, match="not available"):
            x.to("cuda")
    c = x.clone()
    c.data[0] = 5.0
    assert x.tolist()[0] == pytest.approx(1.7)
    w = t([1.0, 2.0]).requires_grad_()
    (w.clone() * 3).sum().backward()
    assert w.requires_grad and w.grad.tolist() == [3.0, 3.0]


def test_zero_on_a_gradient_and_in_place_updates_under_no_grad_change_the_parameter():
    w = t([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    params = [w]
    with telar.no_grad():
        for param in params:  # d2l's sgd: `param -= lr * param.grad / batch_size`
            param -= 0.5 * param.grad / 1
            param.grad.zero_()
    assert w.tolist() == [0.0, 0.0] and w.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="in-place"):
        w -= 1.0


@pytest.mark.parametrize("op", [
    lambda x: x.clone().sum(),
    lambda x: x.abs().sum(), lambda x: (x.clamp(-0.3, 0.4) * x).sum(),
    lambda x: telar.maximum(x, x * 0.5).sum(), lambda x: x.max(1).values.sum(),
    lambda x: x.min(0).values.sum(), lambda x: x.unsqueeze(1).squeeze(1).flatten().sum(),
    lambda x: (x.permute(1, 0) * telar.arange(6.0).view(3, 2).double()).sum(),
    lambda x: telar.stack([x, x * 2], 1).sum(),
])
def test_new_ops_have_gradients_that_match_central_differences(op):
    x = telar.tensor(np.array([[0.5, -1.2, 2.0], [-0.7, 1.5, 0.1]]), requires_grad=True)
    assert gradcheck(op, [x]).passed


def test_operators_with_numpy_arrays_on_the_left_build_the_graph():
    x = telar.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x - np.array([1.0, 1.0]) / x
    assert isinstance(y, telar.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0 + 1.0, 4.0 + 0.25])


# ------------------------------------------------------------ PyTorch's method forms (issue 20)
def test_matmul_mm_bmm_mul_pow_methods_match_pytorch_with_gradients():
    torch = pytest.importorskip("torch")
    from helpers.engine import against_torch
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    against_torch(lambda a, b: a.matmul(b), lambda a, b: a.matmul(b), [a, b], 1e-12)
    against_torch(lambda a, b: a.mm(b), lambda a, b: a.mm(b), [a, b], 1e-12)
    a3, b3 = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5))
    against_torch(lambda a, b: a.bmm(b), lambda a, b: a.bmm(b), [a3, b3], 1e-12)
    against_torch(lambda a, b: a.mul(b), lambda a, b: a.mul(b), [a, a.T.T], 1e-12)
    against_torch(lambda a: a.abs().pow(1.5), lambda a: a.abs().pow(1.5), [a], 1e-12)
    with pytest.raises(RuntimeError, match="must be a matrix"):
        telar.ones(2, 3, 4).mm(telar.ones(4, 2))
    with pytest.raises(RuntimeError, match="3D tensor"):
        telar.ones(3, 4).bmm(telar.ones(4, 2))
    assert torch.ones(1).ndimension() == telar.ones(2, 3).ndimension() - 1


@pytest.mark.parametrize("p", [2, "fro", 1, 3, float("inf"), float("-inf"), 0])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (1, False), (0, True), ((0, 1), False)])
def test_norm_matches_pytorch_for_each_p_dim_and_keepdim(p, dim, keepdim):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(size=(3, 4))
    if p == "fro" and dim is not None and not isinstance(dim, tuple):
        dim = (dim,)
    ours = telar.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, ref = ours.norm(p, dim, keepdim), theirs.norm(p, dim, keepdim)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    if p != 0:
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_scatter_writes_one_hot_rows_as_pytorch_and_refuses_a_graph_node():
    torch = pytest.importorskip("torch")
    y = [[0], [2], [3]]
    ours = telar.zeros(3, 4).scatter_(1, telar.tensor(y), 1)
    np.testing.assert_array_equal(ours.numpy(), torch.zeros(3, 4).scatter_(1, torch.tensor(y), 1))
    src = np.arange(12.0).reshape(3, 4)
    index = [[0, 1, 2, 0], [2, 0, 0, 1]]
    np.testing.assert_array_equal(
        telar.zeros(3, 4, dtype=telar.float64).scatter_(0, telar.tensor(index),
                                                        telar.tensor(src)).numpy(),
        torch.zeros(3, 4, dtype=torch.float64).scatter_(0, torch.tensor(index),
                                                        torch.tensor(src)).numpy())
    with pytest.raises(RuntimeError, match="in-place"):
        telar.ones(2, requires_grad=True).scatter_(0, telar.tensor([0]), 5.0)


@pytest.mark.parametrize("dim, keepdim, unbiased", [(None, False, True), (1, True, False),
                                                    (0, False, True)])
def test_std_and_var_match_pytorch_with_gradients(dim, keepdim, unbiased):
    pytest.importorskip("torch")
    from helpers.engine import against_torch
    x = np.random.default_rng(4).normal(size=(3, 5))
    for name in ("std", "var"):
        against_torch(lambda a, name=name: getattr(a, name)(dim, unbiased, keepdim),
                      lambda a, name=name: getattr(a, name)(dim, unbiased=unbiased,
                                                            keepdim=keepdim),
                      [x], 1e-12)

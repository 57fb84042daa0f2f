"""``grad_fn`` and ``next_functions``: the backward nodes named as PyTorch names them."""

from __future__ import annotations

import re

import pytest

import telar
import telar.nn.functional as F


def _graph(lib, f):
    """The names of ``f(lib)``'s node and of its inputs' nodes, as PyTorch prints them."""
    out = f(lib)
    return (out.grad_fn.name(),
            [None if n is None else n.name() for n, _ in out.grad_fn.next_functions])


CASES = {
    "add": lambda t: t.ones(3, requires_grad=True) + t.ones(3),
    "mul by a number": lambda t: t.ones(3, requires_grad=True) * 2,
    "matmul": lambda t: t.ones(2, 3, requires_grad=True) @ t.ones(3, 4, requires_grad=True),
    "sum": lambda t: t.ones(2, 3, requires_grad=True).sum(),
    "mean": lambda t: t.ones(2, 3, requires_grad=True).mean(),
    "relu": lambda t: t.nn.functional.relu(t.ones(2, requires_grad=True)),
    "sin": lambda t: t.sin(t.ones(2, requires_grad=True)),
    "exp of a view": lambda t: t.ones(2, 3, requires_grad=True).view(-1).exp(),
    "mse": lambda t: t.nn.functional.mse_loss(t.ones(3, requires_grad=True), t.zeros(3)),
    "bce with logits": lambda t: t.nn.functional.binary_cross_entropy_with_logits(
        t.ones(3, requires_grad=True), t.zeros(3)),
    "smooth l1": lambda t: t.nn.functional.smooth_l1_loss(t.ones(3, requires_grad=True),
                                                          t.zeros(3)),
    "huber": lambda t: t.nn.functional.huber_loss(t.ones(3, requires_grad=True), t.zeros(3)),
    "cast": lambda t: t.ones(3, requires_grad=True).double(),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_grad_fn_and_next_functions_have_pytorchs_names(case):
    torch = pytest.importorskip("torch")
    assert _graph(telar, CASES[case]) == _graph(torch, CASES[case])


def test_cross_entropy_prints_as_nll_loss_and_linear_as_addmm():
    x, w, b = (telar.randn(*s, requires_grad=True) for s in ((4, 3), (5, 3), (5,)))
    assert F.linear(x, w, b).grad_fn.name() == "AddmmBackward0"
    loss = F.cross_entropy(F.linear(x, w, b), telar.tensor([0, 1, 2, 3]))
    assert re.fullmatch(r"<NllLossBackward0 object at 0x[0-9a-f]+>", repr(loss.grad_fn))
    assert f"{loss.grad_fn}".startswith("<NllLossBackward0")


def test_leaves_have_no_grad_fn_and_appear_as_accumulate_grad_with_their_variable():
    w = telar.ones(3, requires_grad=True)
    assert w.grad_fn is None and telar.ones(3).grad_fn is None
    (node, index), = (w * w).sum().grad_fn.next_functions
    assert index == 0 and node.name() == "MulBackward0"
    first, second = node.next_functions
    assert first[0].name() == "torch::autograd::AccumulateGrad" and first[0].variable is w


def test_the_node_keeps_its_name_after_backward_freed_the_graph():
    loss = (telar.ones(3, requires_grad=True) * 2).sum()
    loss.backward()
    assert loss.grad_fn.name() == "SumBackward0"
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_a_computed_tensor_prints_its_grad_fn_as_pytorch_prints_it():
    torch = pytest.importorskip("torch")
    for lib_a, lib_b in ((telar, torch),):
        for f in (lambda t: t.ones(2, requires_grad=True) * 2,
                  lambda t: (t.ones(2, 2, requires_grad=True) * 2).sum(),
                  lambda t: t.ones(2, requires_grad=True)):
            assert repr(f(lib_a)) == repr(f(lib_b))

"""examples/autogradqs_tutorial.py, PyTorch's autograd tutorial with only its import changed,
runs on telar: ``grad_fn`` printed with PyTorch's node names, gradients equal to PyTorch's for
the same weights, ``no_grad``/``detach``, and Jacobian products accumulating."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers.examples import run_example


def test_pytorch_autograd_tutorial_runs_unchanged_with_pytorchs_gradients(tmp_path, monkeypatch,
                                                                          capsys):
    torch = pytest.importorskip("torch")
    g = run_example("autogradqs_tutorial.py", tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert re.search(r"Gradient function for z = <AddBackward0 object at 0x[0-9a-f]+>", out)
    assert re.search(r"Gradient function for loss = <BinaryCrossEntropyWithLogitsBackward0 "
                     r"object at 0x[0-9a-f]+>", out)
    assert "True\nFalse\nFalse\n" in out  # requires_grad, under no_grad, detached
    w = torch.tensor(g["w"].numpy(), requires_grad=True)
    b = torch.tensor(g["b"].numpy(), requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(torch.ones(5) @ w + b,
                                                                torch.zeros(3))
    loss.backward()
    np.testing.assert_allclose(g["w"].grad, w.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(g["b"].grad, b.grad.numpy(), rtol=1e-6)
    # d/d inp of sum((inp + 1)^2) = 2 (inp + 1): 4 on the diagonal of eye(4, 5), else 2
    once = 2 * (np.eye(4, 5) + 1)
    np.testing.assert_array_equal(g["inp"].grad, once)  # the last call, after zero_()
    first, second, after = (re.search(rf"{title}\n(tensor\(\[\[.*?\]\]\))", out, re.S).group(1)
                            for title in ("First call", "Second call", "zeroing gradients"))
    assert "8." in second and "8." not in first and first == after
    assert first.startswith("tensor([[4., 2., 2., 2., 2.],\n        [2., 4.")  # as PyTorch

"""PyTorch's legacy tensor types: construction, ``isinstance`` and ``x.type(...)``."""

from __future__ import annotations

import numpy as np
import pytest

import telar


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor",
                                  "ByteTensor", "BoolTensor"])
def test_each_legacy_type_builds_checks_and_casts_to_pytorchs_dtype(name):
    torch = pytest.importorskip("torch")
    kind = getattr(telar, name)
    made = kind([[1, 0], [2, 3]])
    theirs = getattr(torch, name)([[1, 0], [2, 3]])
    assert str(made.dtype) == str(theirs.dtype).replace("torch.", "telar.")
    np.testing.assert_array_equal(made.numpy(), theirs.numpy())
    assert isinstance(made, kind) and isinstance(made, telar.Tensor)
    assert telar.FloatTensor(2, 3).shape == (2, 3) == tuple(torch.FloatTensor(2, 3).shape)
    cast = telar.tensor([1.7, 0.0, -2.2]).type(kind)
    np.testing.assert_array_equal(cast.numpy(),
                                  torch.tensor([1.7, 0.0, -2.2]).type(getattr(torch, name)))
    assert cast.type() == f"telar.{name}"


def test_isinstance_against_another_type_is_false_and_type_accepts_torchs_type_names():
    x = telar.tensor([1, 2])
    assert not isinstance(x, telar.FloatTensor) and isinstance(x, telar.LongTensor)
    assert x.type("torch.FloatTensor").dtype == telar.float32
    assert x.type(telar.float64).dtype == telar.float64
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NoSuchTensor")


def test_a_float_tensor_cast_keeps_the_graph():
    x = telar.tensor([1.0, 2.0], requires_grad=True)
    (x.type(telar.DoubleTensor) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])

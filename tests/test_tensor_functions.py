"""PyTorch's top-level functions: ``out=``, ``mul``, ``meshgrid`` and the new element-wise
names, against the real PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import check, leaf

import telar


def test_matmul_and_mul_write_into_out_as_the_tensors_tutorial_does():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).normal(size=(4, 4)).astype(np.float32)
    ours, theirs = telar.tensor(a), torch.tensor(a)
    y3, z3 = telar.rand_like(ours), telar.rand_like(ours)
    assert telar.matmul(ours, ours.T, out=y3) is y3
    telar.mul(ours, ours, out=z3)
    np.testing.assert_allclose(y3.numpy(), torch.matmul(theirs, theirs.T).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(z3.numpy(), torch.mul(theirs, theirs).numpy())
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        telar.mul(ours, ours, out=telar.ones(4, 4, requires_grad=True))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_gives_pytorchs_grids_and_sums_gradients_back(indexing):
    torch = pytest.importorskip("torch")
    xs, ys, zs = np.arange(3.0), np.arange(4.0) * 10, np.array([7.0, 8.0])
    ours = telar.meshgrid(telar.tensor(xs), telar.tensor(ys), telar.tensor(zs),
                          indexing=indexing)
    theirs = torch.meshgrid(torch.tensor(xs), torch.tensor(ys), torch.tensor(zs),
                            indexing=indexing)
    for mine, their in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.numpy(), their.numpy())
    check(lambda a, b: (telar.meshgrid(a, b, indexing=indexing)[0] *
                        telar.meshgrid(a, b, indexing=indexing)[1]).sum(),
          leaf((3,), 0), leaf((2,), 1))


def test_log1p_and_trigonometry_are_top_level_and_differentiable():
    x = leaf((5,), 2, -0.5, 0.5)
    check(lambda x: telar.log1p(x) + telar.sin(x) * telar.cosh(x) + telar.arctan(x), x)

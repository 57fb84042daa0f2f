"""Batch normalisation, 1-D and 2-D: gradients in training and evaluation, and values,
gradients and running statistics against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import FAST, SEEDS, against_torch, check, leaf, normal_leaf
from hypothesis import given
from hypothesis import strategies as st

from telar.engine import functional as F
from telar.nn import functional as NF


@FAST
@given(st.integers(2, 6), st.integers(1, 4), st.booleans(), st.booleans(), SEEDS)
def test_batch_norm_gradients_in_training_and_evaluation(n, c, training, affine, seed):
    x = leaf((n, c), seed)
    gamma = leaf((c,), seed + 1, 0.5, 1.5) if affine else None
    beta = leaf((c,), seed + 2) if affine else None
    rng = np.random.default_rng(seed)
    mean, var = rng.normal(size=c), rng.uniform(0.5, 2, size=c)
    inputs = [x] + ([gamma, beta] if affine else [])

    def fn(x, gamma=None, beta=None):
        return F.batch_norm(x, gamma, beta, mean.copy(), var.copy(), training)

    check(fn, *inputs)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_in_4d_gradients_match_central_differences(training):
    x, gamma, beta = normal_leaf((3, 2, 3, 5), 7), normal_leaf(2, 8), normal_leaf(2, 9)
    mean, var = np.array([0.1, -0.2]), np.array([0.5, 2.0])
    check(lambda x, g, b: F.batch_norm(x, g, b, mean.copy(), var.copy(), training), x, gamma,
          beta)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_batch_norm_in_4d_matches_pytorch_with_running_statistics(dtype, tol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x = (rng.normal(size=(4, 3, 5, 3)) * 2 + 1).astype(dtype)
    gamma, beta = rng.normal(size=3).astype(dtype), rng.normal(size=3).astype(dtype)
    ours = [np.zeros(3, dtype), np.ones(3, dtype)]
    tdtype = torch.from_numpy(x).dtype
    theirs = [torch.zeros(3, dtype=tdtype), torch.ones(3, dtype=tdtype)]
    against_torch(lambda x, g, b: NF.batch_norm(x, g, b, *ours, True, 0.1, 1e-5),
                  lambda x, g, b: torch.nn.functional.batch_norm(x, *theirs, g, b, True, 0.1,
                                                                 1e-5),
                  [x, gamma, beta], tol)
    np.testing.assert_allclose(ours[0], theirs[0].numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours[1], theirs[1].numpy(), rtol=tol, atol=tol)
    against_torch(lambda x, g, b: NF.batch_norm(x, g, b, *ours, False),
                  lambda x, g, b: torch.nn.functional.batch_norm(x, *theirs, g, b, False),
                  [x, gamma, beta], tol)

"""The fused softmax cross-entropy: gradients with label smoothing, values and gradients
against PyTorch, exact and finite for huge logits, labels out of range refused."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import FAST, SEEDS, check, leaf
from hypothesis import given
from hypothesis import strategies as st

import telar
from telar.engine import functional as F
from telar.engine.losses import cross_entropy_array


@FAST
@given(st.integers(1, 6), st.integers(2, 6), st.sampled_from([0.0, 0.1, 0.5]),
       st.sampled_from(["mean", "sum", "none"]), SEEDS)
def test_fused_cross_entropy_gradient_with_label_smoothing(n, c, smoothing, reduction, seed):
    z = leaf((n, c), seed, -3, 3)
    y = np.random.default_rng(seed).integers(0, c, size=n)
    check(lambda z: F.cross_entropy(z, y, label_smoothing=smoothing, reduction=reduction), z)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.6])
def test_cross_entropy_value_and_gradient_match_pytorch(smoothing):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(7, 5)) * 4, rng.integers(0, 5, size=7)
    ours = telar.tensor(z, requires_grad=True)
    loss = F.cross_entropy(ours, y, label_smoothing=smoothing)
    loss.backward()
    zt = torch.tensor(z, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(zt, torch.from_numpy(y), label_smoothing=smoothing)
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(ours.grad, zt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_is_finite_for_huge_logits():
    z = telar.tensor(np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 1e3]]), requires_grad=True)
    loss = F.cross_entropy(z, np.array([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1e4)
    assert np.all(np.isfinite(z.grad))


def test_cross_entropy_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        F.cross_entropy(telar.tensor(np.zeros((2, 3))), np.array([0, 3]))


def test_cross_entropy_stays_exact_with_huge_logits():
    z = np.array([[1000.0, 0.0], [0.0, -1000.0]])
    np.testing.assert_allclose(cross_entropy_array(z, np.array([1, 1])), [1000.0, 1000.0])


# ------------------------------------------------------------- smooth L1 and Huber (issue 20)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("width", [0.0, 0.5, 1.0, 2.0])
def test_smooth_l1_and_huber_match_pytorch_with_their_gradients(reduction, width):
    torch = pytest.importorskip("torch")
    from helpers.engine import against_torch
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(4, 5)) * 2, rng.normal(size=(4, 5))
    against_torch(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=width),
                  lambda a, b: torch.nn.functional.smooth_l1_loss(a, b, reduction=reduction,
                                                                  beta=width),
                  [x, y], 1e-12)
    if width > 0:
        against_torch(lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=width),
                      lambda a, b: torch.nn.functional.huber_loss(a, b, reduction=reduction,
                                                                  delta=width),
                      [x, y], 1e-12)


def test_smooth_l1_gradient_matches_central_differences_and_the_modules_call_it():
    from helpers.engine import check, leaf
    x, y = leaf((3, 4), 0), leaf((3, 4), 1)
    check(lambda a, b: F.smooth_l1_loss(a, b, beta=0.7), x, y)
    check(lambda a, b: F.huber_loss(a, b, delta=1.3, reduction="sum"), x, y)
    assert telar.nn.SmoothL1Loss(beta=0.7)(x, y).item() == F.smooth_l1_loss(x, y, beta=0.7).item()
    assert telar.nn.HuberLoss(delta=2.0)(x, y).item() == F.huber_loss(x, y, delta=2.0).item()
    with pytest.raises(ValueError, match="delta must be > 0"):
        F.huber_loss(x, y, delta=0.0)

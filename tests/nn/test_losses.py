"""The loss modules (``nn.MSELoss``, ``nn.BCEWithLogitsLoss``, ``nn.CrossEntropyLoss``...):
PyTorch's values, finite for huge logits, and every option used."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import logits_and_targets

import telar
import telar.nn.functional as F
from telar import gradcheck, nn


@pytest.mark.parametrize("module,fn", [
    (nn.MSELoss, "mse_loss"), (nn.L1Loss, "l1_loss"),
    (nn.BCEWithLogitsLoss, "binary_cross_entropy_with_logits"),
])
def test_regression_and_binary_losses_match_pytorch(module, fn):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((5, 3)) * 3, rng.random((5, 3))
    for reduction in ("mean", "sum"):
        ref = getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(y),
                                               reduction=reduction)
        assert module(reduction=reduction)(telar.tensor(x), telar.tensor(y)).item() == \
            pytest.approx(ref.item(), rel=1e-10)


def test_bce_with_logits_is_finite_for_huge_logits_and_its_gradient_is_right():
    x = telar.tensor(np.array([[800.0, -800.0, 0.3]]), requires_grad=True)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=telar.tensor([2.0, 1.0, 3.0]))
    loss = loss_fn(x, np.array([[0.0, 1.0, 1.0]]))
    assert np.isfinite(loss.item())
    small = telar.tensor(np.array([[0.8, -1.1, 0.3]]), requires_grad=True)
    assert gradcheck(lambda v: F.binary_cross_entropy_with_logits(v, np.array([[0.0, 1.0, 0.5]]),
                                                                    pos_weight=2.0), [small]).passed


def test_cross_entropy_loss_module_options_are_used():
    z, y = logits_and_targets()
    zt = telar.tensor(z)
    assert nn.CrossEntropyLoss(reduction="none")(zt, y).shape == (6,)
    plain = nn.CrossEntropyLoss()(zt, y).item()
    assert nn.CrossEntropyLoss(label_smoothing=0.3)(zt, y).item() != pytest.approx(plain)
    assert nn.CrossEntropyLoss(ignore_index=int(y[0]))(zt, y).item() != pytest.approx(plain)
    assert nn.NLLLoss()(F.log_softmax(zt, dim=1), y).item() == pytest.approx(plain)

"""telar.nn.functional as PyTorch scripts call it: cross-entropy with every option, NLL of
log-softmax, softmax's ``dim``, all against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import logits_and_targets

import telar
import telar.nn.functional as F


def torch_loss(name, z, y, **kw):
    torch = pytest.importorskip("torch")
    zt = torch.tensor(z, requires_grad=True)
    yt = torch.tensor(y)
    out = getattr(torch.nn.functional, name)(zt, yt, **kw)
    out.sum().backward()
    return out.detach().numpy(), zt.grad.numpy()


@pytest.mark.parametrize("kw", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"ignore_index": 2},
    {"label_smoothing": 0.2}, {"weight": [1.0, 2.0, 0.5, 3.0]},
    {"weight": [1.0, 2.0, 0.5, 3.0], "label_smoothing": 0.1, "ignore_index": 1},
    {"weight": [1.0, 2.0, 0.5, 3.0], "reduction": "none", "label_smoothing": 0.3},
])
def test_cross_entropy_matches_pytorch_for_every_option(kw):
    z, y = logits_and_targets()
    ref, ref_grad = torch_loss("cross_entropy", z, y, **{
        k: (pytest.importorskip("torch").tensor(v, dtype=pytest.importorskip("torch").float64)
            if k == "weight" else v) for k, v in kw.items()})
    zt = telar.tensor(z, requires_grad=True)
    out = F.cross_entropy(zt, telar.tensor(y), **{
        k: (telar.tensor(np.array(v)) if k == "weight" else v) for k, v in kw.items()})
    np.testing.assert_allclose(out.array, ref, rtol=1e-10, atol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(zt.grad, ref_grad, rtol=1e-9, atol=1e-12)


def test_cross_entropy_with_probability_targets_matches_pytorch():
    torch = pytest.importorskip("torch")
    z, _ = logits_and_targets()
    q = np.random.default_rng(1).dirichlet(np.ones(4), 6)
    ref = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(q), label_smoothing=0.1)
    out = F.cross_entropy(telar.tensor(z), telar.tensor(q), label_smoothing=0.1)
    assert out.item() == pytest.approx(ref.item(), rel=1e-10)


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"ignore_index": 0},
                                {"weight": [0.5, 1.0, 2.0, 1.5]}])
def test_nll_loss_of_log_softmax_matches_pytorch(kw):
    torch = pytest.importorskip("torch")
    z, y = logits_and_targets(3)
    zt = torch.tensor(z)
    tkw = {k: torch.tensor(v, dtype=torch.float64) if k == "weight" else v for k, v in kw.items()}
    ref = torch.nn.functional.nll_loss(torch.log_softmax(zt, dim=1), torch.tensor(y), **tkw)
    ours = F.nll_loss(F.log_softmax(telar.tensor(z), dim=1), telar.tensor(y), **kw)
    assert ours.item() == pytest.approx(ref.item(), rel=1e-10)


def test_nll_loss_size_average_false_is_the_sum_as_in_old_pytorch_scripts():
    z, y = logits_and_targets()
    logp = F.log_softmax(telar.tensor(z), dim=1)
    with pytest.warns(DeprecationWarning):
        old = F.nll_loss(logp, telar.tensor(y), size_average=False)
    assert old.item() == pytest.approx(F.nll_loss(logp, y, reduction="sum").item())
    assert old.item() == pytest.approx(-sum(logp.array[i, y[i]] for i in range(len(y))))


def test_softmax_and_log_softmax_take_dim_and_default_like_pytorch():
    x = telar.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(F.softmax(x, dim=1).array.sum(1), [1, 1])
    np.testing.assert_allclose(F.softmax(x, dim=0).array.sum(0), [1, 1, 1])
    np.testing.assert_allclose(F.log_softmax(x).array, F.log_softmax(x, dim=1).array)
    np.testing.assert_allclose(x.softmax(0).array, F.softmax(x, axis=0).array)
    assert F.relu(telar.tensor([-1.0, 2.0]), inplace=False).tolist() == [0.0, 2.0]
    assert F.dropout(telar.ones(4), training=False).tolist() == [1.0] * 4

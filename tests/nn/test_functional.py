"""PyTorch's nn idioms on telar: losses, functional ops, Module API, nn.init, Linear's init."""

from __future__ import annotations

import math

import numpy as np
import pytest

import telar
import telar.nn.functional as F
from telar import gradcheck, nn


def logits_and_targets(seed=0, n=6, c=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c)), rng.integers(0, c, n)


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
    np.testing.assert_allclose(out.data, ref, rtol=1e-10, atol=1e-12)
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
    assert old.item() == pytest.approx(-sum(logp.data[i, y[i]] for i in range(len(y))))


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


def test_softmax_and_log_softmax_take_dim_and_default_like_pytorch():
    x = telar.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(F.softmax(x, dim=1).data.sum(1), [1, 1])
    np.testing.assert_allclose(F.softmax(x, dim=0).data.sum(0), [1, 1, 1])
    np.testing.assert_allclose(F.log_softmax(x).data, F.log_softmax(x, dim=1).data)
    np.testing.assert_allclose(x.softmax(0).data, F.softmax(x, axis=0).data)
    assert F.relu(telar.tensor([-1.0, 2.0]), inplace=False).tolist() == [0.0, 2.0]
    assert F.dropout(telar.ones(4), training=False).tolist() == [1.0] * 4


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        self.head = nn.Linear(3, 2)
        self.register_buffer("scale", telar.tensor([2.0]))

    def forward(self, x, *, double=False):
        out = self.head(self.body(x)) * self.scale
        return out * 2 if double else out


def test_module_traversal_apply_buffers_and_keyword_arguments_in_forward():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert not isinstance(net.parameters(), list) and len(list(net.parameters())) == 4
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Sequential", "Linear", "ReLU",
                                                         "Linear"]
    assert [type(m).__name__ for m in net.children()] == ["Sequential", "Linear"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "head"]
    assert "scale" in net.state_dict() and list(net.buffers())[0].tolist() == [2.0]
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Sequential", "Linear", "Net"]
    x = telar.ones(1, 4)
    np.testing.assert_allclose(net(x, double=True).data, 2 * net(x).data)
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.to("cpu") is net and net.load_state_dict(net.state_dict()).missing_keys == []


def test_init_weights_through_apply_as_d2l_does():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))

    def init_weights(m):
        if type(m) == nn.Linear:  # noqa: E721 - the book's idiom
            nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    assert net[1].weight.data.std() == pytest.approx(0.01, rel=0.02)
    assert net[1].weight.dtype == np.float32


@pytest.mark.parametrize("fn,kw,expected_std", [
    (nn.init.kaiming_uniform_, {}, math.sqrt(2 / 2000) * 1),  # leaky_relu a=0: gain sqrt 2
    (nn.init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 2000)),
    (nn.init.xavier_uniform_, {}, math.sqrt(2 / (2000 + 500))),
    (nn.init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / (2000 + 500))),
    (nn.init.uniform_, {"a": -1.0, "b": 1.0}, 1 / math.sqrt(3)),
    (nn.init.normal_, {"mean": 1.0, "std": 0.5}, 0.5),
])
def test_in_place_initialisers_draw_with_pytorchs_spread(fn, kw, expected_std):
    w = nn.Parameter(np.zeros((500, 2000), dtype=np.float32))
    assert fn(w, **kw) is w
    assert w.data.std() == pytest.approx(expected_std, rel=0.02)


def test_constant_initialisers_and_gain():
    w = nn.Parameter(np.ones((3, 4), dtype=np.float32))
    assert nn.init.zeros_(w).data.sum() == 0 and nn.init.ones_(w).data.sum() == 12
    assert nn.init.constant_(w, 0.5).data.mean() == 0.5
    assert nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))


def test_linear_defaults_to_pytorchs_initialisation_weights_and_bias():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.95 * bound
        assert p.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    named = nn.Linear(400, 300, init="xavier_report", rng=0)
    assert not named.bias.data.any()
    assert named.weight.data.std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)


def test_same_weights_give_the_same_losses_as_pytorch_for_an_sgd_run():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 32)
    theirs = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 64), torch.nn.ReLU(),
                                 torch.nn.Linear(64, 10))
    ours = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    opt_o = telar.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    for _ in range(5):
        lt = torch.nn.CrossEntropyLoss()(theirs(torch.from_numpy(x)), torch.from_numpy(y))
        opt_t.zero_grad()
        lt.backward()
        opt_t.step()
        lo = nn.CrossEntropyLoss()(ours(telar.from_numpy(x)), telar.tensor(y))
        opt_o.zero_grad()
        lo.backward()
        opt_o.step()
        assert lo.item() == pytest.approx(lt.item(), rel=1e-4)

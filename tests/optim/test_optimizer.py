"""The optimisers' shared behaviour: every optimiser step for step with PyTorch, resumed from
its state dict, gradients zeroed, clipped and missing, bad settings refused, and each
parameter taken once."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.optim import CASES, SHAPES, run_both

import telar
from telar import nn, optim
from telar.errors import ConfigError, ModelFileError, TelarError
from telar.optim import SGD
from telar.optim.adadelta import Adadelta
from telar.optim.adagrad import Adagrad


@pytest.mark.parametrize("make", [
    lambda optim, p, q: optim.SGD([p, q, p], lr=0.1),
    lambda optim, p, q: optim.Adam([{"params": [p]}, {"params": [q, p]}], lr=0.1),
])
def test_an_optimiser_given_one_parameter_twice_refuses_it(make):
    p = telar.Tensor(np.zeros(3), requires_grad=True)
    q = telar.Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(TelarError, match="is parameter 0 again"):
        make(optim, p, q)


def test_sgd_with_distinct_parameters_moves_each_once():
    p = telar.Tensor(np.zeros(2), requires_grad=True)
    q = telar.Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([p, q], lr=0.5)
    p.grad, q.grad = np.ones(2), np.full(2, 2.0)
    opt.step()
    np.testing.assert_array_equal(p.array, [-0.5, -0.5])
    np.testing.assert_array_equal(q.array, [-1.0, -1.0])


@pytest.mark.parametrize("name, kwargs", CASES)
def test_optimiser_follows_pytorch_step_for_step(name, kwargs):
    ours, theirs, _ = run_both(name, kwargs)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.array, t.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_optimiser_resumed_from_its_state_dict_continues_identically(name, kwargs):
    rng = np.random.default_rng(1)
    params = [nn.Parameter(rng.normal(size=s)) for s in SHAPES]
    copies = [nn.Parameter(p.array.copy()) for p in params]
    grads = [[rng.normal(size=s) for s in SHAPES] for _ in range(6)]
    a = getattr(optim, name)(params, **kwargs)
    for g in grads[:3]:
        for p, gi in zip(params, g, strict=True):
            p.grad = gi
        a.step()
    state = a.state_dict()
    # What a checkpoint does: scalars through JSON, arrays kept as arrays.
    groups = json.loads(json.dumps(state["param_groups"]))
    for p, c in zip(params, copies, strict=True):
        c.array[...] = p.array
    b = getattr(optim, name)(copies, **{**kwargs, "lr": 123.0})
    b.load_state_dict({"param_groups": groups, "state": state["state"]})
    for g in grads[3:]:
        for p, c, gi in zip(params, copies, g, strict=True):
            p.grad, c.grad = gi, gi
        a.step()
        b.step()
    for p, c in zip(params, copies, strict=True):
        np.testing.assert_array_equal(p.array, c.array)


def test_zero_grad_forgets_every_gradient():
    model = nn.build_mlp({"hidden": [3], "input_size": 2})
    for p in model.parameters():
        p.grad = np.ones_like(p.array)
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_parameters_without_gradients_are_left_alone():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.array, [1.0, 1.0])
    assert not np.array_equal(a.array, [1.0, 1.0])


def test_clip_grad_norm_matches_pytorch_and_returns_the_norm_before_clipping():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    grads = [rng.normal(size=s) * 3 for s in SHAPES]
    ours = [nn.Parameter(np.zeros(s)) for s in SHAPES]
    theirs = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]
    for p, t, g in zip(ours, theirs, grads, strict=True):
        p.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
    norm = optim.clip_grad_norm_(ours, 1.5)
    ref = torch.nn.utils.clip_grad_norm_(theirs, 1.5)
    assert norm == pytest.approx(float(ref), rel=1e-12)
    assert norm == pytest.approx(np.sqrt(sum((g ** 2).sum() for g in grads)))
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    total = np.sqrt(sum((p.grad ** 2).sum() for p in ours))
    assert total == pytest.approx(1.5, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_unchanged():
    p = nn.Parameter(np.zeros(2))
    p.grad = np.array([0.3, 0.4])
    assert optim.clip_grad_norm_([p], 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(p.grad, [0.3, 0.4])


@pytest.mark.parametrize("build, message", [
    (lambda p: optim.SGD(p, lr=-1), "lr must be >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), "betas"),
    (lambda p: optim.AdamW([], lr=0.1), "empty parameter list"),
])
def test_bad_hyper_parameters_are_config_errors(build, message):
    with pytest.raises(ConfigError, match=message):
        build([nn.Parameter(np.zeros(2))])


def test_loading_state_for_other_parameters_is_refused():
    a = optim.Adam([nn.Parameter(np.zeros(3))], lr=0.1)
    a.param_groups[0]["params"][0].grad = np.ones(3)
    a.step()
    b = optim.Adam([nn.Parameter(np.zeros(4))], lr=0.1)
    with pytest.raises(ModelFileError, match="shape \\(3,\\)"):
        b.load_state_dict(a.state_dict())


def test_training_a_model_end_to_end_lowers_the_loss():
    import telar
    from telar.engine import functional as F

    rng = np.random.default_rng(0)
    x = telar.tensor(rng.normal(size=(64, 5)).astype(np.float32))
    y = (x.array[:, 0] + x.array[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(5, 16, rng=0), nn.ReLU(), nn.Linear(16, 2, rng=1))
    opt = optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        loss = F.cross_entropy(model(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.2 * first


def test_optimiser_state_survives_npz_and_json_without_pickle(tmp_path):
    rng = np.random.default_rng(7)
    params = [nn.Parameter(rng.normal(size=s).astype(np.float32)) for s in SHAPES]
    opt = optim.AdamW(params, lr=0.01)
    for _ in range(3):
        for p in params:
            p.grad = rng.normal(size=p.shape).astype(np.float32)
        opt.step()
    from telar.io.state import decode as join_state
    from telar.io.state import encode as split_state

    arrays: dict[str, np.ndarray] = {}
    meta = split_state(opt.state_dict(), "optim", arrays)
    np.savez(tmp_path / "opt.npz", **arrays)
    (tmp_path / "opt.json").write_text(json.dumps(meta))
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as saved:
        restored = join_state(json.loads((tmp_path / "opt.json").read_text()), dict(saved))
    copies = [nn.Parameter(p.array.copy()) for p in params]
    other = optim.AdamW(copies, lr=0.5)
    other.load_state_dict(restored)
    for p, c in zip(params, copies, strict=True):
        p.grad = c.grad = np.ones(p.shape, dtype=np.float32)
    opt.step()
    other.step()
    for p, c in zip(params, copies, strict=True):
        np.testing.assert_array_equal(p.array, c.array)
    assert other.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize("ours,name,kw", [
    (Adadelta, "Adadelta", {}), (Adadelta, "Adadelta", {"lr": 0.5, "rho": 0.8,
                                                         "weight_decay": 0.1}),
    (Adagrad, "Adagrad", {}), (Adagrad, "Adagrad", {"lr": 0.1, "lr_decay": 0.01,
                                                     "initial_accumulator_value": 0.1,
                                                     "weight_decay": 0.05}),
])
def test_optimiser_steps_match_pytorch(ours, name, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(6)]
    p = telar.tensor(w0.copy(), requires_grad=True)
    q = torch.tensor(w0.copy(), requires_grad=True)
    opt_o, opt_t = ours([p], **kw), getattr(torch.optim, name)([q], **kw)
    for g in grads:
        p.grad = g.copy()
        q.grad = torch.tensor(g)
        opt_o.step()
        opt_t.step()
    np.testing.assert_allclose(p.array, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_param_groups_lr_is_honoured_by_step():
    p = telar.tensor([1.0], requires_grad=True)
    opt = SGD([p], lr=1.0)
    opt.param_groups[0]["lr"] = 0.25
    p.grad = np.array([2.0])
    opt.step()
    assert p.tolist() == [0.5]

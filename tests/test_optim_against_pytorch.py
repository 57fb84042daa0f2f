"""Each optimiser's updates against PyTorch's on the same gradients, over several steps."""

from __future__ import annotations

import json

import numpy as np
import pytest

from telar import nn, optim
from telar.errors import ConfigError, ModelFileError

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.003, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "betas": (0.85, 0.95)}),
]
SHAPES = [(3, 4), (4,), (2, 2)]


def run_both(name: str, kwargs: dict, steps: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=s) for s in SHAPES]
    ours = [nn.Parameter(a.copy()) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt = getattr(optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(steps):
        for p, t in zip(ours, theirs, strict=True):
            g = rng.normal(size=p.shape)
            p.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
        opt.step()
        ref.step()
    return ours, theirs, opt


@pytest.mark.parametrize("name, kwargs", CASES)
def test_optimiser_follows_pytorch_step_for_step(name, kwargs):
    ours, theirs, _ = run_both(name, kwargs)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, kwargs", CASES)
def test_optimiser_resumed_from_its_state_dict_continues_identically(name, kwargs):
    rng = np.random.default_rng(1)
    params = [nn.Parameter(rng.normal(size=s)) for s in SHAPES]
    copies = [nn.Parameter(p.data.copy()) for p in params]
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
        c.data[...] = p.data
    b = getattr(optim, name)(copies, **{**kwargs, "lr": 123.0})
    b.load_state_dict({"param_groups": groups, "state": state["state"]})
    for g in grads[3:]:
        for p, c, gi in zip(params, copies, g, strict=True):
            p.grad, c.grad = gi, gi
        a.step()
        b.step()
    for p, c in zip(params, copies, strict=True):
        np.testing.assert_array_equal(p.data, c.data)


def test_adam_on_float32_parameters_stays_float32():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = optim.Adam([p], lr=0.1, weight_decay=0.1)
    p.grad = np.ones(3, dtype=np.float32)
    opt.step()
    assert p.data.dtype == np.float32 and opt.state_dict()["state"]["0"]["exp_avg"].dtype == \
        np.float32


def test_zero_grad_forgets_every_gradient():
    model = nn.build_mlp({"hidden": [3], "input_size": 2})
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_parameters_without_gradients_are_left_alone():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    assert not np.array_equal(a.data, [1.0, 1.0])


def test_clip_grad_norm_matches_pytorch_and_returns_the_norm_before_clipping():
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
    from telar import functional as F

    rng = np.random.default_rng(0)
    x = telar.tensor(rng.normal(size=(64, 5)).astype(np.float32))
    y = (x.data[:, 0] + x.data[:, 1] > 0).astype(np.int64)
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

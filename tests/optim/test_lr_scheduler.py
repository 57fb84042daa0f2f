"""Learning-rate schedules against PyTorch's, and their state dicts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import telar
from telar import nn, optim
from telar.errors import ConfigError
from telar.optim import SGD, lr_scheduler
from telar.optim import lr_scheduler as sched

torch = pytest.importorskip("torch")


def pair(lr=0.1):
    ours = optim.SGD([nn.Parameter(np.zeros(2))], lr=lr)
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=lr)
    return ours, theirs


def sequence(scheduler, optimizer, steps):
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


@pytest.mark.parametrize("make_ours, make_theirs", [
    (lambda o: sched.StepLR(o, 3, 0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    (lambda o: sched.ExponentialLR(o, 0.9),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
    (lambda o: sched.CosineWithWarmup(o, 4, 20, start_factor=0.25, eta_min=0.001),
     lambda o: torch.optim.lr_scheduler.SequentialLR(o, [
         torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4),
         torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=16, eta_min=0.001)],
         milestones=[4])),
])
def test_schedule_gives_pytorchs_learning_rates(make_ours, make_theirs):
    ours, theirs = pair()
    a, b = make_ours(ours), make_theirs(theirs)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(sequence(a, ours, 20), sequence(b, theirs, 20), rtol=1e-9)


def test_cosine_warms_up_linearly_and_ends_at_eta_min():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    s = sched.CosineWithWarmup(opt, warmup_steps=10, total_steps=30, start_factor=0.1,
                               eta_min=0.05)
    lrs = sequence(s, opt, 35)
    np.testing.assert_allclose(lrs[:11], np.linspace(0.1, 1.0, 11))
    assert max(lrs) == 1.0 and lrs[30] == pytest.approx(0.05) and lrs[34] == pytest.approx(0.05)
    assert all(x >= y for x, y in zip(lrs[10:31], lrs[11:31], strict=False))


def test_reduce_on_plateau_matches_pytorch_on_a_noisy_metric():
    ours, theirs = pair(1.0)
    a = sched.ReduceLROnPlateau(ours, factor=0.5, patience=2, cooldown=1, min_lr=0.05)
    b = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, factor=0.5, patience=2, cooldown=1,
                                                   min_lr=0.05)
    metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9,
               0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97] + [0.99] * 8
    for m in metrics:
        a.step(m)
        b.step(m)
        assert ours.param_groups[0]["lr"] == pytest.approx(theirs.param_groups[0]["lr"])
    assert ours.param_groups[0]["lr"] == pytest.approx(0.05)


def test_reduce_on_plateau_in_max_mode_waits_for_patience_before_cutting():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    s = sched.ReduceLROnPlateau(opt, mode="max", patience=1, factor=0.1)
    for acc in (0.5, 0.6, 0.6):
        s.step(acc)
    assert opt.param_groups[0]["lr"] == 1.0
    s.step(0.6)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)


@pytest.mark.parametrize("make", [
    lambda o: sched.StepLR(o, 2, 0.5),
    lambda o: sched.CosineWithWarmup(o, 3, 12),
    lambda o: sched.ReduceLROnPlateau(o, patience=1),
])
def test_schedule_resumed_from_json_state_continues_identically(make):
    def drive(s, o, steps, start):
        out = []
        for i in range(start, start + steps):
            s.step(1.0 / (1 + i % 3)) if isinstance(s, sched.ReduceLROnPlateau) else s.step()
            out.append(o.param_groups[0]["lr"])
        return out

    o1 = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.5)
    s1 = make(o1)
    drive(s1, o1, 5, 0)
    saved_opt, saved = o1.state_dict(), json.loads(json.dumps(s1.state_dict()))
    o2 = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.5)
    s2 = make(o2)
    o2.load_state_dict(saved_opt)
    s2.load_state_dict(saved)
    assert drive(s1, o1, 6, 5) == drive(s2, o2, 6, 5)


def test_bad_schedule_settings_are_config_errors():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.5)
    with pytest.raises(ConfigError, match="warmup_steps < total_steps"):
        sched.CosineWithWarmup(opt, 10, 10)
    with pytest.raises(ConfigError, match="step_size"):
        sched.StepLR(opt, 0)
    with pytest.raises(ConfigError, match="factor"):
        sched.ReduceLROnPlateau(opt, factor=1.5)


@pytest.mark.parametrize("name,kw", [
    ("StepLR", {"step_size": 2, "gamma": 0.5}), ("MultiStepLR", {"milestones": [2, 5]}),
    ("ExponentialLR", {"gamma": 0.9}), ("CosineAnnealingLR", {"T_max": 6, "eta_min": 0.01}),
    ("LinearLR", {"start_factor": 0.25, "total_iters": 4}),
    ("LambdaLR", {"lr_lambda": lambda e: 1 / (e + 1)}),
])
def test_schedules_give_pytorchs_learning_rates(name, kw):
    torch = pytest.importorskip("torch")
    q = torch.zeros(1, requires_grad=True)
    opt_t = torch.optim.SGD([q], lr=0.1)
    sched_t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kw)
    opt_o = SGD([telar.zeros(1, requires_grad=True)], lr=0.1)
    sched_o = getattr(lr_scheduler, name)(opt_o, **kw)
    for _ in range(8):
        assert opt_o.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"])
        opt_t.step()
        sched_t.step()
        sched_o.step()
    assert math.isfinite(sched_o.get_last_lr()[0])

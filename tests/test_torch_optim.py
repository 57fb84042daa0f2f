"""Adadelta, Adagrad and the PyTorch-named schedules against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import telar
from telar.optim import SGD, lr_scheduler
from telar.optim.adadelta import Adadelta
from telar.optim.adagrad import Adagrad


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
    np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_param_groups_lr_is_honoured_by_step():
    p = telar.tensor([1.0], requires_grad=True)
    opt = SGD([p], lr=1.0)
    opt.param_groups[0]["lr"] = 0.25
    p.grad = np.array([2.0])
    opt.step()
    assert p.tolist() == [0.5]


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

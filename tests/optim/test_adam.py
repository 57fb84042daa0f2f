"""Adam and AdamW against PyTorch: missing gradients, replaced arrays, float32, the flat
storage of small groups and the per-parameter path of large ones."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.optim import CASES, SHAPES, run_both

from telar import nn, optim

torch = pytest.importorskip("torch")


def test_adam_on_float32_parameters_stays_float32():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = optim.Adam([p], lr=0.1, weight_decay=0.1)
    p.grad = np.ones(3, dtype=np.float32)
    opt.step()
    assert p.array.dtype == np.float32 and opt.state_dict()["state"]["0"]["exp_avg"].dtype == \
        np.float32


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_matches_pytorch_when_some_gradients_are_missing_on_some_steps(name):
    rng = np.random.default_rng(5)
    start = [rng.normal(size=s) for s in SHAPES]
    ours = [nn.Parameter(a.copy()) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt = getattr(optim, name)(ours, lr=0.01, weight_decay=0.1)
    ref = getattr(torch.optim, name)(theirs, lr=0.01, weight_decay=0.1)
    for step in range(8):
        for i, (p, t) in enumerate(zip(ours, theirs, strict=True)):
            if i == 1 and step in (2, 3, 6):  # this one sits some steps out
                p.grad, t.grad = None, None
                continue
            g = rng.normal(size=p.shape)
            p.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
        opt.step()
        ref.step()
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.array, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_adam_follows_a_parameter_whose_array_was_replaced_between_steps():
    rng = np.random.default_rng(6)
    start = [rng.normal(size=s) for s in SHAPES]
    ours = [nn.Parameter(a.copy()) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt, ref = optim.Adam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    for step in range(5):
        if step == 2:  # e.g. a user casting or reloading weights by assignment
            ours[0].array = ours[0].array.copy() + 1.0
            with torch.no_grad():
                theirs[0].add_(1.0)
        for p, t in zip(ours, theirs, strict=True):
            g = rng.normal(size=p.shape)
            p.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
        opt.step()
        ref.step()
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.array, t.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_adam_flat_storage_keeps_model_outputs_and_state_dict_consistent():
    model = nn.build_mlp({"hidden": [6], "input_size": 4, "dtype": "float64"})
    before = model.state_dict()
    opt = optim.Adam(model.parameters(), lr=0.0)  # lr 0: values must not move
    for p in model.parameters():
        p.grad = np.ones_like(p.array)
    opt.step()
    after = model.state_dict()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])
    model.load_state_dict({k: v + 1 for k, v in before.items()})  # in place, into the views
    for p in model.parameters():
        p.grad = np.zeros_like(p.array)
    opt.step()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key] + 1)


@pytest.mark.parametrize("name, kwargs", [c for c in CASES if c[0].startswith("Adam")])
def test_adam_per_parameter_path_for_large_groups_also_follows_pytorch(name, kwargs, monkeypatch):
    from telar.optim import adam

    monkeypatch.setattr(adam, "FLAT_MAX_VALUES", 0)  # every group counts as large
    ours, theirs, opt = run_both(name, kwargs)
    assert all(p.array.base is None for p in ours)  # no parameter became a flat-buffer view
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.array, t.detach().numpy(), rtol=1e-10, atol=1e-12)

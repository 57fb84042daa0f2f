"""The optimiser settings held to PyTorch's, and one run of an optimiser beside PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

from telar import nn, optim

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
    """``steps`` updates of telar's ``name`` and PyTorch's on the same random gradients:
    (our parameters, theirs, our optimiser)."""
    torch = pytest.importorskip("torch")
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

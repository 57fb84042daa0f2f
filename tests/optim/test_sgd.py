"""SGD with momentum on a small network: the same losses as PyTorch's, step by step."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import nn


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

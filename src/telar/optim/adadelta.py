"""Adadelta (Zeiler 2012), PyTorch's ``Adadelta`` formulas and defaults."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.array import array_module
from telar.errors import ConfigError
from telar.optim.optimizer import Optimizer


class Adadelta(Optimizer):
    """``g = grad + wd p``; ``v = rho v + (1 - rho) g^2``;
    ``d = sqrt(u + eps) / sqrt(v + eps) * g``; ``u = rho u + (1 - rho) d^2``; ``p -= lr d``.

    Defaults ``lr=1.0, rho=0.9, eps=1e-6`` (PyTorch's; ``pytorch/examples`` mnist uses it).
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        if not 0.0 <= rho <= 1.0:
            raise ConfigError(f"Adadelta rho must be in [0, 1], got {rho}")
        if eps < 0:
            raise ConfigError(f"Adadelta eps must be >= 0, got {eps}")
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps,
                                  "weight_decay": weight_decay})

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        xp = array_module(p.array)  # where the parameter lives
        rho, eps, wd = group["rho"], group["eps"], group["weight_decay"]
        if wd:
            grad = grad + wd * p.array
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p.array)
            state["acc_delta"] = xp.zeros_like(p.array)
        state["step"] += 1
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * grad * grad
        delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * grad
        u *= rho
        u += (1 - rho) * delta * delta
        p.array -= group["lr"] * delta

"""RMSprop (PyTorch's ``RMSprop``: optional momentum, centred variant and L2)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.array import array_module
from telar.optim.optimizer import Optimizer


class RMSprop(Optimizer):
    """``v = alpha v + (1 - alpha) g^2``; ``d = sqrt(v - gbar^2 if centred else v) + eps``;
    ``p -= lr * g / d``, or with momentum ``b = mu b + g / d``, ``p -= lr * b``."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered})

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        xp = array_module(p.array)  # where the parameter lives
        alpha, wd, mu = group["alpha"], group["weight_decay"], group["momentum"]
        if wd:
            grad = grad + wd * p.array
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p.array)
            if mu:
                state["momentum_buffer"] = xp.zeros_like(p.array)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p.array)
        state["step"] += 1
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * grad * grad
        if group["centered"]:
            gbar = state["grad_avg"]
            gbar *= alpha
            gbar += (1 - alpha) * grad
            denom = xp.sqrt(v - gbar * gbar)
        else:
            denom = xp.sqrt(v)
        denom += group["eps"]
        if mu:
            buf = state["momentum_buffer"]
            buf *= mu
            buf += grad / denom
            p.array -= group["lr"] * buf
        else:
            p.array -= group["lr"] * (grad / denom)

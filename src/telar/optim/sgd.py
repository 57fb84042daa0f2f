"""Stochastic gradient descent with momentum, dampening, Nesterov and L2 (PyTorch's ``SGD``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.array import array_module
from telar.errors import ConfigError
from telar.optim.optimizer import Optimizer


class SGD(Optimizer):
    """``g = grad + wd * p``; with momentum ``b = mu * b + (1 - dampening) * g`` (``b = g`` on
    the first step), then ``g = g + mu * b`` (Nesterov) or ``g = b``; ``p -= lr * g``."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ConfigError("Nesterov momentum needs momentum > 0 and dampening 0")
        if momentum < 0:
            raise ConfigError(f"SGD momentum must be >= 0, got {momentum}")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        xp = array_module(p.array)  # where the parameter lives
        wd, mu = group["weight_decay"], group["momentum"]
        if wd:
            grad = grad + wd * p.array
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = xp.array(grad, dtype=p.array.dtype, copy=True)
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * grad
            grad = grad + mu * buf if group["nesterov"] else buf
        p.array -= group["lr"] * grad

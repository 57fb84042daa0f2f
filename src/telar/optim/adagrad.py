"""Adagrad (Duchi et al. 2011), PyTorch's ``Adagrad`` formulas and defaults."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.array import array_module
from telar.errors import ConfigError
from telar.optim.optimizer import Optimizer


class Adagrad(Optimizer):
    """``g = grad + wd p``; ``s += g^2``; ``p -= lr_t * g / (sqrt(s) + eps)`` with
    ``lr_t = lr / (1 + (t - 1) lr_decay)``. Defaults ``lr=1e-2, eps=1e-10``."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        if lr_decay < 0 or initial_accumulator_value < 0 or eps < 0:
            raise ConfigError("Adagrad lr_decay, initial_accumulator_value and eps must be "
                              f">= 0, got {lr_decay}, {initial_accumulator_value}, {eps}")
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps})

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        xp = array_module(p.array)  # where the parameter lives
        wd = group["weight_decay"]
        if wd:
            grad = grad + wd * p.array
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(p.array, group["initial_accumulator_value"])
        state["step"] += 1
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += grad * grad
        p.array -= lr * grad / (xp.sqrt(s) + group["eps"])

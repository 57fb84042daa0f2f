"""Adam and AdamW (PyTorch's formulas, bias correction included).

``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
Adam's ``weight_decay`` is L2, coupled into the gradient (``g = grad + wd p``); AdamW's is
decoupled (``p *= 1 - lr wd`` before the update), as in Loshchilov & Hutter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from telar.autograd import Tensor
from telar.errors import ConfigError
from telar.optim.optimizer import Optimizer


def _adam_update_inline(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray,
                        step: int, lr: float, beta1: float, beta2: float, eps: float) -> None:
    """One Adam step on ndarrays, in place, with at most two temporaries."""
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    tmp = grad * grad
    tmp *= 1 - beta2
    v += tmp
    denom = np.sqrt(v, out=tmp)
    denom *= 1 / math.sqrt(1 - beta2 ** step)
    denom += eps
    np.divide(m, denom, out=denom)
    denom *= lr / (1 - beta1 ** step)
    param -= denom


try:  # the seed branch's kernel, the hot path, when it is there
    from telar.optim.kernels import adam_update_ as _adam_update
except ImportError:  # pragma: no cover - before the merge
    _adam_update = _adam_update_inline


class Adam(Optimizer):
    """Adam (Kingma & Ba) with PyTorch's defaults: ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8``."""

    decoupled = False

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ConfigError(f"Adam betas must be in [0, 1), got {betas}")
        if eps < 0:
            raise ConfigError(f"Adam eps must be >= 0, got {eps}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay})

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        lr, wd = group["lr"], group["weight_decay"]
        if wd:
            if self.decoupled:
                p.data *= 1 - lr * wd
            else:
                grad = grad + wd * p.data
        beta1, beta2 = group["betas"]
        _adam_update(p.data, grad, state["exp_avg"], state["exp_avg_sq"], state["step"], lr,
                     beta1, beta2, group["eps"])

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["betas"] = tuple(group["betas"])  # JSON turns tuples into lists


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's ``AdamW``; default ``weight_decay=0.01``)."""

    decoupled = True

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

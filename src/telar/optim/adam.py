"""Adam and AdamW (PyTorch's formulas, bias correction included).

``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
``p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
Adam's ``weight_decay`` is L2, coupled into the gradient (``g = grad + wd p``); AdamW's is
decoupled (``p *= 1 - lr wd`` before the update), as in Loshchilov & Hutter.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from telar.autograd import Tensor
from telar.errors import ConfigError
from telar.optim.kernels import adam_update_, flush_tiny_
from telar.optim.optimizer import Optimizer

#: Steps between flushes of tiny moments to zero (see ``telar.optim.kernels.flush_tiny_``).
FLUSH_EVERY = 64


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
        self._scratch: dict[int, np.ndarray] = {}  # per-parameter work space, not state

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        scratch = self._scratch.get(id(p))
        if scratch is None or scratch.shape != p.data.shape or scratch.dtype != p.data.dtype:
            scratch = self._scratch[id(p)] = np.empty_like(p.data)
        adam_update_(p.data, grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                     group["lr"], beta1, beta2, group["eps"], weight_decay=group["weight_decay"],
                     decoupled=self.decoupled, scratch=scratch)
        if state["step"] % FLUSH_EVERY == 0:
            # Moments of always-zero gradients decay into subnormal floats, ~100x slower.
            flush_tiny_(state["exp_avg"], scratch=scratch)
            flush_tiny_(state["exp_avg_sq"], scratch=scratch)

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

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

from telar.engine import Tensor
from telar.engine.array import array_module, xp
from telar.errors import ConfigError
from telar.optim.kernels import adam_update_, flush_tiny_
from telar.optim.optimizer import Optimizer

#: Groups up to this many values go through the flat path; above it, copying the gradients
#: into the flat array costs more memory traffic than the per-parameter calls it saves.
FLAT_MAX_VALUES = 1 << 18

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
        self._flat: dict[tuple[int, ...], _FlatGroup] = {}  # work space, not state
        self._scratch: dict[int, np.ndarray] = {}  # per-parameter work space, not state

    def step(self) -> None:
        """One Adam step for every parameter with a gradient.

        Fast path: when every parameter of a group has a gradient, the same dtype and the same
        step count, and holds at most ``FLAT_MAX_VALUES`` values, the group is updated by ONE
        kernel call over flat arrays. The group's
        parameters then live in one flat array (``p.array`` becomes a view into it, values
        unchanged), as do the moments (each parameter's state holds views); gradients are
        copied in. A parameter whose ``data`` was replaced since is copied back in. Otherwise
        parameters go one by one.
        """
        for group in self.param_groups:
            params = group["params"]
            if self._can_go_flat(params):
                self._flat_step(group)
            else:
                for p in params:
                    if p.grad is not None:
                        self._update(p, p.grad, self.state.setdefault(id(p), {}), group)

    def _can_go_flat(self, params: list[Tensor]) -> bool:
        if len(params) < 2 or any(p.grad is None for p in params):
            return False
        if sum(p.array.size for p in params) > FLAT_MAX_VALUES:
            return False
        dtype = params[0].array.dtype
        if any(p.array.dtype != dtype for p in params):
            return False
        steps = {self.state[id(p)]["step"] if id(p) in self.state else 0 for p in params}
        return len(steps) == 1

    def _flat_buffers(self, params: list[Tensor]) -> _FlatGroup:
        key = tuple(id(p) for p in params)
        flat = self._flat.get(key)
        if flat is not None and flat.owns(params, self.state):
            return flat
        flat = self._flat[key] = _FlatGroup(params, self.state)
        return flat

    def _flat_step(self, group: dict[str, Any]) -> None:
        params = group["params"]
        flat = self._flat_buffers(params)
        for p, gv in zip(params, flat.grad_views, strict=True):
            xp.copyto(gv, p.grad)
        step = self.state[id(params[0])]["step"] + 1
        for p in params:
            self.state[id(p)]["step"] = step
        beta1, beta2 = group["betas"]
        adam_update_(flat.param, flat.grad, flat.m, flat.v, step, group["lr"], beta1, beta2,
                     group["eps"], weight_decay=group["weight_decay"], decoupled=self.decoupled,
                     scratch=flat.scratch)
        if step % FLUSH_EVERY == 0:
            # Moments of always-zero gradients decay into subnormal floats, ~100x slower.
            flush_tiny_(flat.m, scratch=flat.scratch)
            flush_tiny_(flat.v, scratch=flat.scratch)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p.array)
            state["exp_avg_sq"] = xp.zeros_like(p.array)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        scratch = self._scratch.get(id(p))
        if scratch is None or scratch.shape != p.array.shape or scratch.dtype != p.array.dtype:
            scratch = self._scratch[id(p)] = xp.empty_like(p.array)
        adam_update_(p.array, grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                     group["lr"], beta1, beta2, group["eps"], weight_decay=group["weight_decay"],
                     decoupled=self.decoupled, scratch=scratch)
        if state["step"] % FLUSH_EVERY == 0:
            flush_tiny_(state["exp_avg"], scratch=scratch)
            flush_tiny_(state["exp_avg_sq"], scratch=scratch)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._flat.clear()
        for group in self.param_groups:
            group["betas"] = tuple(group["betas"])  # JSON turns tuples into lists


class _FlatGroup:
    """One parameter group's flat work arrays; the moments are shared with ``state``."""

    def __init__(self, params: list[Tensor], state: dict[int, dict[str, Any]]) -> None:
        total = sum(p.array.size for p in params)
        dtype = params[0].array.dtype
        xp = array_module(params[0].array)  # the buffers live where the parameters do
        self.param, self.grad, self.scratch = (xp.empty(total, dtype) for _ in range(3))
        self.m, self.v = xp.zeros(total, dtype), xp.zeros(total, dtype)
        self.param_views, self.grad_views = [], []
        at = 0
        for p in params:
            cut = slice(at, at + p.array.size)
            at += p.array.size
            view = self.param[cut].reshape(p.shape)
            view[...] = p.array
            p.array = view
            self.param_views.append(view)
            self.grad_views.append(self.grad[cut].reshape(p.shape))
            m, v = self.m[cut].reshape(p.shape), self.v[cut].reshape(p.shape)
            entry = state.setdefault(id(p), {"step": 0})
            if "exp_avg" in entry:  # keep what a previous step or a loaded state had
                m[...], v[...] = entry["exp_avg"], entry["exp_avg_sq"]
            entry["exp_avg"], entry["exp_avg_sq"] = m, v

    def owns(self, params: list[Tensor], state: dict[int, dict[str, Any]]) -> bool:
        """Whether every parameter's values and moments are still views into these buffers."""
        return all(p.array.base is self.param
                   and state.get(id(p), {}).get("exp_avg") is not None
                   and state[id(p)]["exp_avg"].base is self.m
                   and state[id(p)]["exp_avg_sq"].base is self.v for p in params)


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's ``AdamW``; default ``weight_decay=0.01``)."""

    decoupled = True

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

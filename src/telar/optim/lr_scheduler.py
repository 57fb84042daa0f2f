"""Learning-rate schedules (PyTorch's ``torch.optim.lr_scheduler`` semantics).

Create the schedule after the optimiser and call ``step()`` once per epoch (or per batch for
step-based schedules), after ``optimizer.step()``. Each writes ``group["lr"]`` of every
parameter group; ``state_dict()`` is JSON-able.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from telar.errors import ConfigError
from telar.optim.optimizer import Optimizer


class LRScheduler:
    """Closed-form schedules: ``lr_t = f(base_lr, t)`` with ``t = last_epoch`` steps taken."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lrs = [g.setdefault("initial_lr", g["lr"]) for g in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, base_lr: float, t: int) -> float:
        raise NotImplementedError

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
            group["lr"] = self.lr_at(base, self.last_epoch)

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        unknown = set(state) - set(vars(self))
        if unknown:
            raise ConfigError(f"{type(self).__name__} state has unknown keys {sorted(unknown)}")
        vars(self).update({k: (list(v) if isinstance(v, tuple) else v) for k, v in state.items()})


class StepLR(LRScheduler):
    """``lr = base * gamma ** floor(t / step_size)``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ConfigError(f"StepLR step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """``lr = base * gamma ** t``."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** t


class MultiStepLR(LRScheduler):
    """``lr = base * gamma ** (number of milestones <= t)``."""

    def __init__(self, optimizer: Optimizer, milestones: list[int], gamma: float = 0.1) -> None:
        self.milestones, self.gamma = sorted(int(m) for m in milestones), float(gamma)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2``."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        if T_max < 1:
            raise ConfigError(f"CosineAnnealingLR T_max must be >= 1, got {T_max}")
        self.T_max, self.eta_min = int(T_max), float(eta_min)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, t: int) -> float:
        cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class LinearLR(LRScheduler):
    """``lr = base * (s + (e - s) * min(t, T) / T)`` (``s``/``e`` the start/end factors)."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5) -> None:
        if not 0.0 < start_factor <= 1.0 or not 0.0 <= end_factor <= 1.0:
            raise ConfigError(f"LinearLR factors must be in (0, 1], got {start_factor}, "
                              f"{end_factor}")
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        self.total_iters = int(total_iters)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, t: int) -> float:
        frac = min(t, self.total_iters) / self.total_iters if self.total_iters else 1.0
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * frac)


class LambdaLR(LRScheduler):
    """``lr = base * lr_lambda(t)`` (one function, or one per parameter group). The functions
    are not part of ``state_dict()`` (they are code)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Any) -> None:
        groups = len(optimizer.param_groups)
        fns = list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * groups
        if len(fns) != groups:
            raise ConfigError(f"LambdaLR got {len(fns)} functions for {groups} groups")
        self._lambdas = fns
        self._group = 0
        super().__init__(optimizer)

    def _apply(self) -> None:
        for i, (group, base) in enumerate(zip(self.optimizer.param_groups, self.base_lrs,
                                              strict=True)):
            group["lr"] = base * float(self._lambdas[i](self.last_epoch))

    def lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * float(self._lambdas[0](t))

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k not in ("optimizer", "_lambdas")}


class CosineWithWarmup(LRScheduler):
    """Linear warm-up, then cosine annealing to ``eta_min`` at ``total_steps``.

    ``t < W``: ``lr = base * (s + (1 - s) * t / W)`` (``s = start_factor``);
    ``t >= W``: ``lr = eta_min + (base - eta_min) * (1 + cos(pi * (t - W) / (T - W))) / 2``,
    held at ``eta_min`` after ``T``. The same as PyTorch's ``SequentialLR(LinearLR,
    CosineAnnealingLR)`` with the milestone at ``W``.
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, total_steps: int,
                 start_factor: float = 0.1, eta_min: float = 0.0) -> None:
        if not 0 <= warmup_steps < total_steps:
            raise ConfigError(f"cosine schedule needs 0 <= warmup_steps < total_steps, got "
                              f"{warmup_steps} and {total_steps}")
        if not 0.0 < start_factor <= 1.0:
            raise ConfigError(f"start_factor must be in (0, 1], got {start_factor}")
        self.warmup_steps, self.total_steps = int(warmup_steps), int(total_steps)
        self.start_factor, self.eta_min = float(start_factor), float(eta_min)
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, t: int) -> float:
        w = self.warmup_steps
        if t < w:
            return base_lr * (self.start_factor + (1 - self.start_factor) * t / w)
        progress = min(t - w, self.total_steps - w) / (self.total_steps - w)
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * progress)) / 2


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` when ``metric`` has not improved for ``patience`` steps.

    Improvement (``mode="min"``, ``threshold_mode="rel"``): ``metric < best * (1 - threshold)``;
    ``"abs"``: ``metric < best - threshold``; ``mode="max"`` mirrors both. After a reduction
    ``cooldown`` steps pass before bad steps count again; the lr never goes below ``min_lr``.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8) -> None:
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ConfigError(f"ReduceLROnPlateau: mode must be min/max and threshold_mode "
                              f"rel/abs, got {mode!r}, {threshold_mode!r}")
        if not 0.0 < factor < 1.0:
            raise ConfigError(f"ReduceLROnPlateau factor must be in (0, 1), got {factor}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, float(factor), int(patience)
        self.threshold, self.threshold_mode = float(threshold), threshold_mode
        self.cooldown, self.min_lr, self.eps = int(cooldown), float(min_lr), float(eps)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def _is_better(self, value: float) -> bool:
        if self.mode == "min":
            bar = self.best * (1 - self.threshold) if self.threshold_mode == "rel" \
                else self.best - self.threshold
            return value < bar
        bar = self.best * (1 + self.threshold) if self.threshold_mode == "rel" \
            else self.best + self.threshold
        return value > bar

    def step(self, metric: float) -> None:
        value = float(metric)
        self.last_epoch += 1
        if self._is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group in self.optimizer.param_groups:
                new_lr = max(group["lr"] * self.factor, self.min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        # JSON has no infinity: an unset best is stored as None.
        state = {k: v for k, v in vars(self).items() if k != "optimizer"}
        state["best"] = None if math.isinf(self.best) else self.best
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        unknown = set(state) - set(vars(self))
        if unknown:
            raise ConfigError(f"ReduceLROnPlateau state has unknown keys {sorted(unknown)}")
        vars(self).update(state)
        if self.best is None:
            self.best = math.inf if self.mode == "min" else -math.inf


SCHEDULES = {"step": StepLR, "exponential": ExponentialLR, "cosine": CosineWithWarmup,
             "plateau": ReduceLROnPlateau}

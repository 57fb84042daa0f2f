"""The optimiser base class and gradient clipping.

An optimiser holds *parameter groups* (PyTorch's design: a list of dicts, each with its
``params`` and hyper-parameters such as ``lr``), and per-parameter *state* (moment estimates,
step counts). Schedules change ``group["lr"]``. ``state_dict()`` holds ndarrays and JSON-able
scalars only: parameters are referred to by their position, never pickled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.array import array_module, to_host
from telar.errors import ConfigError, ModelFileError


class Optimizer:
    """Base class: subclasses define ``defaults`` checks and ``_update(param, grad, state,
    group)`` which changes ``param.array`` in place."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]) -> None:
        params = list(params)
        if not params:
            raise ConfigError(f"{type(self).__name__} got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            full = {**self.defaults, **group, "params": list(group["params"])}
            self._check(full)
            self.param_groups.append(full)
        self._check_distinct()
        self.state: dict[int, dict[str, Any]] = {}  # keyed by id(param)

    def _check_distinct(self) -> None:
        """Each parameter once: one listed twice would be moved twice per step."""
        seen: dict[int, int] = {}
        for i, p in enumerate(self._params()):
            if not isinstance(p, Tensor):
                raise ConfigError(f"{type(self).__name__}: parameter {i} is a "
                                  f"{type(p).__name__}, not a Tensor")
            if id(p) in seen:
                raise ConfigError(f"{type(self).__name__}: parameter {i} is parameter "
                                  f"{seen[id(p)]} again (shape {tuple(p.shape)}); list each "
                                  "parameter once, in one group")
            seen[id(p)] = i

    def _check(self, group: dict[str, Any]) -> None:
        for key in ("lr", "weight_decay"):
            if key in group and not (group[key] >= 0 and math.isfinite(group[key])):
                raise ConfigError(f"{type(self).__name__}: {key} must be >= 0, got {group[key]}")

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (``backward()`` accumulates into ``.grad``)."""
        for p in self._params():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = array_module(p.array).zeros_like(p.array)

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, self.state.setdefault(id(p), {}), group)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """``{"param_groups": [hyper-parameters...], "state": {"0": {...}, ...}}``: the
        per-parameter state is keyed by the parameter's position (a string) and holds copies
        of ndarrays and plain numbers."""
        groups = [{k: v for k, v in g.items() if k != "params"} | {"n_params": len(g["params"])}
                  for g in self.param_groups]
        state = {}
        for i, p in enumerate(self._params()):
            if id(p) in self.state:
                state[str(i)] = {k: _host_copy(v) for k, v in self.state[id(p)].items()}
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by :meth:`state_dict`."""
        groups = state_dict.get("param_groups")
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ModelFileError(f"optimiser state has {len(groups or [])} parameter groups, "
                                 f"this {type(self).__name__} has {len(self.param_groups)}")
        for saved, group in zip(groups, self.param_groups, strict=True):
            if saved.get("n_params", len(group["params"])) != len(group["params"]):
                raise ModelFileError(f"optimiser state is for {saved['n_params']} parameters, "
                                     f"this group has {len(group['params'])}")
        params = self._params()
        new_state: dict[int, dict[str, Any]] = {}
        for key, entry in state_dict.get("state", {}).items():
            i = int(key)
            if not 0 <= i < len(params):
                raise ModelFileError(f"optimiser state names parameter {i}, "
                                     f"there are {len(params)}")
            restored = {}
            for name, value in entry.items():
                if isinstance(value, np.ndarray) and value.ndim:
                    if value.shape != params[i].shape:
                        raise ModelFileError(f"optimiser state {name!r} of parameter {i} has "
                                             f"shape {value.shape}, the parameter "
                                             f"{params[i].shape}")
                    value = value.astype(params[i].dtype, copy=True)
                    # onto the parameter's device: a CPU checkpoint resumes on the GPU
                    value = array_module(params[i].array).asarray(value)
                elif isinstance(value, np.ndarray):
                    value = value.item()
                if name == "step" and (isinstance(value, bool) or not isinstance(value, int)
                                       or value < 0):
                    raise ModelFileError(f"optimiser state of parameter {i}: step must be a "
                                         f"count >= 0, got {value!r}")
                restored[name] = value
            new_state[id(params[i])] = restored
        for saved, group in zip(groups, self.param_groups, strict=True):
            for key in ("lr", "weight_decay", "momentum", "eps"):
                value = saved.get(key, 0.0)
                if isinstance(value, bool) or not isinstance(value, int | float) \
                        or not math.isfinite(value) or value < 0:
                    raise ModelFileError(f"optimiser state: {key} must be a finite number "
                                         f">= 0, got {value!r}")
            group.update({k: v for k, v in saved.items() if k != "n_params"})
        self.state = new_state


def clip_grad_norm_(params: Iterable[Tensor], max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    ``norm = sqrt(sum_p ||g_p||^2)``; if ``norm > max_norm`` every gradient is multiplied by
    ``max_norm / (norm + 1e-6)`` (PyTorch's rule). Returns the norm before clipping.
    """
    grads = [p for p in params if p.grad is not None]
    total = math.sqrt(sum(float(array_module(p.grad).dot(p.grad.ravel(), p.grad.ravel()))
                          for p in grads))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in grads:
            # Not in place: a gradient array may be shared between parameters.
            p.grad = p.grad * p.grad.dtype.type(coef)
    return total


def _host_copy(value: Any) -> Any:
    """A state entry as saved: arrays copied to the host (NumPy), numbers as they are."""
    host = to_host(value)
    if host is not value:
        return host  # already a fresh copy, from the GPU
    return value.copy() if isinstance(value, np.ndarray) else value

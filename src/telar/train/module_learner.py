"""``ModuleLearner``: any autograd module + optimiser (+ schedule) behind the Learner protocol.

One training step, PyTorch's way::

    logits = model(x); loss = cross_entropy(logits, y, label_smoothing)
    optimizer.zero_grad(); loss.backward(); clip_grad_norm_(params, clip); optimizer.step()

A schedule built in steps (cosine with warm-up) steps after every batch; one built in epochs
(step, exponential) or on a metric (reduce-on-plateau) steps at the end of each epoch through
``schedule_step`` (the loop's :class:`~telar.train.callbacks.ScheduleStep` callback).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from telar import functional as F
from telar.autograd import Tensor, no_grad
from telar.nn import Dropout, Linear, Module


class ModuleLearner:
    """Train ``model`` with ``optimizer``.

    ``schedule_every`` is ``"batch"``, ``"epoch"`` or ``"plateau"`` (``step(val_loss)``).
    ``spec`` describes the architecture for the model file (default ``model.spec``).
    """

    def __init__(self, model: Module, optimizer: Any, scheduler: Any = None, *,
                 schedule_every: str = "epoch", label_smoothing: float = 0.0,
                 clip_grad: float = 0.0, spec: dict[str, Any] | None = None) -> None:
        if schedule_every not in ("batch", "epoch", "plateau"):
            raise ValueError(f"schedule_every must be batch, epoch or plateau, "
                             f"got {schedule_every!r}")
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.schedule_every = schedule_every
        self.label_smoothing = float(label_smoothing)
        self.clip_grad = float(clip_grad)
        self._spec = spec if spec is not None else {"kind": "mlp", **getattr(model, "spec", {})}
        self._params = list(model.parameters())

    # -- training ---------------------------------------------------------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        from telar.optim import clip_grad_norm_
        self.model.train()
        logits = self.model(Tensor(x))
        loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip_grad:
            clip_grad_norm_(self._params, self.clip_grad)
        self.optimizer.step()
        if self.scheduler is not None and self.schedule_every == "batch":
            self.scheduler.step()
        n_correct = int(np.count_nonzero(logits.data.argmax(axis=1) == y))
        return float(loss.data), n_correct

    def schedule_step(self, val_loss: float | None) -> None:
        if self.scheduler is None or self.schedule_every == "batch":
            return
        if self.schedule_every == "plateau":
            self.scheduler.step(val_loss)
        else:
            self.scheduler.step()

    def set_rng(self, rng: np.random.Generator) -> None:
        """Dropout layers draw their masks from ``rng`` (the loop gives one per epoch)."""
        for module in self.model.modules():
            if isinstance(module, Dropout):
                module.generator = rng

    def matmul_layer_sizes(self) -> list[tuple[int, int]]:
        """``(in_features, out_features)`` of every Linear layer: the loop sizes BLAS threads
        by the largest product (:func:`telar.threads.threads_for_flops`)."""
        return [(m.in_features, m.out_features) for m in self.model.modules()
                if isinstance(m, Linear)]

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    # -- inference --------------------------------------------------------------------------
    def logits(self, x: np.ndarray) -> np.ndarray:
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                return np.array(self.model(Tensor(x)).data)
        finally:
            self.model.train(was_training)

    # -- state ------------------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        return dict(self._spec)

    def num_parameters(self) -> int:
        return self.model.num_parameters()

    def model_arrays(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()

    def state_arrays(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.model.load_state_dict(arrays)

    def state_json(self) -> dict[str, Any]:
        """Optimiser and schedule state (their arrays go to the checkpoint's arrays)."""
        return {"optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None}

    def load_state_json(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])

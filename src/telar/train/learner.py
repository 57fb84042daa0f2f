"""What the training loop needs from a model: the :class:`Learner` base class.

A learner is a network, its optimiser and (optionally) a learning-rate schedule, trained one
batch at a time. Both engines are learners: the hand-written network
(:class:`~telar.train.handwritten_learner.HandwrittenLearner`) and any autograd module
(:class:`~telar.train.module_learner.ModuleLearner`). The loop never looks inside.

A subclass writes four things: ``train_step``, ``logits``, ``spec`` and ``model_arrays`` /
``load_model_arrays``; everything else has a default here. Optimisers and schedules are
``telar.optim``'s for both engines, so learning rate, schedule steps and their checkpointed
state are handled once, below.

A schedule built in steps (cosine with warm-up) steps after every batch (``after_step``); one
built in epochs (step, exponential) or on a metric (reduce-on-plateau) at the end of each epoch
through :meth:`Learner.schedule_step` (the loop's ``ScheduleStep`` callback).
"""

from __future__ import annotations

from typing import Any

import numpy as np

SCHEDULE_EVERY = ("batch", "epoch", "plateau")


class Learner:
    """Base class: a model plus its optimiser and schedule, trained one batch at a time.

    - ``train_step(x, y)``: one update on the batch; returns ``(mean loss, number correct)``
      measured on the batch *before* the update (the forward pass that gave the gradients).
    - ``logits(x)``: class scores ``(n, n_classes)`` in inference mode (no dropout, batch-norm
      running statistics), without changing any state.
    - ``spec()``: JSON-able description of the architecture, enough to rebuild the network.
    - ``model_arrays()`` / ``load_model_arrays(arrays)``: the network's arrays (weights and
      batch-norm statistics): what a model file holds.
    - ``state_arrays()`` / ``state_json()`` and their loaders: everything needed to continue
      training bitwise; by default the model arrays plus the optimiser's and schedule's state.
    """

    optimizer: Any = None
    scheduler: Any = None
    schedule_every: str = "epoch"

    def attach_optimizer(self, optimizer: Any, scheduler: Any = None,
                         schedule_every: str = "epoch") -> None:
        if schedule_every not in SCHEDULE_EVERY:
            raise ValueError(f"schedule_every must be one of {', '.join(SCHEDULE_EVERY)}, "
                             f"got {schedule_every!r}")
        self.optimizer, self.scheduler, self.schedule_every = optimizer, scheduler, schedule_every

    # -- what a subclass writes ------------------------------------------------------------
    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        raise NotImplementedError

    def logits(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def model_arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def load_model_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    # -- defaults ---------------------------------------------------------------------------
    def after_step(self) -> None:
        """Called by ``train_step`` after each update: steps a per-batch schedule."""
        if self.scheduler is not None and self.schedule_every == "batch":
            self.scheduler.step()

    def schedule_step(self, val_loss: float | None) -> None:
        """End of an epoch: step a per-epoch schedule (plateau: on the validation loss)."""
        if self.scheduler is None or self.schedule_every == "batch":
            return
        if self.schedule_every == "plateau":
            self.scheduler.step(val_loss)
        else:
            self.scheduler.step()

    @property
    def lr(self) -> float:
        """The current learning rate (of the first parameter group), NaN without optimiser."""
        if self.optimizer is None:
            return float("nan")
        return float(self.optimizer.param_groups[0]["lr"])

    def set_rng(self, rng: np.random.Generator) -> None:
        """The generator random layers (dropout) draw from; the loop gives one per epoch."""

    def matmul_layer_sizes(self) -> list[tuple[int, int]] | None:
        """``(n_in, n_out)`` of the matrix products per sample, for the BLAS thread policy
        (:mod:`telar.engine.cpu.threads`); ``None``: keep the default threads."""
        return None

    def num_parameters(self) -> int:
        return int(sum(v.size for v in self.model_arrays().values()))

    def state_arrays(self) -> dict[str, np.ndarray]:
        return dict(self.model_arrays())

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.load_model_arrays(arrays)

    def state_json(self) -> dict[str, Any]:
        """Optimiser and schedule state (arrays inside go to the checkpoint's arrays)."""
        return {"optimizer": self.optimizer.state_dict() if self.optimizer is not None else None,
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None}

    def load_state_json(self, state: dict[str, Any]) -> None:
        if self.optimizer is not None and state.get("optimizer") is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])

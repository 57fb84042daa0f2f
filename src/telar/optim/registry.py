"""Every optimiser and learning-rate schedule telar can train with, declared once.

``telar train``'s choices (``--optimizer``, ``--schedule``), the validation of a configuration
and the builder that makes a run's optimiser all read these two tables. **Adding an optimiser**
is one file in ``telar/optim/`` (a subclass of :class:`~telar.optim.optimizer.Optimizer`) plus
one entry in :data:`OPTIMIZERS`; adding a schedule is a class in ``lr_scheduler.py`` plus one
entry in :data:`SCHEDULES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telar.optim import lr_scheduler as sched
from telar.optim.adadelta import Adadelta
from telar.optim.adagrad import Adagrad
from telar.optim.adam import Adam, AdamW
from telar.optim.rmsprop import RMSprop
from telar.optim.sgd import SGD


@dataclass(frozen=True)
class OptimizerEntry:
    """An optimiser class, what it is, and whether it takes ``momentum``."""

    cls: type
    help: str
    takes_momentum: bool = False

    def build(self, params: Any, *, lr: float, weight_decay: float = 0.0,
              momentum: float = 0.0) -> Any:
        extra = {"momentum": momentum} if self.takes_momentum else {}
        return self.cls(params, lr=lr, weight_decay=weight_decay, **extra)


OPTIMIZERS: dict[str, OptimizerEntry] = {
    "sgd": OptimizerEntry(SGD, "SGD with momentum (L2 weight decay)", takes_momentum=True),
    "rmsprop": OptimizerEntry(RMSprop, "RMSprop (L2 weight decay)", takes_momentum=True),
    "adam": OptimizerEntry(Adam, "Adam (L2 weight decay)"),
    "adamw": OptimizerEntry(AdamW, "Adam with decoupled weight decay"),
    "adagrad": OptimizerEntry(Adagrad, "Adagrad (L2 weight decay)"),
    "adadelta": OptimizerEntry(Adadelta, "Adadelta (L2 weight decay; PyTorch's lr is 1.0)"),
}


@dataclass(frozen=True)
class RunLength:
    """What a schedule needs to know of the run: its epochs, batches per epoch, warm-up."""

    epochs: int
    batches_per_epoch: int
    warmup_epochs: int = 0


@dataclass(frozen=True)
class ScheduleEntry:
    """How to build a schedule for a run, and when it steps (``batch``, ``epoch``, ``plateau``:
    at the end of each epoch on the validation loss)."""

    build: Callable[[Any, RunLength], Any]
    every: str
    help: str
    needs_validation: bool = False
    takes_warmup: bool = False


SCHEDULES: dict[str, ScheduleEntry] = {
    "step": ScheduleEntry(
        lambda opt, run: sched.StepLR(opt, step_size=max(1, run.epochs // 3), gamma=0.1),
        "epoch", "x0.1 after each third of the epochs"),
    "exponential": ScheduleEntry(
        lambda opt, run: sched.ExponentialLR(opt, gamma=0.01 ** (1 / run.epochs)),
        "epoch", "x0.01^(1/epochs) per epoch: the last epoch runs at ~1 percent of the rate"),
    "cosine": ScheduleEntry(
        lambda opt, run: sched.CosineWithWarmup(
            opt, warmup_steps=run.warmup_epochs * run.batches_per_epoch,
            total_steps=run.epochs * run.batches_per_epoch),
        "batch", "linear warm-up over --warmup epochs, then cosine to 0", takes_warmup=True),
    "plateau": ScheduleEntry(
        lambda opt, run: sched.ReduceLROnPlateau(opt, factor=0.5, patience=2),
        "plateau", "x0.5 after 2 epochs without a better validation loss",
        needs_validation=True),
}

#: The ``--schedule`` choices: no schedule, or one of :data:`SCHEDULES`.
SCHEDULE_CHOICES: tuple[str, ...] = ("none", *SCHEDULES)


def build_schedule(name: str, optimizer: Any, run: RunLength) -> tuple[Any, str]:
    """``(scheduler, when it steps)`` for ``name``; ``(None, "epoch")`` for ``"none"``."""
    if name == "none":
        return None, "epoch"
    entry = SCHEDULES[name]
    return entry.build(optimizer, run), entry.every

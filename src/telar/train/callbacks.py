"""Callbacks: everything the loop does besides training — each one small and separate.

Order matters at the end of an epoch: the NaN guard first, then the schedule and early
stopping (they change state), then the metrics file and the checkpoint (they record it), then
the progress line. :func:`telar.app.runs.run.build_callbacks` puts them in that order.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from tqdm import tqdm

from telar.io.atomic import atomic_write_text
from telar.train.checkpointing import save_training_checkpoint
from telar.train.loop import Callback, Trainer, TrainingDiverged

#: A cross-entropy above this means logits a million apart: weights that exploded, even while
#: the loss is still a finite number (a run once finished "successfully" at 1e26).
EXPLODED_LOSS = 1e6


def diverged(loss: float, limit: float = EXPLODED_LOSS) -> bool:
    """Whether ``loss`` is NaN, infinite, or above ``limit``."""
    return not math.isfinite(loss) or loss > limit


class NanGuard(Callback):
    """Stop a diverging run: a NaN, infinite or exploded loss (over ``max_loss``, default
    :data:`EXPLODED_LOSS`) raises :class:`TrainingDiverged`.

    It raises before anything records the bad weights, so the last checkpoint on disk is the
    last good one. ``checkpoint_hint`` (e.g. where that checkpoint is) ends the message.
    """

    def __init__(self, checkpoint_hint: str = "", max_loss: float = EXPLODED_LOSS) -> None:
        self.checkpoint_hint = checkpoint_hint
        self.max_loss = max_loss

    def _fail(self, trainer: Trainer, what: str, value: float) -> None:
        state = trainer.state
        where = (f"epoch {state.epoch + 1}, batch {state.batch} of {state.n_batches}"
                 if what == "training loss" else f"epoch {state.epoch}")
        last = (f"the last good checkpoint is epoch {state.epoch}" if state.epoch
                else "no epoch finished, so there is no checkpoint")
        hint = f" ({self.checkpoint_hint})" if self.checkpoint_hint and state.epoch else ""
        raise TrainingDiverged(f"training diverged: the {what} is {value} at {where}; "
                               f"{last}{hint}; try a lower --lr or --clip-grad")

    def on_batch_end(self, trainer: Trainer, loss: float, n_correct: int, n: int) -> None:
        if diverged(loss, self.max_loss):
            self._fail(trainer, "training loss", loss)

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        for key, value in row.items():
            if key.endswith("_loss") and diverged(value, self.max_loss):
                trainer.state.epoch -= 1  # this epoch's weights are not good: say so
                trainer.state.history.pop()
                self._fail(trainer, key.replace("_", " "), value)


class ScheduleStep(Callback):
    """Advance the learner's per-epoch learning-rate schedule (plateau: on the eval loss)."""

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        trainer.learner.schedule_step(row.get(trainer.eval_loss_key))


class EarlyStopping(Callback):
    """Stop when the eval loss has not improved for ``patience`` epochs; restore the best weights.

    Improvement means ``loss < best - min_delta``. The best weights (the learner's
    ``state_arrays()``) are copied at each improvement and loaded back when training ends.
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        if patience < 1:
            raise ValueError("patience must be at least 1")
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss = math.inf
        self.best_epoch = 0
        self.wait = 0
        self.best_arrays: dict[str, np.ndarray] | None = None
        self.restored_epoch: int | None = None

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        loss = row.get(trainer.eval_loss_key, math.nan)
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.wait = loss, int(row["epoch"]), 0
            self.best_arrays = {k: np.array(v, copy=True)
                                for k, v in trainer.learner.state_arrays().items()}
        else:
            self.wait += 1
            if self.wait >= self.patience:
                trainer.request_stop(f"early stopping: no better {trainer.eval_loss_key} for "
                                     f"{self.patience} epochs; best was epoch {self.best_epoch}")

    def on_train_end(self, trainer: Trainer) -> None:
        if self.best_arrays is not None and self.best_epoch != trainer.state.epoch:
            trainer.learner.load_state_arrays(self.best_arrays)
            self.restored_epoch = self.best_epoch

    def state_dict(self) -> dict[str, Any]:
        return {"best_loss": self.best_loss if math.isfinite(self.best_loss) else None,
                "best_epoch": self.best_epoch, "wait": self.wait,
                "best_arrays": self.best_arrays}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        best = state.get("best_loss")
        self.best_loss = math.inf if best is None else float(best)
        self.best_epoch = int(state.get("best_epoch", 0))
        self.wait = int(state.get("wait", 0))
        self.best_arrays = state.get("best_arrays")


METRIC_COLUMNS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
                  "test_loss", "test_accuracy", "lr", "seconds")


def history_csv(history: list[dict[str, float]]) -> str:
    """The rows of ``history`` as CSV text, columns in :data:`METRIC_COLUMNS` order."""
    present = [c for c in METRIC_COLUMNS if any(c in row for row in history)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=present, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in history:
        writer.writerow({k: (int(v) if k == "epoch" else repr(float(v))) for k, v in row.items()})
    return out.getvalue()


class MetricsLogger(Callback):
    """Rewrite ``metrics.csv`` (one row per epoch) atomically after every epoch.

    The file is derived from the history the checkpoint keeps, so after a crash and a resume it
    holds exactly the epochs the checkpoint has.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_train_begin(self, trainer: Trainer) -> None:
        if trainer.state.history:
            atomic_write_text(self.path, history_csv(trainer.state.history))

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        atomic_write_text(self.path, history_csv(trainer.state.history))


class Checkpointer(Callback):
    """Save a checkpoint after every epoch and when Ctrl-C stops the loop (see checkpointing)."""

    def __init__(self, path: str | Path, extra_meta: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.extra_meta = extra_meta or {}

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        save_training_checkpoint(self.path, trainer, self.extra_meta)

    def on_interrupt(self, trainer: Trainer) -> None:
        save_training_checkpoint(self.path, trainer, self.extra_meta)


def format_row(row: dict[str, float]) -> str:
    """``epoch 3/10  train loss 0.4123 acc 0.8512  val loss … acc …  lr 1e-03  2.1 s``."""
    parts = [f"train loss {row['train_loss']:.4f} acc {row['train_accuracy']:.4f}"]
    for name in ("val", "test"):
        if f"{name}_loss" in row:
            parts.append(f"{name} loss {row[f'{name}_loss']:.4f} "
                         f"acc {row[f'{name}_accuracy']:.4f}")
    if math.isfinite(row.get("lr", math.nan)):
        parts.append(f"lr {row['lr']:.2e}")
    parts.append(f"{row['seconds']:.1f} s")
    return "  ".join(parts)


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss and accuracy, then a one-line epoch summary.

    Where ``stream`` is not a terminal the bar is off and only the summary lines are written.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.bar: Any = None

    def on_epoch_begin(self, trainer: Trainer) -> None:
        if not self.enabled:
            return
        state = trainer.state
        self.bar = tqdm(total=state.n_batches, initial=state.batch, file=self.stream,
                        desc=f"epoch {state.epoch + 1}/{state.epochs}", unit="batch",
                        leave=False, dynamic_ncols=True)

    def on_batch_end(self, trainer: Trainer, loss: float, n_correct: int, n: int) -> None:
        if self.bar is not None:
            state = trainer.state
            self.bar.update(1)
            if state.batch % 10 == 0 or state.batch == state.n_batches:
                self.bar.set_postfix(loss=f"{state.loss_sum / state.seen:.4f}",
                                     acc=f"{state.correct / state.seen:.4f}", refresh=False)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        self._close()
        width = len(str(trainer.state.epochs))
        self.stream.write(f"epoch {int(row['epoch']):>{width}}/{trainer.state.epochs}  "
                          f"{format_row(row)}\n")
        self.stream.flush()

    def on_interrupt(self, trainer: Trainer) -> None:
        self._close()

    def on_train_end(self, trainer: Trainer) -> None:
        self._close()
        if trainer.state.stop_reason:
            self.stream.write(f"{trainer.state.stop_reason}\n")


class EpochBar(Callback):
    """One tqdm bar over all epochs, with the latest training loss: for long full-batch runs
    (thousands of one-update epochs), where a line per epoch would flood the terminal."""

    def __init__(self, desc: str = "", stream: TextIO | None = None,
                 enabled: bool | None = None) -> None:
        self.desc = desc
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.bar: Any = None

    def on_train_begin(self, trainer: Trainer) -> None:
        if self.enabled:
                self.bar = tqdm(total=trainer.state.epochs, initial=trainer.state.epoch,
                            desc=self.desc, unit="epoch", file=self.stream, dynamic_ncols=True)

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if trainer.state.epoch % 5 == 0 or trainer.state.epoch == trainer.state.epochs:
                self.bar.set_postfix(loss=f"{row['train_loss']:.4f}", refresh=False)

    def on_train_end(self, trainer: Trainer) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

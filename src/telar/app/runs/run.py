"""A training run: data, learner, callbacks, the loop, then the results (runs/outputs.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from telar.app.evaluation import evaluate
from telar.app.run_folder import RunFolder
from telar.app.runs.build import build_learner
from telar.app.runs.config import TrainConfig, config_toml
from telar.app.runs.data import load_run_data
from telar.app.runs.outputs import finish_run
from telar.data.augment import make_augment
from telar.engine.cpu.memory import retain_freed_memory
from telar.train import (
    Checkpointer,
    EarlyStopping,
    MetricsLogger,
    NanGuard,
    ProgressBar,
    ScheduleStep,
    Trainer,
)
from telar.train.checkpointing import restore_training_checkpoint
from telar.train.loop import stop_on_sigint
from telar.train.tensorboard import TensorBoard


def build_callbacks(config: TrainConfig, folder: RunFolder, *, stream: TextIO,
                    progress: bool | None, tensorboard: TensorBoard | None = None
                    ) -> list[Any]:
    """NaN guard, schedule, early stopping, metrics, checkpoint, TensorBoard (after the
    checkpoint: its logs never run ahead of what a resume restores), progress."""
    callbacks: list[Any] = [NanGuard(checkpoint_hint=str(folder.checkpoint_path)),
                            ScheduleStep()]
    if config.early_stop:
        callbacks.append(EarlyStopping(config.early_stop))
    callbacks += [MetricsLogger(folder.metrics_path),
                  Checkpointer(folder.checkpoint_path, {"config": config.to_dict()})]
    if tensorboard is not None:
        callbacks.append(tensorboard)
    callbacks.append(ProgressBar(stream, enabled=progress))
    return callbacks


def train_run(config: TrainConfig, out: Path, *, resume: bool = False, overwrite: bool = False,
              stream: TextIO | None = None, progress: bool | None = None,
              tensorboard: TensorBoard | None = None) -> dict[str, Any]:
    """Train as ``config`` says into the folder ``out``; return the summary.

    The folder is claimed first (:meth:`~telar.app.run_folder.RunFolder.claim`: locked for the
    whole run; a new run needs an empty folder unless ``overwrite``). With ``resume``, continue from
    ``out/checkpoint.npz`` (a run that was killed, interrupted or already finished: then only
    the results are written again). ``tensorboard``: a callback that also logs the epochs
    (the caller adds the figures and closes it: :func:`~telar.app.runs.outputs.log_figures`).
    """
    retain_freed_memory()  # per-step arrays reused without page faults (telar.engine.cpu.memory)
    folder = RunFolder(out)
    with folder.claim(resume=resume, overwrite=overwrite):
        return _train_in(config, folder, resume=resume, stream=stream or sys.stderr,
                         progress=progress, tensorboard=tensorboard)


def _train_in(config: TrainConfig, folder: RunFolder, *, resume: bool, stream: TextIO,
              progress: bool | None, tensorboard: TensorBoard | None) -> dict[str, Any]:
    data = load_run_data(config)
    learner = build_learner(config, n_inputs=data.x_train.shape[1],
                            n_classes=len(data.class_names), n_train=len(data.x_train))
    callbacks = build_callbacks(config, folder, stream=stream, progress=progress,
                                tensorboard=tensorboard)
    trainer = Trainer(learner, (data.x_train, data.y_train), (data.x_eval, data.y_eval),
                      epochs=config.epochs,
                      batch_size=None if config.full_batch else config.batch_size,
                      seed=config.seed, callbacks=callbacks, eval_name=data.eval_name,
                      augment=make_augment(config.augment), score=evaluate)
    if resume:
        restore_training_checkpoint(folder.checkpoint_path, trainer)
        stream.write(f"resuming {folder.path} at epoch {trainer.state.epoch + 1} "
                     f"(batch {trainer.state.batch})\n")
    else:
        folder.write_config(config_toml(config))
    stream.write(f"training {config.preset} ({config.engine} engine) on {data.source}: "
                 f"{len(data.x_train)} train, {len(data.x_eval)} {data.eval_name} images; "
                 f"run folder {folder.path}\n")
    # A diverging run is reported by the NaN guard in one line, without NumPy's warnings.
    with stop_on_sigint(trainer), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        trainer.fit()
    return finish_run(config, folder, trainer, data)

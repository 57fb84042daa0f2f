"""A training run and its folder: data, learner, callbacks, the loop, then the results.

The folder (``--out DIR``, default ``runs/<time>-<preset>``)::

    config.toml         every setting: `telar train --config DIR/config.toml` runs it again
    metrics.csv         one row per epoch: train and val/test loss and accuracy, lr, seconds
    checkpoint.npz      the latest checkpoint (after every epoch, and on Ctrl-C)
    model.npz           the trained model (weights + JSON metadata); model.json: a readable copy
    summary.json        test accuracy and loss, epochs, seconds, parameters, best epoch, ...
    figures/            loss.png, accuracy.png, confusion_matrix.png
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from telar import __version__
from telar.atomic import atomic_write_text
from telar.checkpoint import load_checkpoint, save_model
from telar.errors import ConfigError, ModelFileError
from telar.train.build import build_learner
from telar.train.callbacks import (
    Checkpointer,
    EarlyStopping,
    MetricsLogger,
    NanGuard,
    ProgressBar,
    ScheduleStep,
)
from telar.train.checkpointing import restore_training_checkpoint
from telar.train.config import TrainConfig, config_toml
from telar.train.learner import evaluate, model_arrays
from telar.train.loop import Trainer, stop_on_sigint

CHECKPOINT = "checkpoint.npz"
MODEL = "model.npz"
PREPROCESSING = {"input_shape": [28, 28], "flatten": True, "scale": 1 / 255, "dtype": "float32",
                 "formula": "x = image.reshape(n, 784) / 255"}


@dataclass
class RunData:
    """Training, evaluation (validation, or test when there is no split) and test arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_eval: np.ndarray
    y_eval: np.ndarray
    eval_name: str
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str


def load_run_data(config: TrainConfig) -> RunData:
    """Load the data set the configuration names and split off the validation set."""
    from telar.data import load_fashion_mnist, stratified_split, to_float

    data = load_fashion_mnist(config.data or None, train_csv=config.train_csv or None,
                              test_csv=config.test_csv or None)
    x, y = to_float(data.train_images), data.train_labels.astype(np.int64)
    x_test, y_test = to_float(data.test_images), data.test_labels.astype(np.int64)
    if config.val_split:
        train_idx, val_idx = stratified_split(y, config.val_split, config.seed)
        return RunData(x[train_idx], y[train_idx], x[val_idx], y[val_idx], "val", x_test,
                       y_test, tuple(data.class_names), data.source)
    return RunData(x, y, x_test, y_test, "test", x_test, y_test, tuple(data.class_names),
                   data.source)


def new_run_dir(config: TrainConfig, base: str | Path = "runs") -> Path:
    """A fresh folder ``runs/YYYYmmdd-HHMMSS-<preset>`` (``-2``, ``-3``… if taken)."""
    stem = Path(base) / f"{time.strftime('%Y%m%d-%H%M%S')}-{config.preset}"
    path, n = stem, 1
    while path.exists():
        n += 1
        path = stem.with_name(f"{stem.name}-{n}")
    return path


def check_out_dir(out: Path) -> None:
    """Refuse to start a new run in a folder that already holds one."""
    if (out / CHECKPOINT).exists() or (out / "config.toml").exists():
        raise ConfigError(f"--out {out}: already holds a run; continue it with "
                          f"`telar train --resume {out}` or choose another folder")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")


def build_callbacks(config: TrainConfig, out: Path, *, stream: TextIO,
                    progress: bool | None) -> list[Any]:
    """NaN guard, schedule, early stopping, metrics, checkpoint, progress — in that order."""
    callbacks: list[Any] = [NanGuard(checkpoint_hint=str(out / CHECKPOINT)), ScheduleStep()]
    if config.early_stop:
        callbacks.append(EarlyStopping(config.early_stop))
    callbacks += [MetricsLogger(out / "metrics.csv"),
                  Checkpointer(out / CHECKPOINT, {"config": config.to_dict()}),
                  ProgressBar(stream, enabled=progress)]
    return callbacks


def train_run(config: TrainConfig, out: Path, *, resume: bool = False,
              stream: TextIO | None = None, progress: bool | None = None) -> dict[str, Any]:
    """Train as ``config`` says into the folder ``out``; return the summary.

    With ``resume``, continue from ``out/checkpoint.npz`` (a run that was killed, interrupted or
    already finished: then only the results are written again).
    """
    from telar.data.augment import make_augment

    stream = stream or sys.stderr
    if not resume:
        check_out_dir(out)
    data = load_run_data(config)
    learner = build_learner(config, n_inputs=data.x_train.shape[1],
                            n_classes=len(data.class_names), n_train=len(data.x_train))
    callbacks = build_callbacks(config, out, stream=stream, progress=progress)
    trainer = Trainer(learner, (data.x_train, data.y_train), (data.x_eval, data.y_eval),
                      epochs=config.epochs,
                      batch_size=None if config.full_batch else config.batch_size,
                      seed=config.seed, callbacks=callbacks, eval_name=data.eval_name,
                      augment=make_augment(config.augment))
    out.mkdir(parents=True, exist_ok=True)
    if resume:
        restore_training_checkpoint(out / CHECKPOINT, trainer)
        stream.write(f"resuming {out} at epoch {trainer.state.epoch + 1} "
                     f"(batch {trainer.state.batch})\n")
    else:
        atomic_write_text(out / "config.toml", config_toml(config))
    stream.write(f"training {config.preset} ({config.engine} engine) on {data.source}: "
                 f"{len(data.x_train)} train, {len(data.x_eval)} {data.eval_name} images; "
                 f"run folder {out}\n")
    # A diverging run is reported by the NaN guard in one line, without NumPy's warnings.
    with stop_on_sigint(trainer), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        trainer.fit()
    return finish_run(config, out, trainer, data)


def finish_run(config: TrainConfig, out: Path, trainer: Trainer, data: RunData) -> dict[str, Any]:
    """Test the final model; write model.npz, summary.json and the figures."""
    learner, state = trainer.learner, trainer.state
    test_loss, test_accuracy, predictions = evaluate(learner, data.x_test, data.y_test)
    save_model(out / MODEL, architecture=learner.spec(), arrays=model_arrays(learner),
               class_names=data.class_names, preprocessing=PREPROCESSING,
               extra={"preset": config.preset, "engine": config.engine,
                      "trained_epochs": state.epoch, "test_accuracy": test_accuracy})
    history = state.history
    epoch_seconds = [row["seconds"] for row in history]
    summary: dict[str, Any] = {
        "test_accuracy": test_accuracy, "test_loss": test_loss,
        "epochs": state.epoch, "epochs_planned": config.epochs,
        "train_seconds": float(sum(epoch_seconds)), "epoch_seconds": epoch_seconds,
        "parameters": _parameter_count(learner),
        "preset": config.preset, "engine": config.engine, "seed": config.seed,
        "eval_set": data.eval_name, "data_source": data.source,
        "stopped_early": bool(state.stopped), "stop_reason": state.stop_reason,
        "telar_version": __version__,
    }
    if data.eval_name == "val" and history:
        best = min(history, key=lambda r: r["val_loss"])
        summary.update(best_epoch=int(best["epoch"]), best_val_loss=best["val_loss"],
                       best_val_accuracy=best["val_accuracy"])
    for cb in trainer.callbacks:
        if isinstance(cb, EarlyStopping) and cb.restored_epoch is not None:
            summary["restored_best_epoch"] = cb.restored_epoch
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    write_figures(out / "figures", history, data, predictions, trainer.eval_name)
    return summary


def _parameter_count(learner: Any) -> int:
    count = getattr(learner, "num_parameters", None)
    if count is not None:
        return int(count() if callable(count) else count)
    return int(sum(v.size for v in model_arrays(learner).values()))


def write_figures(folder: Path, history: list[dict[str, float]], data: RunData,
                  predictions: np.ndarray, eval_name: str) -> None:
    """Loss and accuracy curves (train vs val/test) and the test confusion matrix."""
    from telar.metrics import confusion_matrix
    from telar.report.figures import plot_confusion_matrix, plot_curves

    if history:
        epochs = [int(r["epoch"]) for r in history]
        for what, label in (("loss", "cross-entropy loss"), ("accuracy", "accuracy")):
            plot_curves(epochs, {"train": [r[f"train_{what}"] for r in history],
                                 eval_name: [r[f"{eval_name}_{what}"] for r in history]},
                        folder / f"{what}.png", ylabel=label, title=f"{what.capitalize()} "
                        f"per epoch")
    cm = confusion_matrix(data.y_test, predictions, n_classes=len(data.class_names))
    accuracy = float((predictions == data.y_test).mean())
    plot_confusion_matrix(cm, data.class_names, folder / "confusion_matrix.png",
                          title=f"Test set confusion matrix (accuracy {accuracy:.4f})")


def resume_config(run_dir: Path) -> TrainConfig:
    """The configuration a run was started with, from its checkpoint."""
    path = run_dir / CHECKPOINT
    if not run_dir.is_dir():
        raise ConfigError(f"--resume {run_dir}: no such folder")
    if not path.exists():
        raise ConfigError(f"--resume {run_dir}: no {CHECKPOINT} in it (the run stopped before "
                          "its first epoch ended); start it again instead")
    meta, _ = load_checkpoint(path)
    try:
        return TrainConfig(**meta["config"])
    except (KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: checkpoint holds no usable configuration ({exc})") \
            from None

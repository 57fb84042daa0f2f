"""What a training checkpoint holds, and how a trainer is put back from one.

Arrays: ``learner/<name>`` (every array of ``learner.state_arrays()``: weights, optimiser
moments, batch-norm statistics) and the arrays of callback states (``callbacks/<key>/…``, e.g.
early stopping's best weights). JSON: the :class:`~telar.train.loop.TrainState` (epoch, batch,
running sums, history, the dropout generator's ``bit_generator.state`` inside an epoch), the
seed, the learner's non-array state (``state_json()``: optimiser step counts, schedule state),
the callbacks' other state, and whatever the caller adds (the run's configuration).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from telar.errors import ModelFileError
from telar.io.model_file import load_checkpoint, save_checkpoint
from telar.io.state import decode, encode
from telar.train.loop import Trainer, TrainState


def _callback_key(index: int, callback: object) -> str:
    return f"{index}-{type(callback).__name__}"


def save_training_checkpoint(path: str | Path, trainer: Trainer,
                             extra_meta: dict[str, Any] | None = None) -> None:
    """Write everything needed to continue ``trainer`` bitwise, atomically."""
    arrays = {f"learner/{k}": v for k, v in trainer.learner.state_arrays().items()}
    learner_json = encode(trainer.learner.state_json(), "learner_json", arrays)
    callbacks = {}
    for i, cb in enumerate(trainer.callbacks):
        state = cb.state_dict()
        if state:
            key = _callback_key(i, cb)
            callbacks[key] = encode(state, f"callbacks/{key}", arrays)
    meta = {"seed": trainer.seed, "train_state": trainer.state.to_json(),
            "learner_json": learner_json, "callbacks": callbacks, **(extra_meta or {})}
    save_checkpoint(path, meta, arrays)


def restore_training_checkpoint(path: str | Path, trainer: Trainer,
                                meta: dict[str, Any] | None = None,
                                arrays: dict[str, Any] | None = None) -> None:
    """Put ``trainer`` (its learner, state and callbacks) back as the checkpoint left it."""
    if meta is None or arrays is None:
        meta, arrays = load_checkpoint(path)
    try:
        _check_meta(meta)
        learner_arrays = {k.removeprefix("learner/"): v for k, v in arrays.items()
                          if k.startswith("learner/")}
        trainer.learner.load_state_arrays(learner_arrays)
        if meta.get("learner_json") is not None:
            trainer.learner.load_state_json(decode(meta["learner_json"], arrays))
        for i, cb in enumerate(trainer.callbacks):
            key = _callback_key(i, cb)
            if key in meta.get("callbacks", {}):
                cb.load_state_dict(decode(meta["callbacks"][key], arrays))
        epochs = trainer.state.epochs
        state = TrainState.from_json(meta["train_state"])
        _check_train_state(state)
        trainer.state = state
        trainer.state.epochs = epochs
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ModelFileError(f"{path}: checkpoint does not fit this run "
                             f"({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    text = text if len(text) <= 200 else text[:200] + "…"  # a 5,000-digit value stays short
    return (text.splitlines() or [type(exc).__name__])[0]


def _check_meta(meta: dict[str, Any]) -> None:
    """The checkpoint's own JSON has the types it was written with (hand edits refused)."""
    if not isinstance(meta.get("train_state"), dict):
        raise ValueError("train_state must be a table, got "
                         f"{type(meta.get('train_state')).__name__}")
    if not isinstance(meta.get("callbacks", {}), dict):
        raise ValueError("callbacks must be a table of callback states")
    for key, value in meta.get("callbacks", {}).items():
        if not isinstance(value, dict):
            raise ValueError(f"the state of callback {key} must be a table")
    if not isinstance(meta.get("learner_json"), dict | None):
        raise ValueError("learner_json must be a table")
    seed = meta.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be an integer, got {seed!r}")


def _is_number(value: Any, finite: bool = True) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and (not finite or math.isfinite(value))


def _check_train_state(state: TrainState) -> None:
    """Refuse a hand-edited train state now rather than deep inside the loop."""
    for name in ("epochs", "epoch", "batch", "n_batches", "correct", "seen"):
        value = getattr(state, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
            raise ValueError(f"train state {name} must be a count >= 0, got {value!r}")
    for name in ("loss_sum", "seconds"):
        if not _is_number(getattr(state, name)):
            raise ValueError(f"train state {name} must be a number, got "
                             f"{getattr(state, name)!r}")
    if not isinstance(state.stopped, bool) or not isinstance(state.stop_reason, str):
        raise ValueError("train state stopped must be true or false, stop_reason text")
    if not isinstance(state.history, list) or not all(
            isinstance(row, dict) and all(isinstance(k, str) and _is_number(v, finite=False)
                                          for k, v in row.items())
            for row in state.history):
        raise ValueError("train state history must be a list of rows of numbers")
    if state.rng_state is not None and not isinstance(state.rng_state, dict):
        raise ValueError("train state rng_state must be a table")
    if state.rng_state is not None:  # the dropout generator inside an epoch: must load
        np.random.default_rng().bit_generator.state = state.rng_state

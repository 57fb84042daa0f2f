"""What a training checkpoint holds, and how a trainer is put back from one.

Arrays: ``learner/<name>`` (every array of ``learner.state_arrays()``: weights, optimiser
moments, batch-norm statistics) and the arrays of callback states (``callbacks/<key>/…``, e.g.
early stopping's best weights). JSON: the :class:`~telar.train.loop.TrainState` (epoch, batch,
running sums, history, the dropout generator's ``bit_generator.state`` inside an epoch), the
seed, the learner's non-array state (``state_json()``: optimiser step counts, schedule state),
the callbacks' other state, and whatever the caller adds (the run's configuration).
"""

from __future__ import annotations

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
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: checkpoint does not fit this run ({exc})") from None


def _check_train_state(state: TrainState) -> None:
    """Refuse a hand-edited train state now rather than deep inside the loop."""
    for name in ("epoch", "batch", "n_batches", "correct", "seen"):
        value = getattr(state, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"train state {name} must be a count >= 0, got {value!r}")
    if state.rng_state is not None:  # the dropout generator inside an epoch: must load
        np.random.default_rng().bit_generator.state = state.rng_state

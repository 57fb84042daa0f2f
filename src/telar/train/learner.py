"""What the training loop needs from a model: the ``Learner`` protocol.

Both engines satisfy it: the report's hand-written network (``telar.seed.SeedLearner``) and any
autograd module (:class:`telar.train.module_learner.ModuleLearner`). The loop never looks inside.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Learner(Protocol):
    """A model plus its optimiser, trained one batch at a time.

    - ``train_step(x, y)``: one update on the batch; returns ``(mean loss, number correct)``
      measured on the batch *before* the update (the forward pass that gave the gradients).
    - ``logits(x)``: class scores ``(n, n_classes)`` in inference mode (no dropout, batch-norm
      running statistics), without changing any state.
    - ``state_arrays()`` / ``load_state_arrays(arrays)``: every array needed to continue
      training bitwise (weights, optimiser moments, batch-norm statistics).
    - ``spec()``: JSON-able description of the architecture, enough to rebuild the network.

    Optional, used when present: ``lr`` (the current learning rate, for the logs),
    ``set_rng(generator)`` (the generator that dropout draws from; the loop reseeds it every
    epoch), ``state_json()`` / ``load_state_json(obj)`` (non-array state: step counters,
    schedule), ``model_arrays()`` (only the weights, for the model file; defaults to
    ``state_arrays()``), ``schedule_step(val_loss)`` (advance a per-epoch learning-rate schedule).
    """

    def train_step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]: ...

    def logits(self, x: np.ndarray) -> np.ndarray: ...

    def state_arrays(self) -> dict[str, np.ndarray]: ...

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None: ...

    def spec(self) -> dict[str, Any]: ...


def model_arrays(learner: Learner) -> dict[str, np.ndarray]:
    """The arrays that go into the model file: ``model_arrays()`` if the learner has it."""
    getter = getattr(learner, "model_arrays", None)
    return dict(getter() if getter else learner.state_arrays())


def current_lr(learner: Learner) -> float:
    """The learner's current learning rate, or NaN if it does not say."""
    lr = getattr(learner, "lr", None)
    return float(lr) if lr is not None else float("nan")


def log_softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample cross-entropy from logits, ``logsumexp(z) - z[y]``, computed stably.

    ``logsumexp(z) = m + log(sum(exp(z - m)))`` with ``m = max(z)``; no probability is clipped.
    """
    z = np.asarray(logits, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    return lse - z[np.arange(len(y)), y]


def evaluate(learner: Learner, x: np.ndarray, y: np.ndarray,
             batch_size: int = 4096) -> tuple[float, float, np.ndarray]:
    """Mean cross-entropy, accuracy and predicted classes of ``learner`` on ``(x, y)``.

    Works in chunks of ``batch_size`` so memory stays small on big sets.
    """
    if len(x) == 0:
        return float("nan"), float("nan"), np.zeros(0, dtype=np.int64)
    losses = np.empty(len(x), dtype=np.float64)
    predictions = np.empty(len(x), dtype=np.int64)
    for start in range(0, len(x), batch_size):
        stop = start + batch_size
        z = learner.logits(x[start:stop])
        losses[start:stop] = log_softmax_cross_entropy(z, y[start:stop])
        predictions[start:stop] = np.argmax(z, axis=1)
    return float(losses.mean()), float((predictions == y).mean()), predictions

"""``MLPClassifier``'s stopping rule as a training-loop callback.

After each epoch, with ``early_stopping`` the score is the accuracy on the held-out
validation set (higher is better), else the epoch's mean training loss (lower is better)::

    no improvement:  val_accuracy < best_score + tol     or   train_loss > best_loss - tol
    counter += 1 on no improvement, else counter = 0;   stop once counter > n_iter_no_change

With ``early_stopping`` the weights of the best validation accuracy are kept and put back
when training ends, as scikit-learn does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from telar.train.loop import Callback, Trainer


class NoImprovementStop(Callback):
    """Stop when the score has not improved by ``tol`` for more than ``n_iter_no_change``
    epochs (see the module doc); ``best_loss`` / ``best_score`` and ``scores`` (the
    validation accuracies) are what the estimator reports."""

    def __init__(self, *, tol: float, n_iter_no_change: int, early_stopping: bool,
                 best_loss: float = math.inf, best_score: float = -math.inf,
                 counter: int = 0) -> None:
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.early_stopping = early_stopping
        self.best_loss, self.best_score, self.counter = best_loss, best_score, counter
        self.scores: list[float] = []
        self.best_arrays: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        if self.early_stopping:
            score = float(row["val_accuracy"])
            self.scores.append(score)
            self.counter = self.counter + 1 if score < self.best_score + self.tol else 0
            if score > self.best_score:
                self.best_score = score
                self.best_arrays = {k: np.array(v, copy=True)
                                    for k, v in trainer.learner.state_arrays().items()}
        else:
            loss = float(row["train_loss"])
            self.counter = self.counter + 1 if loss > self.best_loss - self.tol else 0
            self.best_loss = min(self.best_loss, loss)
        if self.counter > self.n_iter_no_change:
            what = "validation score" if self.early_stopping else "training loss"
            trainer.request_stop(f"{what} did not improve more than tol={self.tol} for "
                                 f"{self.n_iter_no_change} consecutive epochs")

    def on_train_end(self, trainer: Trainer) -> None:
        if self.best_arrays is not None:
            trainer.learner.load_state_arrays(self.best_arrays)

    def state(self) -> dict[str, Any]:
        """What a later ``fit(warm_start)`` / ``partial_fit`` continues from."""
        return {"best_loss": self.best_loss, "best_score": self.best_score,
                "counter": self.counter}

"""MLPClassifier's stopping rule on telar's loop (a tiny NumPy learner)."""

from __future__ import annotations

import math

import numpy as np
from helpers.toy_learner import ToyLearner, blobs

from telar.app.evaluation import evaluate
from telar.sklearn.stopping import NoImprovementStop
from telar.train import Trainer
from telar.train.loop import Callback


class Scripted(Callback):
    """Replace each epoch's score by the next of ``values`` (before the rule reads it)."""

    def __init__(self, key, values):
        self.key, self.values = key, list(values)

    def on_epoch_end(self, trainer, row):
        row[self.key] = self.values.pop(0)


def run(key, values, **rule):
    x, y = blobs(60, seed=1)
    stop = NoImprovementStop(**rule)
    eval_set = (x[:20], y[:20]) if rule["early_stopping"] else None
    trainer = Trainer(ToyLearner(), (x, y), eval_set, epochs=len(values), batch_size=20, seed=0,
                      callbacks=[Scripted(key, values), stop], score=evaluate)
    trainer.fit()
    return trainer, stop


def test_the_loss_rule_counts_epochs_not_better_by_tol_and_stops_after_n_iter_no_change():
    trainer, stop = run("train_loss", [1.0, 0.95, 0.5, 0.49, 0.48, 0.3, 0.2, 0.1],
                        tol=0.05, n_iter_no_change=2, early_stopping=False)
    # 0.95 (not by 0.05: 1), 0.5 (reset), 0.49 (1), 0.48 (2), 0.3 (reset), 0.2, 0.1
    assert trainer.state.epoch == 8 and stop.best_loss == 0.1
    trainer, stop = run("train_loss", [1.0, 0.99, 0.98, 0.97, 0.5],
                        tol=0.05, n_iter_no_change=2, early_stopping=False)
    assert trainer.state.epoch == 4 and stop.counter == 3 and stop.best_loss == 0.97
    assert "did not improve more than tol=0.05 for 2" in trainer.state.stop_reason


def test_the_validation_rule_keeps_and_restores_the_weights_of_the_best_accuracy():
    trainer, stop = run("val_accuracy", [0.5, 0.8, 0.7, 0.75, 0.79, 0.9],
                        tol=0.0, n_iter_no_change=2, early_stopping=True)
    assert trainer.state.epoch == 5 and stop.scores == [0.5, 0.8, 0.7, 0.75, 0.79]
    assert stop.best_score == 0.8 and stop.best_loss == math.inf
    for name, array in stop.best_arrays.items():
        np.testing.assert_array_equal(trainer.learner.state_arrays()[name], array)

"""The loop's callbacks on a tiny NumPy learner: the NaN guard, early stopping (its state kept
across a resume) and the metrics CSV."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
from helpers.toy_learner import InterruptAt, ToyLearner, blobs, data

from telar.app.evaluation import evaluate
from telar.train import (
    Checkpointer,
    EarlyStopping,
    MetricsLogger,
    NanGuard,
    Trainer,
    TrainingDiverged,
    TrainingInterrupted,
    fit,
)
from telar.train.checkpointing import restore_training_checkpoint
from telar.train.loop import Callback


class RaiseLrAt(Callback):
    """Make the toy learner diverge from a given epoch on."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, trainer):
        if trainer.state.epoch + 1 == self.epoch:
            trainer.learner.rate = 1e6


def test_nan_guard_stops_a_diverging_run_and_keeps_the_last_good_checkpoint(tmp_path):
    train, val = data()
    learner = ToyLearner()
    path = tmp_path / "checkpoint.npz"
    expected = r"diverged.*epoch 3.*last good checkpoint is epoch 2"
    with pytest.raises(TrainingDiverged, match=expected):
        with np.errstate(all="ignore"):
            fit(learner, train, val, epochs=6, batch_size=32, seed=0,
                callbacks=[NanGuard(), RaiseLrAt(3), Checkpointer(path)], score=evaluate)
    fresh = Trainer(ToyLearner(), train, val, epochs=6, batch_size=32, seed=0,
                    callbacks=[NanGuard(), RaiseLrAt(3), Checkpointer(path)], score=evaluate)
    restore_training_checkpoint(path, fresh)
    assert fresh.state.epoch == 2
    assert np.isfinite(fresh.learner.w1).all() and np.isfinite(fresh.learner.w2).all()


@pytest.mark.parametrize("loss", [1e26, 2e6])
def test_nan_guard_stops_a_loss_that_explodes_without_becoming_nan(loss):
    train, val = data()
    trainer = Trainer(ToyLearner(), train, val, epochs=3, batch_size=32, seed=0,
                      callbacks=[], score=evaluate)
    guard = NanGuard()
    guard.on_batch_end(trainer, 2.3, 10, 32)  # an ordinary loss passes
    with pytest.raises(TrainingDiverged, match=re.escape(f"the training loss is {loss} at")):
        guard.on_batch_end(trainer, loss, 0, 32)
    row = {"epoch": 1.0, "train_loss": 0.5, "val_loss": loss}
    trainer.state.epoch, trainer.state.history = 1, [row]
    with pytest.raises(TrainingDiverged, match=re.escape(f"the val loss is {loss} at epoch 0")):
        guard.on_epoch_end(trainer, row)


class RecordValLoss(Callback):
    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, trainer, row):
        self.weights[int(row["epoch"])] = trainer.learner.w1.copy()


def overlapping_data():
    """Few, overlapping samples: a 64-unit layer overfits them after a few epochs."""
    x, y = blobs(300, seed=0, spread=0.5)
    return (x[:60], y[:60]), (x[60:], y[60:])


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    train, val = overlapping_data()
    learner = ToyLearner(n_hidden=64, lr=0.03)
    stopper, recorder = EarlyStopping(patience=3), RecordValLoss()
    state = fit(learner, train, val, epochs=40, batch_size=16, seed=1,
                callbacks=[stopper, recorder], score=evaluate)
    losses = [row["val_loss"] for row in state.history]
    best = int(np.argmin(losses)) + 1
    assert 1 < best < state.epoch < 40, "should have improved, then stopped early"
    assert state.epoch == best + 3
    assert stopper.best_epoch == best
    np.testing.assert_array_equal(learner.w1, recorder.weights[best])


def test_metrics_csv_has_one_row_per_epoch_with_the_logged_values(tmp_path):
    train, val = data()
    path = tmp_path / "metrics.csv"
    state = fit(ToyLearner(), train, val, epochs=3, batch_size=64, seed=0,
                callbacks=[MetricsLogger(path)], eval_name="test", score=evaluate)
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["epoch", "train_loss", "train_accuracy", "test_loss",
                             "test_accuracy", "lr", "seconds"]
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[2]["test_accuracy"]) == state.history[2]["test_accuracy"]


def test_early_stopping_state_survives_a_resume(tmp_path):
    train, val = overlapping_data()
    kwargs = dict(epochs=40, batch_size=16, seed=1, score=evaluate)
    whole = ToyLearner(n_hidden=64, lr=0.03)
    whole_state = fit(whole, train, val, callbacks=[EarlyStopping(3)], **kwargs)
    assert whole_state.epoch < 40

    path = tmp_path / "checkpoint.npz"
    with pytest.raises(TrainingInterrupted):
        fit(ToyLearner(n_hidden=64, lr=0.03), train, val,
            callbacks=[EarlyStopping(3), Checkpointer(path), InterruptAt(4, 2)], **kwargs)
    again = Trainer(ToyLearner(n_hidden=64, lr=0.03), train, val,
                    callbacks=[EarlyStopping(3), Checkpointer(path)], **kwargs)
    restore_training_checkpoint(path, again)
    state = again.fit()
    assert state.epoch == whole_state.epoch
    np.testing.assert_array_equal(again.learner.w1, whole.w1)

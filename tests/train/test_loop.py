"""The training loop and its callbacks, on a tiny NumPy learner and synthetic blobs."""

import csv

import numpy as np
import pytest
from helpers.toy_learner import ToyLearner, blobs

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
from telar.train.loop import Callback, batch_order


def data(n=240, seed=0):
    x, y = blobs(n + 60, seed=seed)
    return (x[:n], y[:n]), (x[n:], y[n:])


def test_same_seed_gives_bitwise_the_same_weights():
    train, val = data()
    a, b = ToyLearner(dropout=0.3), ToyLearner(dropout=0.3)
    fit(a, train, val, epochs=3, batch_size=32, seed=7, score=evaluate)
    fit(b, train, val, epochs=3, batch_size=32, seed=7, score=evaluate)
    assert all(np.array_equal(a.state_arrays()[k], b.state_arrays()[k]) for k in ("w1", "w2"))


def test_another_seed_gives_other_weights():
    train, val = data()
    a, b = ToyLearner(dropout=0.3), ToyLearner(dropout=0.3)
    fit(a, train, val, epochs=2, batch_size=32, seed=7, score=evaluate)
    fit(b, train, val, epochs=2, batch_size=32, seed=8, score=evaluate)
    assert not np.array_equal(a.w1, b.w1)


def test_batches_cover_every_sample_once_and_shuffle_differently_each_epoch():
    first = batch_order(100, 32, seed=3, epoch=0)
    second = batch_order(100, 32, seed=3, epoch=1)
    assert [len(b) for b in first] == [32, 32, 32, 4]
    assert sorted(np.concatenate(first).tolist()) == list(range(100))
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))


def test_a_last_batch_of_one_sample_joins_the_batch_before_it():
    batches = batch_order(65, 32, seed=0, epoch=0)
    assert [len(b) for b in batches] == [32, 33]
    assert sorted(np.concatenate(batches).tolist()) == list(range(65))


def test_full_batch_is_one_batch_in_order():
    (batch,) = batch_order(50, None, seed=3, epoch=4)
    assert batch.tolist() == list(range(50))


def test_loop_learns_the_blobs_and_records_one_row_per_epoch():
    train, val = data()
    state = fit(ToyLearner(), train, val, epochs=4, batch_size=32, seed=0, score=evaluate)
    assert [row["epoch"] for row in state.history] == [1, 2, 3, 4]
    assert state.history[-1]["val_accuracy"] > 0.9
    assert state.history[-1]["train_loss"] < state.history[0]["train_loss"]


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


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, trainer, loss, n_correct, n):
        if (trainer.state.epoch, trainer.state.batch) == self.at:
            trainer.request_interrupt()


@pytest.mark.parametrize("stop_at", [(0, 3), (1, 8), (2, 1)])
def test_interrupted_and_resumed_run_ends_with_bitwise_the_same_weights(tmp_path, stop_at):
    train, val = data()
    kwargs = dict(epochs=3, batch_size=24, seed=5, score=evaluate)
    whole = ToyLearner(dropout=0.2)
    fit(whole, train, val, **kwargs)

    path = tmp_path / "checkpoint.npz"
    first = ToyLearner(dropout=0.2)
    with pytest.raises(TrainingInterrupted):
        fit(first, train, val, callbacks=[Checkpointer(path), InterruptAt(*stop_at)], **kwargs)
    second = Trainer(ToyLearner(dropout=0.2, seed=99), train, val, callbacks=[Checkpointer(path)],
                     **kwargs)
    restore_training_checkpoint(path, second)
    assert (second.state.epoch, second.state.batch) == stop_at
    state = second.fit()
    for k in ("w1", "w2", "v1", "v2"):
        np.testing.assert_array_equal(second.learner.state_arrays()[k], whole.state_arrays()[k])
    assert second.learner.steps == whole.steps
    assert [r["train_loss"] for r in state.history] == pytest.approx(
        [r["train_loss"] for r in fit(ToyLearner(dropout=0.2), train, val, **kwargs).history],
        rel=1e-12)


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


def test_an_eval_set_without_a_scorer_is_refused_and_the_scorer_given_is_the_one_used():
    train, val = blobs(n=120, seed=0), blobs(n=40, seed=1)
    with pytest.raises(TypeError, match="score="):
        fit(ToyLearner(), train, val, epochs=1, batch_size=32)
    calls = []

    def score(learner, x, y):
        calls.append(len(x))
        return evaluate(learner, x, y)

    state = fit(ToyLearner(), train, val, epochs=2, batch_size=32, score=score)
    assert calls == [len(val[0])] * 2
    assert all("val_accuracy" in row for row in state.history)

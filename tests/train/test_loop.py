"""The training loop on a tiny NumPy learner and synthetic blobs: seeded and reproducible,
batches that cover every sample, learning, and the scorer it is given."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.toy_learner import ToyLearner, blobs, data

from telar.app.evaluation import evaluate
from telar.train import fit
from telar.train.loop import batch_order


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

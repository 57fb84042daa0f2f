"""Training checkpoints: a run interrupted anywhere and resumed from its checkpoint ends with
bitwise the weights of a run that never stopped."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.toy_learner import InterruptAt, ToyLearner, data

from telar.app.evaluation import evaluate
from telar.train import Checkpointer, Trainer, TrainingInterrupted, fit
from telar.train.checkpointing import restore_training_checkpoint


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

"""The report's experiment: figures at each mark are the network's after that many updates,
one run serves every mark, and the FLOPs and the largest logit are counted right."""

from __future__ import annotations

import numpy as np
import pytest

from telar.app.reproduce.experiment import Split, epoch_flops, run_full_batch
from telar.handwritten import HandwrittenNetwork
from telar.optim import Adam
from telar.train import HandwrittenLearner

SIZES = (12, 6, 5, 4, 3)


def toy(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (rng.standard_normal((3, 12))[y] + rng.standard_normal((n, 12)) * 0.7)
    return Split(x.astype(np.float32), y)


def test_mark_figures_are_those_of_the_network_after_that_many_updates():
    train, test = toy(), toy(40, seed=1)
    run = run_full_batch(train, test, [2, 5], lr=1e-2, sizes=SIZES)
    assert len(run.train_loss) == 6 and sorted(run.marks) == [2, 5]
    net = HandwrittenNetwork(SIZES, seed=0)
    learner = HandwrittenLearner(net)
    learner.attach_optimizer(Adam([learner.parameter], lr=1e-2))
    for e in range(6):
        assert run.train_loss[e] == pytest.approx(net.loss(train.x, train.y), rel=1e-5)
        assert run.test_loss[e] == pytest.approx(net.loss(test.x, test.y), rel=1e-5)
        assert run.test_accuracy[e] == pytest.approx(np.mean(net.predict(test.x) == test.y))
        if e < 5:
            learner.train_step(train.x, train.y)
    state = run.marks[5]
    assert state.train_loss == run.train_loss[5]
    assert np.trace(state.test_confusion) / len(test.y) == pytest.approx(state.test_accuracy)
    assert state.test_predicted_counts == state.test_confusion.sum(axis=0).tolist()


def test_one_run_to_the_last_mark_matches_a_shorter_run_at_the_earlier_mark():
    train, test = toy(), toy(40, seed=1)
    long = run_full_batch(train, test, [3, 7], lr=1e-2, sizes=SIZES)
    short = run_full_batch(train, test, [3], lr=1e-2, sizes=SIZES)
    assert long.marks[3].as_dict() == short.marks[3].as_dict()


def test_epoch_flops_counts_forward_and_both_backward_products():
    # forward 2*n*(a*b + b*c), dW 2*n*(a*b + b*c), dX only for the second layer 2*n*b*c
    assert epoch_flops((4, 3, 2), 10) == 2 * 10 * (2 * (12 + 6) + 6)
    assert 12e9 < epoch_flops((784, 64, 32, 16, 10), 60000) < 13.5e9


@pytest.mark.parametrize("block_rows", [None, 16])
def test_largest_logit_is_tracked_whether_or_not_the_batch_is_split_in_row_blocks(
        monkeypatch, block_rows):
    # The real training set (60,000 rows) goes through the row-block path; a toy set only
    # does so when the block is made smaller than the batch.
    import telar.handwritten.network as network
    if block_rows:
        monkeypatch.setattr(network, "BLOCK_ROWS", block_rows)
    train, test = toy(), toy(40, seed=1)
    run = run_full_batch(train, test, [3], lr=1e-2, sizes=SIZES)
    net = HandwrittenNetwork(SIZES, seed=0)
    learner = HandwrittenLearner(net)
    learner.attach_optimizer(Adam([learner.parameter], lr=1e-2))
    expected = 0.0
    for _ in range(3):  # the logits of each update's forward pass, before the update
        expected = max(expected, float(np.abs(net.forward(train.x)).max()))
        learner.train_step(train.x, train.y)
    assert expected > 0
    assert run.max_abs_logit == pytest.approx(expected, rel=1e-5)

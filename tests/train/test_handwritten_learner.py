"""The hand-written network as a learner: the shared loop, optimisers and exact resume."""

from __future__ import annotations

import numpy as np
import pytest

from telar import optim
from telar.handwritten import HandwrittenNetwork
from telar.train import HandwrittenLearner, fit


def small_problem(seed: int = 1, n: int = 6, sizes=(7, 5, 4, 3)):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return x, y


def learner_with(net: HandwrittenNetwork, lr: float = 1e-3) -> HandwrittenLearner:
    learner = HandwrittenLearner(net)
    learner.attach_optimizer(optim.Adam([learner.parameter], lr=lr))
    return learner


def steps_taken(learner: HandwrittenLearner) -> int:
    return learner.optimizer.state[id(learner.parameter)]["step"]


def test_one_minibatch_of_the_whole_set_equals_a_full_batch_epoch():
    x, y = small_problem(n=12)
    a = learner_with(HandwrittenNetwork((7, 5, 4, 3), seed=0, dtype=np.float64))
    b = learner_with(HandwrittenNetwork((7, 5, 4, 3), seed=0, dtype=np.float64))
    fit(a, (x, y), epochs=1, batch_size=None)
    fit(b, (x, y), epochs=1, batch_size=12, seed=9)  # shuffled order, one batch
    np.testing.assert_allclose(a.network.params, b.network.params, rtol=1e-12, atol=1e-15)


def test_a_minibatch_epoch_makes_one_update_per_batch_including_the_short_last_one():
    x, y = small_problem(n=10)
    learner = learner_with(HandwrittenNetwork((7, 5, 4, 3), seed=0))
    fit(learner, (x.astype(np.float32), y), epochs=1, batch_size=4)
    assert steps_taken(learner) == 3


def test_minibatch_training_is_deterministic_for_a_seed_and_shuffles_differently_per_seed():
    x, y = small_problem(n=64, sizes=(7, 5, 4, 3))
    x = x.astype(np.float32)

    def train(shuffle_seed):
        learner = learner_with(HandwrittenNetwork((7, 5, 4, 3), seed=0))
        fit(learner, (x, y), epochs=3, batch_size=8, seed=shuffle_seed)
        return learner.network.params.copy()

    np.testing.assert_array_equal(train(1), train(1))
    assert not np.array_equal(train(1), train(2))


def test_full_batch_training_fits_a_separable_problem():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 8)) * 3
    y = rng.integers(0, 3, 300)
    x = (centres[y] + rng.standard_normal((300, 8)) * 0.5).astype(np.float32)
    learner = learner_with(HandwrittenNetwork((8, 16, 3), seed=0), lr=1e-2)
    state = fit(learner, (x, y), epochs=201, batch_size=None)
    first, last = state.history[0], state.history[-1]
    assert last["train_loss"] < first["train_loss"] / 10
    assert last["train_accuracy"] > 0.97


@pytest.mark.parametrize("name, lr", [("sgd", 0.5), ("rmsprop", 0.01), ("adamw", 0.05)])
def test_any_optimiser_of_the_registry_trains_the_hand_written_network(name, lr):
    from telar.optim.registry import OPTIMIZERS

    x, y = small_problem(n=64, sizes=(7, 5, 3))
    learner = HandwrittenLearner(HandwrittenNetwork((7, 5, 3), seed=0, dtype=np.float64))
    learner.attach_optimizer(OPTIMIZERS[name].build([learner.parameter], lr=lr))
    state = fit(learner, (x, y), epochs=30, batch_size=None)
    assert state.history[-1]["train_loss"] < 0.8 * state.history[0]["train_loss"]


def test_state_arrays_and_json_resume_training_exactly():
    x, y = small_problem(n=16)
    x = x.astype(np.float32)
    a = learner_with(HandwrittenNetwork((7, 5, 4, 3), seed=0), lr=1e-2)
    for _ in range(3):
        a.train_step(x, y)
    b = learner_with(HandwrittenNetwork((7, 5, 4, 3), seed=99), lr=1e-3)
    b.load_state_arrays(a.state_arrays())
    b.load_state_json(a.state_json())
    assert steps_taken(b) == 3 and b.lr == pytest.approx(1e-2)
    for _ in range(2):
        assert a.train_step(x, y) == b.train_step(x, y)
    np.testing.assert_array_equal(a.network.params, b.network.params)
    np.testing.assert_array_equal(a.logits(x), b.logits(x))


def test_a_checkpoint_from_before_the_shared_optimisers_resumes_its_adam_state():
    x, y = small_problem(n=16)
    x = x.astype(np.float32)
    a = learner_with(HandwrittenNetwork((7, 5, 4, 3), seed=0), lr=1e-2)
    for _ in range(3):
        a.train_step(x, y)
    moments = a.optimizer.state[id(a.parameter)]
    old_layout = {**a.network.arrays(), "adam_m": moments["exp_avg"],
                  "adam_v": moments["exp_avg_sq"], "adam_t": np.array(3),
                  "adam_lr": np.array(1e-2)}
    b = learner_with(HandwrittenNetwork((7, 5, 4, 3), seed=5))
    b.load_state_arrays(old_layout)
    assert a.train_step(x, y) == b.train_step(x, y)
    np.testing.assert_array_equal(a.network.params, b.network.params)


def test_from_spec_accepts_the_old_kind_and_refuses_another_one():
    from telar.errors import ModelFileError

    old = HandwrittenLearner.from_spec({"kind": "seed", "sizes": [7, 5, 3]})
    assert old.spec() == {"kind": "handwritten", "sizes": [7, 5, 3]}
    with pytest.raises(ModelFileError, match="kind"):
        HandwrittenLearner.from_spec({"kind": "mlp", "sizes": [7, 3]})


def test_learner_train_step_counts_correct_predictions_before_the_update():
    learner = HandwrittenLearner.from_spec({"kind": "handwritten", "sizes": [7, 5, 3]}, seed=0)
    x, y = small_problem(n=20, sizes=(7, 5, 3))
    x = x.astype(np.float32)
    expected = int((learner.logits(x).argmax(1) == y).sum())
    _, correct = learner.train_step(x, y)
    assert correct == expected


@pytest.mark.realdata
def test_one_minibatch_epoch_on_fashion_mnist_reaches_80_percent_test_accuracy(real_data):
    x, y, tx, ty = real_data
    learner = learner_with(HandwrittenNetwork(seed=0))
    fit(learner, (x, y), epochs=1, batch_size=128)
    assert (learner.logits(tx).argmax(1) == ty).mean() > 0.80

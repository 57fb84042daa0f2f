"""The report's network: hand-written gradients, stable loss, init, seeding, shapes, loops."""

from __future__ import annotations

import numpy as np
import pytest

from telar.errors import ConfigError
from telar.seed import SeedAdam, SeedLearner, SeedNetwork, full_batch_epoch, minibatch_epoch


def small_problem(seed: int = 1, n: int = 6, sizes=(7, 5, 4, 3)):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return x, y


@pytest.mark.parametrize("naive", [False, True])
def test_hand_written_gradients_equal_central_differences_for_every_weight_and_bias(naive):
    sizes = (7, 5, 4, 3)
    net = SeedNetwork(sizes, seed=3, dtype=np.float64, naive_softmax=naive)
    for b in net.biases:  # non-zero biases so their gradients are exercised off the init
        b[...] = np.random.default_rng(4).standard_normal(b.shape) * 0.1
    x, y = small_problem()
    loss, grads_w, grads_b = net.loss_and_gradients(x, y)
    analytic = net.grads.copy()
    numeric = np.empty_like(analytic)
    h = 1e-6
    for i in range(net.params.size):
        keep = net.params[i]
        net.params[i] = keep + h
        up = net.loss(x, y)
        net.params[i] = keep - h
        down = net.loss(x, y)
        net.params[i] = keep
        numeric[i] = (up - down) / (2 * h)
    # every weight and bias array on its own: relative error of the whole array, and per entry
    at = 0
    for gw, gb in zip(grads_w, grads_b, strict=True):
        for g in (gw, gb):
            a, num = analytic[at : at + g.size], numeric[at : at + g.size]
            at += g.size
            rel = np.linalg.norm(a - num) / max(np.linalg.norm(a), np.linalg.norm(num))
            assert rel < 1e-6, rel
            np.testing.assert_allclose(a, num, rtol=1e-6, atol=1e-9)
    assert at == net.params.size


def test_gradients_are_batch_means_not_sums():
    net = SeedNetwork((3, 4, 2), seed=0, dtype=np.float64)
    x, y = small_problem(n=5, sizes=(3, 4, 2))
    net.loss_and_gradients(x, y)
    single = net.grads.copy()
    net.loss_and_gradients(np.concatenate([x, x]), np.concatenate([y, y]))
    np.testing.assert_allclose(net.grads, single, rtol=1e-12)


def test_loss_equals_mean_negative_log_softmax():
    net = SeedNetwork((7, 5, 4, 3), seed=2, dtype=np.float64)
    x, y = small_problem()
    z = net.forward(x)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert net.loss(x, y) == pytest.approx(-np.log(p[np.arange(len(y)), y]).mean(), rel=1e-12)


def test_softmax_loss_stays_finite_and_exact_with_huge_logits():
    net = SeedNetwork((2, 3, 3), seed=0)  # float32
    net.biases[-1][...] = [1e4, 0.0, -1e4]
    x = np.zeros((3, 2), np.float32)
    y = np.array([0, 1, 2])
    loss, grads_w, grads_b = net.loss_and_gradients(x, y)
    # per row: 0, 1e4, 2e4 (the correct logit sits 0, 1e4 and 2e4 below the largest)
    assert loss == pytest.approx((0 + 1e4 + 2e4) / 3, rel=1e-6)
    assert all(np.isfinite(g).all() for g in grads_w + grads_b)
    # output error p - onehot: p is (1, 0, 0) on every row
    np.testing.assert_allclose(grads_b[-1], np.array([2, -1, -1]) / 3, atol=1e-6)


def test_naive_softmax_overflows_where_the_stable_one_does_not():
    net = SeedNetwork((2, 3, 3), seed=0, naive_softmax=True)
    net.biases[-1][...] = [1e4, 0.0, -1e4]
    loss = net.loss(np.zeros((3, 2), np.float32), np.array([0, 1, 2]))
    assert not np.isfinite(loss)


def test_report_xavier_init_has_the_report_scale_and_zero_biases():
    net = SeedNetwork(seed=0, dtype=np.float64)
    for w, (n_in, n_out) in zip(net.weights, [(784, 64), (64, 32), (32, 16), (16, 10)],
                                strict=True):
        assert w.shape == (n_in, n_out)
    w0 = net.weights[0]
    assert w0.std() == pytest.approx(np.sqrt(2 / (784 + 64)), rel=0.02)
    assert abs(w0.mean()) < 0.002
    assert all((b == 0).all() for b in net.biases)


def test_same_seed_gives_same_weights_and_another_seed_does_not():
    a, b, c = SeedNetwork(seed=5), SeedNetwork(seed=5), SeedNetwork(seed=6)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    assert a.params.dtype == np.float32


def test_shapes_of_outputs_and_gradients_follow_the_sizes():
    net = SeedNetwork((10, 8, 6, 4), seed=0)
    x = np.ones((5, 10), np.float32)
    assert net.forward(x).shape == (5, 4)
    assert net.predict(x).shape == (5,)
    loss, gw, gb = net.loss_and_gradients(x, np.zeros(5, int))
    assert [g.shape for g in gw] == [(10, 8), (8, 6), (6, 4)]
    assert [g.shape for g in gb] == [(8,), (6,), (4,)]
    assert net.num_parameters == 10 * 8 + 8 + 8 * 6 + 6 + 6 * 4 + 4


def test_bad_sizes_and_inputs_are_refused_with_clear_errors():
    with pytest.raises(ConfigError, match="layer sizes"):
        SeedNetwork((784,))
    with pytest.raises(ConfigError, match="2 classes"):
        SeedNetwork((4, 1))
    net = SeedNetwork((4, 3, 2))
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        net.forward(np.ones((2, 5), np.float32))
    net.forward(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match="2 labels"):
        net.backward(np.zeros(3, int))


def test_forward_result_is_not_overwritten_by_the_next_forward():
    net = SeedNetwork((4, 3, 2), seed=0)
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    first = net.forward(x)
    kept = first.copy()
    net.forward(x * 5)
    np.testing.assert_array_equal(first, kept)


def test_minibatch_epoch_with_one_batch_equals_a_full_batch_epoch():
    x, y = small_problem(n=12)
    a = SeedLearner(SeedNetwork((7, 5, 4, 3), seed=0, dtype=np.float64))
    b = SeedLearner(SeedNetwork((7, 5, 4, 3), seed=0, dtype=np.float64))
    full_batch_epoch(a, x, y)
    minibatch_epoch(b, x, y, batch_size=12, rng=np.random.default_rng(9))  # shuffled order
    np.testing.assert_allclose(a.network.params, b.network.params, rtol=1e-12, atol=1e-15)


def test_minibatch_epoch_makes_one_update_per_batch_including_the_short_last_one():
    x, y = small_problem(n=10)
    learner = SeedLearner(SeedNetwork((7, 5, 4, 3), seed=0))
    minibatch_epoch(learner, x.astype(np.float32), y, batch_size=4, rng=np.random.default_rng(0))
    assert learner.adam.t == 3


def test_minibatch_training_is_deterministic_for_a_seed_and_shuffles_differently_per_seed():
    x, y = small_problem(n=64, sizes=(7, 5, 4, 3))
    x = x.astype(np.float32)

    def train(shuffle_seed):
        learner = SeedLearner(SeedNetwork((7, 5, 4, 3), seed=0))
        rng = np.random.default_rng(shuffle_seed)
        for _ in range(3):
            minibatch_epoch(learner, x, y, batch_size=8, rng=rng)
        return learner.network.params.copy()

    np.testing.assert_array_equal(train(1), train(1))
    assert not np.array_equal(train(1), train(2))


def test_full_batch_training_fits_a_separable_problem():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 8)) * 3
    y = rng.integers(0, 3, 300)
    x = (centres[y] + rng.standard_normal((300, 8)) * 0.5).astype(np.float32)
    net = SeedNetwork((8, 16, 3), seed=0)
    learner = SeedLearner(net, SeedAdam(net.params, net.grads, lr=1e-2))
    first_loss, _ = full_batch_epoch(learner, x, y)
    for _ in range(200):
        loss, acc = full_batch_epoch(learner, x, y)
    assert loss < first_loss / 10
    assert acc > 0.97


def test_learner_state_arrays_resume_training_exactly():
    x, y = small_problem(n=16)
    x = x.astype(np.float32)
    a = SeedLearner.from_spec({"kind": "seed", "sizes": [7, 5, 4, 3]}, seed=0, lr=1e-2)
    for _ in range(3):
        a.train_step(x, y)
    b = SeedLearner.from_spec(a.spec(), seed=99, lr=1e-3)
    b.load_state_arrays(a.state_arrays())
    assert b.adam.t == 3 and b.adam.lr == pytest.approx(1e-2)
    for _ in range(2):
        la, ca = a.train_step(x, y)
        lb, cb = b.train_step(x, y)
        assert (la, ca) == (lb, cb)
    np.testing.assert_array_equal(a.network.params, b.network.params)
    np.testing.assert_array_equal(a.adam.v, b.adam.v)
    np.testing.assert_array_equal(a.logits(x), b.logits(x))


def test_learner_refuses_state_of_another_shape():
    from telar.errors import ModelFileError

    a = SeedLearner.from_spec({"kind": "seed", "sizes": [7, 5, 3]})
    b = SeedLearner.from_spec({"kind": "seed", "sizes": [7, 6, 3]})
    with pytest.raises(ModelFileError, match="weight0"):
        b.load_state_arrays(a.state_arrays())
    with pytest.raises(ModelFileError, match="kind"):
        SeedLearner.from_spec({"kind": "mlp", "sizes": [7, 3]})


@pytest.mark.parametrize("naive", [False, True])
def test_a_large_batch_in_row_blocks_gives_the_whole_batch_gradient_loss_and_count(
    monkeypatch, naive
):
    import telar.seed.network as network

    x, y = small_problem(n=50)
    whole = SeedNetwork((7, 5, 4, 3), seed=0, dtype=np.float64, naive_softmax=naive)
    loss, gw, gb = whole.loss_and_gradients(x, y)
    expected_grads = whole.grads.copy()
    expected_correct = int((whole.predict(x) == y).sum())
    monkeypatch.setattr(network, "BLOCK_ROWS", 16)  # blocks of 16, 16, 16 and 2 rows
    results = []
    for workers in (1, 2, 3):
        net = SeedNetwork((7, 5, 4, 3), seed=0, dtype=np.float64, naive_softmax=naive)
        got_loss, got_correct = net.train_gradients(x, y, workers=workers)
        assert got_loss == pytest.approx(loss, rel=1e-12)
        assert got_correct == expected_correct
        np.testing.assert_allclose(net.grads, expected_grads, rtol=1e-10, atol=1e-15)
        results.append(net.grads.copy())
    # the blocks' shares are added in block order, so the thread count changes no bit
    assert all(np.array_equal(results[0], r) for r in results[1:])


def test_learner_train_step_counts_correct_predictions_before_the_update():
    learner = SeedLearner.from_spec({"kind": "seed", "sizes": [7, 5, 3]}, seed=0)
    x, y = small_problem(n=20, sizes=(7, 5, 3))
    x = x.astype(np.float32)
    expected = int((learner.logits(x).argmax(1) == y).sum())
    _, correct = learner.train_step(x, y)
    assert correct == expected


@pytest.mark.realdata
def test_one_minibatch_epoch_on_fashion_mnist_reaches_80_percent_test_accuracy(real_data):
    x, y, tx, ty = real_data
    net = SeedNetwork(seed=0)
    learner = SeedLearner(net, SeedAdam(net.params, net.grads, lr=1e-3))
    minibatch_epoch(learner, x, y, 128, np.random.default_rng(0))
    assert (learner.logits(tx).argmax(1) == ty).mean() > 0.80

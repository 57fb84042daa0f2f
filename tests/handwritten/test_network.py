"""The hand-written network: its gradients, stable loss, init, seeding, shapes, row blocks;
and the autodiff engine gives the same gradients as the report's hand-written backpropagation.

Same weights, same batch, float64: every weight and bias gradient agrees to a relative error
below 1e-9, against the report's equations written out here and against
``telar.handwritten.HandwrittenNetwork``.
"""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import nn
from telar.engine.functional import cross_entropy
from telar.errors import ConfigError
from telar.handwritten import HandwrittenNetwork


def small_problem(seed: int = 1, n: int = 6, sizes=(7, 5, 4, 3)):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return x, y


@pytest.mark.parametrize("naive", [False, True])
def test_hand_written_gradients_equal_central_differences_for_every_weight_and_bias(naive):
    sizes = (7, 5, 4, 3)
    net = HandwrittenNetwork(sizes, seed=3, dtype=np.float64, naive_softmax=naive)
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
    net = HandwrittenNetwork((3, 4, 2), seed=0, dtype=np.float64)
    x, y = small_problem(n=5, sizes=(3, 4, 2))
    net.loss_and_gradients(x, y)
    single = net.grads.copy()
    net.loss_and_gradients(np.concatenate([x, x]), np.concatenate([y, y]))
    np.testing.assert_allclose(net.grads, single, rtol=1e-12)


def test_loss_equals_mean_negative_log_softmax():
    net = HandwrittenNetwork((7, 5, 4, 3), seed=2, dtype=np.float64)
    x, y = small_problem()
    z = net.forward(x)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert net.loss(x, y) == pytest.approx(-np.log(p[np.arange(len(y)), y]).mean(), rel=1e-12)


def test_softmax_loss_stays_finite_and_exact_with_huge_logits():
    net = HandwrittenNetwork((2, 3, 3), seed=0)  # float32
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
    net = HandwrittenNetwork((2, 3, 3), seed=0, naive_softmax=True)
    net.biases[-1][...] = [1e4, 0.0, -1e4]
    loss = net.loss(np.zeros((3, 2), np.float32), np.array([0, 1, 2]))
    assert not np.isfinite(loss)


def test_report_xavier_init_has_the_report_scale_and_zero_biases():
    net = HandwrittenNetwork(seed=0, dtype=np.float64)
    for w, (n_in, n_out) in zip(net.weights, [(784, 64), (64, 32), (32, 16), (16, 10)],
                                strict=True):
        assert w.shape == (n_in, n_out)
    w0 = net.weights[0]
    assert w0.std() == pytest.approx(np.sqrt(2 / (784 + 64)), rel=0.02)
    assert abs(w0.mean()) < 0.002
    assert all((b == 0).all() for b in net.biases)


def test_same_seed_gives_same_weights_and_another_seed_does_not():
    a, b, c = HandwrittenNetwork(seed=5), HandwrittenNetwork(seed=5), HandwrittenNetwork(seed=6)
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)
    assert a.params.dtype == np.float32


def test_shapes_of_outputs_and_gradients_follow_the_sizes():
    net = HandwrittenNetwork((10, 8, 6, 4), seed=0)
    x = np.ones((5, 10), np.float32)
    assert net.forward(x).shape == (5, 4)
    assert net.predict(x).shape == (5,)
    loss, gw, gb = net.loss_and_gradients(x, np.zeros(5, int))
    assert [g.shape for g in gw] == [(10, 8), (8, 6), (6, 4)]
    assert [g.shape for g in gb] == [(8,), (6,), (4,)]
    assert net.num_parameters == 10 * 8 + 8 + 8 * 6 + 6 + 6 * 4 + 4


def test_bad_sizes_and_inputs_are_refused_with_clear_errors():
    with pytest.raises(ConfigError, match="layer sizes"):
        HandwrittenNetwork((784,))
    with pytest.raises(ConfigError, match="2 classes"):
        HandwrittenNetwork((4, 1))
    net = HandwrittenNetwork((4, 3, 2))
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        net.forward(np.ones((2, 5), np.float32))
    net.forward(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match="2 labels"):
        net.backward(np.zeros(3, int))


def test_forward_result_is_not_overwritten_by_the_next_forward():
    net = HandwrittenNetwork((4, 3, 2), seed=0)
    x = np.random.default_rng(0).random((3, 4), dtype=np.float32)
    first = net.forward(x)
    kept = first.copy()
    net.forward(x * 5)
    np.testing.assert_array_equal(first, kept)


@pytest.mark.parametrize("naive", [False, True])
def test_a_large_batch_in_row_blocks_gives_the_whole_batch_gradient_loss_and_count(
    monkeypatch, naive
):
    import telar.handwritten.network as network

    x, y = small_problem(n=50)
    whole = HandwrittenNetwork((7, 5, 4, 3), seed=0, dtype=np.float64, naive_softmax=naive)
    loss, gw, gb = whole.loss_and_gradients(x, y)
    expected_grads = whole.grads.copy()
    expected_correct = int((whole.predict(x) == y).sum())
    monkeypatch.setattr(network, "BLOCK_ROWS", 16)  # blocks of 16, 16, 16 and 2 rows
    results = []
    for workers in (1, 2, 3):
        net = HandwrittenNetwork((7, 5, 4, 3), seed=0, dtype=np.float64, naive_softmax=naive)
        got_loss, got_correct = net.train_gradients(x, y, workers=workers)
        assert got_loss == pytest.approx(loss, rel=1e-12)
        assert got_correct == expected_correct
        np.testing.assert_allclose(net.grads, expected_grads, rtol=1e-10, atol=1e-15)
        results.append(net.grads.copy())
    # the blocks' shares are added in block order, so the thread count changes no bit
    assert all(np.array_equal(results[0], r) for r in results[1:])


def test_arrays_round_trip_and_refuse_another_shape():
    from telar.errors import ModelFileError

    a, b = HandwrittenNetwork((7, 5, 3), seed=0), HandwrittenNetwork((7, 5, 3), seed=1)
    b.load_arrays(a.arrays())
    np.testing.assert_array_equal(a.params, b.params)
    with pytest.raises(ModelFileError, match="weight0"):
        HandwrittenNetwork((7, 6, 3)).load_arrays(a.arrays())


# ------------------------------------------------------------------ the same gradients as autodiff


SIZES = (784, 64, 32, 16, 10)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-300))


def report_gradients(weights, biases, x, y):
    """The report's backprop: ``delta = (p - onehot(y)) / N``, then
    ``delta_hidden = (delta @ W^T) * relu'(h)``, ``dW = a^T delta``, ``db = sum(delta)``."""
    activations, pre = [x], []
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = activations[-1] @ w + b
        pre.append(h)
        activations.append(np.maximum(h, 0) if i < len(weights) - 1 else h)
    z = activations[-1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = p.copy()
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads_w, grads_b = [], []
    for i in reversed(range(len(weights))):
        grads_w.insert(0, activations[i].T @ delta)
        grads_b.insert(0, delta.sum(axis=0))
        if i:
            delta = (delta @ weights[i].T) * (pre[i - 1] > 0)
    return grads_w, grads_b


def autodiff_gradients(weights, biases, x, y):
    """The same network as a telar model (``Linear`` stores ``W^T``), gradients by backward()."""
    model = nn.build_mlp({"hidden": list(SIZES[1:-1]), "dtype": "float64"})
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for layer, w, b in zip(linears, weights, biases, strict=True):
        layer.weight.data[...] = w.T
        layer.bias.data[...] = b
    cross_entropy(model(telar.tensor(x)), y).backward()
    return [layer.weight.grad.T for layer in linears], [layer.bias.grad for layer in linears]


def batch_and_weights(seed: int = 0, n: int = 32):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((a, b)) * np.sqrt(2 / (a + b))
               for a, b in zip(SIZES, SIZES[1:], strict=False)]
    biases = [rng.normal(scale=0.1, size=b) for b in SIZES[1:]]
    return weights, biases, rng.random((n, SIZES[0])), rng.integers(0, 10, size=n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_autodiff_gives_the_reports_handwritten_gradients(seed):
    weights, biases, x, y = batch_and_weights(seed)
    ref_w, ref_b = report_gradients(weights, biases, x, y)
    got_w, got_b = autodiff_gradients(weights, biases, x, y)
    for a, b in zip(ref_w + ref_b, got_w + got_b, strict=True):
        assert a.shape == b.shape
        assert relative_error(a, b) < 1e-9


def test_autodiff_gives_the_seed_networks_gradients():
    seed_module = pytest.importorskip("telar.handwritten")
    net = seed_module.HandwrittenNetwork(SIZES, seed=3, dtype=np.float64)
    _, _, x, y = batch_and_weights(4)
    # HandwrittenNetwork keeps W as (n_in, n_out), the report's x @ W layout.
    weights = [np.array(w, dtype=np.float64) for w in net.weights]
    biases = [np.array(b, dtype=np.float64).reshape(-1) for b in net.biases]
    assert [w.shape for w in weights] == list(zip(SIZES, SIZES[1:], strict=False))
    net.forward(x)
    seed_w, seed_b = net.backward(y)
    got_w, got_b = autodiff_gradients(weights, biases, x, y)
    for a, b in zip(list(seed_w) + list(seed_b), got_w + got_b, strict=True):
        a = np.asarray(a).reshape(b.shape)
        assert relative_error(a, b) < 1e-9

"""Every primitive's backward rule against central differences, in float64.

Property-based: hypothesis draws shapes (broadcasting pairs included) and a seed for the
values; each example runs :func:`telar.gradcheck`, which perturbs every entry.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import telar
from telar.engine import functional as F

FAST = settings(max_examples=20, deadline=None)
SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)
SEEDS = st.integers(0, 2**32 - 1)


def leaf(shape, seed, low=-2.0, high=2.0) -> telar.Tensor:
    return telar.tensor(np.random.default_rng(seed).uniform(low, high, size=shape),
                        requires_grad=True)


def away_from_zero(shape, seed) -> telar.Tensor:
    """Values with |x| in [0.3, 2]: kinks (relu at 0) and poles (1/x) stay out of reach."""
    rng = np.random.default_rng(seed)
    return telar.tensor(rng.uniform(0.3, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape),
                        requires_grad=True)


def check(fn, *inputs) -> None:
    report = telar.gradcheck(fn, list(inputs), atol=1e-7, rtol=1e-5)
    assert report, "\n" + report.table()


@FAST
@given(PAIRS, SEEDS)
def test_add_sub_mul_gradients_sum_over_broadcast_axes(shapes, seed):
    a, b = (leaf(s, seed + i) for i, s in enumerate(shapes.input_shapes))
    check(lambda a, b: (a + b) * (a - b) * b, a, b)


@FAST
@given(PAIRS, SEEDS)
def test_division_gradients_match_central_differences_with_broadcasting(shapes, seed):
    a = leaf(shapes.input_shapes[0], seed)
    b = away_from_zero(shapes.input_shapes[1], seed + 1)
    check(F.div, a, b)


@FAST
@given(SHAPES, SEEDS, st.sampled_from([2.0, 3.0, 0.5, -1.5]))
def test_power_gradients_cover_base_and_exponent(shape, seed, exponent):
    base = leaf(shape, seed, 0.5, 2.0)
    check(lambda b: b ** exponent, base)
    power = leaf(shape, seed + 1, -1.0, 1.0)
    check(lambda b, p: F.pow(b, p), base, power)


@FAST
@given(SHAPES, SEEDS)
def test_negation_exp_log_sqrt_gradients(shape, seed):
    x = leaf(shape, seed, 0.2, 2.0)
    check(lambda x: F.neg(F.exp(x)) + F.log(x) * F.sqrt(x), x)


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 3), SEEDS)
def test_matmul_gradients_including_batched_and_vector_operands(n, k, m, batch, seed):
    a_shape = (batch, n, k) if batch else (n, k)
    check(F.matmul, leaf(a_shape, seed), leaf((k, m), seed + 1))
    check(F.matmul, leaf((k,), seed + 2), leaf((k, m), seed + 3))
    check(F.matmul, leaf((n, k), seed + 4), leaf((k,), seed + 5))


@FAST
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.booleans(), SEEDS)
def test_fused_linear_gradients_for_input_weight_and_bias(n, i, o, with_bias, seed):
    x, w, b = leaf((n, i), seed), leaf((o, i), seed + 1), leaf((o,), seed + 2)
    if with_bias:
        check(F.linear, x, w, b)
    else:
        check(F.linear, x, w)
    check(F.linear, leaf((2, n, i), seed + 3), w, b)


@FAST
@given(SHAPES, SEEDS, st.booleans(), st.data())
def test_sum_mean_max_gradients_over_any_axis(shape, seed, keepdims, data):
    axis = data.draw(st.sampled_from([None, *range(len(shape)), tuple(range(len(shape)))]))
    x = leaf(shape, seed)
    check(lambda x: F.sum(x, axis, keepdims), x)
    check(lambda x: F.mean(x, axis, keepdims), x)
    check(lambda x: F.max(x, axis, keepdims), x)  # continuous values: no ties


def test_max_shares_the_gradient_between_tied_maxima():
    x = telar.tensor(np.array([[1.0, 3.0, 3.0], [0.0, -1.0, 2.0]]), requires_grad=True)
    F.max(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0, 0, 1]])


@FAST
@given(SHAPES, SEEDS, st.data())
def test_reshape_and_transpose_gradients_route_values_back(shape, seed, data):
    x = leaf(shape, seed)
    axes = data.draw(st.permutations(range(len(shape))))
    weights = np.random.default_rng(seed).normal(size=shape)
    check(lambda x: F.transpose(x * weights, tuple(axes)), x)
    check(lambda x: F.reshape(x * weights, (-1,)), x)


@FAST
@given(st.integers(2, 5), st.integers(1, 4), SEEDS)
def test_indexing_with_repeated_indices_accumulates_gradients(n, m, seed):
    x = leaf((n, m), seed)
    rows = np.random.default_rng(seed).integers(0, n, size=6)  # repeats are likely
    check(lambda x: x[rows] * 1.5, x)
    check(lambda x: x[1:, ::2], x)


@FAST
@given(st.integers(1, 4), st.integers(2, 5), SEEDS)
def test_gather_along_an_axis_matches_central_differences(n, c, seed):
    x = leaf((n, c), seed)
    index = np.random.default_rng(seed).integers(0, c, size=(n, 3))
    check(lambda x: F.gather(x, 1, index), x)
    out = F.gather(x, 1, index)
    np.testing.assert_array_equal(out.data, x.data[np.arange(n)[:, None], index])


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), SEEDS)
def test_concatenate_splits_the_gradient_back_to_each_part(n, m, axis, seed):
    a, b = leaf((n, m), seed), leaf((n, m), seed + 1)
    check(lambda a, b: F.concatenate([a, b * 2.0, a], axis=axis), a, b)


@FAST
@given(SHAPES, SEEDS, st.sampled_from(["relu", "leaky_relu", "elu", "sigmoid", "tanh",
                                       "gelu", "gelu_tanh"]))
def test_activation_gradients_match_central_differences(shape, seed, name):
    fn = {"relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
          "elu": lambda x: F.elu(x, 0.7), "sigmoid": F.sigmoid, "tanh": F.tanh,
          "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, "tanh")}[name]
    check(fn, away_from_zero(shape, seed))


@FAST
@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 1), SEEDS)
def test_softmax_and_log_softmax_gradients(n, c, axis, seed):
    x = leaf((n, c), seed, -3, 3)
    check(lambda x: F.softmax(x, axis=axis), x)
    check(lambda x: F.log_softmax(x, axis=axis), x)


@FAST
@given(st.integers(1, 6), st.integers(2, 6), st.sampled_from([0.0, 0.1, 0.5]),
       st.sampled_from(["mean", "sum", "none"]), SEEDS)
def test_fused_cross_entropy_gradient_with_label_smoothing(n, c, smoothing, reduction, seed):
    z = leaf((n, c), seed, -3, 3)
    y = np.random.default_rng(seed).integers(0, c, size=n)
    check(lambda z: F.cross_entropy(z, y, label_smoothing=smoothing, reduction=reduction), z)


@FAST
@given(st.integers(2, 6), st.integers(1, 4), st.booleans(), st.booleans(), SEEDS)
def test_batch_norm_gradients_in_training_and_evaluation(n, c, training, affine, seed):
    x = leaf((n, c), seed)
    gamma = leaf((c,), seed + 1, 0.5, 1.5) if affine else None
    beta = leaf((c,), seed + 2) if affine else None
    rng = np.random.default_rng(seed)
    mean, var = rng.normal(size=c), rng.uniform(0.5, 2, size=c)
    inputs = [x] + ([gamma, beta] if affine else [])

    def fn(x, gamma=None, beta=None):
        return F.batch_norm(x, gamma, beta, mean.copy(), var.copy(), training)

    check(fn, *inputs)


@FAST
@given(SHAPES, SEEDS, st.sampled_from([0.0, 0.3, 0.8]))
def test_dropout_gradient_is_the_mask_it_drew(shape, seed, p):
    x = leaf(shape, seed)

    def fn(x):  # the same generator state every call: the same mask
        return F.dropout(x, p, True, np.random.default_rng(seed))

    check(fn, x)


def test_composite_graph_with_a_value_used_three_times():
    x = leaf((3, 4), 1)
    w = leaf((4, 2), 2)
    check(lambda x, w: F.tanh(x @ w).sum() * F.sigmoid(x).mean() + (x * x).sum(), x, w)


def test_gradcheck_reports_a_wrong_backward_rule():
    from telar.engine import make_result

    def wrong_square(x):  # d(x^2)/dx is 2x, not x
        return make_result(x.data ** 2, (x,), lambda g: (g * x.data,))

    report = telar.gradcheck(wrong_square, [leaf((3,), 0, 0.5, 1.5)])
    assert not report
    assert report.entries[0].max_rel_error > 0.3
    assert "FAIL" in report.table()


def test_gradcheck_samples_at_most_max_entries_per_tensor():
    report = telar.gradcheck(lambda x: (x * x).sum(), [leaf((10, 10), 0)], max_entries=7)
    assert report and report.entries[0].checked == 7


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "elu", "leaky_relu", "sigmoid"])
def test_activation_values_match_pytorch(name):
    torch = pytest.importorskip("torch")
    x = np.linspace(-6, 6, 41)
    ours = {"gelu": F.gelu, "gelu_tanh": lambda t: F.gelu(t, "tanh"),
            "elu": lambda t: F.elu(t, 0.7), "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
            "sigmoid": F.sigmoid}[name](telar.tensor(x)).data
    tf = torch.nn.functional
    theirs = {"gelu": tf.gelu, "gelu_tanh": lambda t: tf.gelu(t, approximate="tanh"),
              "elu": lambda t: tf.elu(t, 0.7), "leaky_relu": lambda t: tf.leaky_relu(t, 0.2),
              "sigmoid": torch.sigmoid}[name](torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.6])
def test_cross_entropy_value_and_gradient_match_pytorch(smoothing):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(7, 5)) * 4, rng.integers(0, 5, size=7)
    ours = telar.tensor(z, requires_grad=True)
    loss = F.cross_entropy(ours, y, label_smoothing=smoothing)
    loss.backward()
    zt = torch.tensor(z, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(zt, torch.from_numpy(y), label_smoothing=smoothing)
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(ours.grad, zt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_is_finite_for_huge_logits():
    z = telar.tensor(np.array([[1e4, -1e4, 0.0], [-5e3, 5e3, 1e3]]), requires_grad=True)
    loss = F.cross_entropy(z, np.array([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1e4)
    assert np.all(np.isfinite(z.grad))


def test_softmax_gives_probabilities_even_with_huge_logits():
    p = F.softmax(telar.tensor(np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]))).data
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], [1, 0, 0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3)


def test_cross_entropy_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        F.cross_entropy(telar.tensor(np.zeros((2, 3))), np.array([0, 3]))


def test_inverted_dropout_keeps_the_expected_value():
    x = telar.tensor(np.ones((200, 500), dtype=np.float32))
    out = F.dropout(x, 0.25, True, np.random.default_rng(0)).data
    assert out.dtype == np.float32
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.01
    assert abs(out.mean() - 1.0) < 0.01
    assert F.dropout(x, 0.25, False, np.random.default_rng(0)) is x

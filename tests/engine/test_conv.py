"""The convolutional primitives: backward against central differences (float64) and forward and
gradients against PyTorch (float64 to 1e-10, float32 to ~1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar.engine import functional as F
from telar.engine.cpu import conv as cpu_conv
from telar.engine.cpu import scratch as cpu_scratch
from telar.nn import functional as NF

# (input shape, weight shape, keyword arguments): odd sizes, non-square, stride, padding,
# dilation, asymmetric everything.
CONV_CASES = [
    ((2, 3, 5, 4), (2, 3, 3, 3), {}),
    ((1, 2, 7, 6), (3, 2, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 2, 9, 7), (2, 2, 2, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    ((1, 1, 6, 5), (2, 1, 3, 3), {"padding": "same"}),
    ((2, 3, 4, 4), (4, 3, 1, 1), {}),
    ((1, 2, 5, 5), (2, 2, 2, 2), {"padding": 2}),           # stride 1, wide padding: col2im
    ((1, 2, 8, 7), (2, 2, 3, 3), {"dilation": 2, "padding": (1, 3)}),
]
POOL_CASES = [
    ((2, 3, 6, 4), {"kernel_size": 2}),                                   # fast path
    ((1, 2, 7, 5), {"kernel_size": 2}),                                   # fast path, crop
    ((2, 2, 7, 6), {"kernel_size": 3, "stride": 2, "padding": 1}),        # overlapping
    ((1, 2, 5, 7), {"kernel_size": (2, 3), "stride": (1, 2)}),
]


def leaf(shape, seed, dtype=np.float64) -> telar.Tensor:
    return telar.tensor(np.random.default_rng(seed).normal(size=shape).astype(dtype),
                        requires_grad=True)


def check(fn, *inputs) -> None:
    report = telar.gradcheck(fn, list(inputs), atol=1e-7, rtol=1e-5)
    assert report, "\n" + report.table()


def against_torch(fn, torch_fn, inputs: list[np.ndarray], tol: float, seed: int = 1) -> None:
    """Same forward values and the same gradients for a random output gradient."""
    torch = pytest.importorskip("torch")
    ours = [telar.tensor(a, requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, ref = fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(seed).normal(size=out.shape).astype(out.dtype)
    out.backward(g)
    ref.backward(torch.tensor(g))
    for mine, their in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_conv2d_gradients_match_central_differences(xs, ws, kw, bias):
    x, w = leaf(xs, 0), leaf(ws, 1)
    if bias:
        check(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, leaf(ws[0], 2))
    else:
        check(lambda x, w: F.conv2d(x, w, None, **kw), x, w)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("xs, ws, kw", CONV_CASES)
def test_conv2d_forward_and_gradients_match_pytorch(xs, ws, kw, dtype, tol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    inputs = [rng.normal(size=s).astype(dtype) for s in (xs, ws, ws[:1])]
    against_torch(lambda x, w, b: F.conv2d(x, w, b, **kw),
                  lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **kw), inputs, tol)


@pytest.mark.parametrize("channels", [1, 3])  # im2col built transposed / row-major
@pytest.mark.parametrize("fold_below", [0, 10 ** 9])  # bias added apart / as a ones column
@pytest.mark.parametrize("chunk_bytes", [1, 13000])
@pytest.mark.parametrize("kw", [{"padding": 1}, {"stride": 2, "padding": 1}])
def test_conv2d_in_sample_chunks_with_a_remainder_gives_the_unchunked_gradients(
        monkeypatch, chunk_bytes, kw, fold_below, channels):
    x, w, b = leaf((5, channels, 6, 5), 0), leaf((3, channels, 3, 3), 1), leaf((3,), 2)
    g = np.random.default_rng(5).normal(size=F.conv2d(x, w, b, **kw).shape)
    monkeypatch.setattr(cpu_conv, "FOLD_BIAS_BELOW", 10 ** 9 - fold_below)  # whole run: the other
    whole = F.conv2d(x, w, b, **kw)
    whole.backward(g)
    expected = [whole.data.copy()] + [t.grad.copy() for t in (x, w, b)]
    # 1 byte: one sample per chunk; 13000 bytes: 2-5 samples per chunk, a remainder.
    monkeypatch.setattr(cpu_scratch, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(cpu_conv, "FOLD_BIAS_BELOW", fold_below)
    for t in (x, w, b):
        t.grad = None
    out = F.conv2d(x, w, b, **kw)
    out.backward(g)
    for got, want in zip([out.data] + [t.grad for t in (x, w, b)], expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    check(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, b)


@pytest.mark.parametrize("chunk_bytes", [1, 2000])
@pytest.mark.parametrize("shape", [(5, 3, 6, 4), (5, 2, 7, 5)])  # whole tiles, cropped edge
def test_max_pool_in_sample_chunks_gives_the_unchunked_values_and_gradients(
        monkeypatch, chunk_bytes, shape):
    data = np.random.default_rng(6).integers(-2, 3, size=shape).astype(np.float64)  # ties
    g = np.random.default_rng(7).normal(size=(shape[0], shape[1], shape[2] // 2,
                                              shape[3] // 2))
    results = []
    for patch in (False, True):
        if patch:  # 1 byte: one sample per chunk; 2000 bytes: 2 or 3 samples, a remainder
            monkeypatch.setattr(cpu_scratch, "CHUNK_BYTES", chunk_bytes)
        x = telar.tensor(data, requires_grad=True)
        out = F.max_pool2d(x, 2)
        out.backward(g)
        results.append((out.data.copy(), x.grad.copy()))
    for got, want in zip(results[1], results[0], strict=True):
        np.testing.assert_array_equal(got, want)
    check(lambda x: F.max_pool2d(x, 2), leaf(shape, 8))


def test_conv2d_output_is_channels_last_in_memory_and_a_second_conv_reads_it():
    x, w = leaf((2, 3, 5, 5), 0, np.float32), leaf((4, 3, 3, 3), 1, np.float32)
    out = F.conv2d(x, w, padding=1)
    assert out.shape == (2, 4, 5, 5)
    assert out.data.transpose(0, 2, 3, 1).flags.c_contiguous
    twice = F.conv2d(F.relu(out), leaf((2, 4, 3, 3), 2, np.float32))
    assert twice.shape == (2, 2, 3, 3)


def test_conv2d_rejects_channel_mismatch_and_kernels_larger_than_the_input():
    with pytest.raises(ValueError, match="3 channels"):
        F.conv2d(leaf((1, 3, 5, 5), 0), leaf((2, 2, 3, 3), 1))
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d(leaf((1, 1, 2, 2), 0), leaf((1, 1, 3, 3), 1))


@pytest.mark.parametrize("xs, kw", POOL_CASES)
def test_pooling_gradients_match_central_differences(xs, kw):
    x = leaf(xs, 4)
    check(lambda x: F.max_pool2d(x, **kw), x)
    check(lambda x: F.avg_pool2d(x, **kw), x)
    if kw.get("padding"):
        check(lambda x: F.avg_pool2d(x, **kw, count_include_pad=False), x)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("xs, kw", POOL_CASES)
def test_pooling_matches_pytorch(xs, kw, dtype, tol):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).normal(size=xs).astype(dtype)
    tf = torch.nn.functional
    against_torch(lambda x: F.max_pool2d(x, **kw), lambda x: tf.max_pool2d(x, **kw), [x], tol)
    against_torch(lambda x: F.avg_pool2d(x, **kw), lambda x: tf.avg_pool2d(x, **kw), [x], tol)
    against_torch(lambda x: F.avg_pool2d(x, **kw, count_include_pad=False),
                  lambda x: tf.avg_pool2d(x, **kw, count_include_pad=False), [x], tol)


def test_max_pool_gives_a_tied_window_gradient_to_its_first_maximum_like_pytorch():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[1.0, 1.0], [1.0, 0.0]]  # a window of ties, and windows of zeros
    against_torch(lambda x: F.max_pool2d(x, 2), lambda x: torch.nn.functional.max_pool2d(x, 2),
                  [x], 1e-12)
    against_torch(lambda x: F.max_pool2d(x, 3, 1, 1),
                  lambda x: torch.nn.functional.max_pool2d(x, 3, 1, 1), [x], 1e-12)


@pytest.mark.parametrize("size", [1, (2, 3), (3, 3), (4, 2)])
def test_adaptive_average_pooling_matches_pytorch_and_central_differences(size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(6).normal(size=(2, 3, 7, 6))
    check(lambda x: F.adaptive_avg_pool2d(x, size), telar.tensor(x, requires_grad=True))
    against_torch(lambda x: F.adaptive_avg_pool2d(x, size),
                  lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size), [x], 1e-10)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_in_4d_gradients_match_central_differences(training):
    x, gamma, beta = leaf((3, 2, 3, 5), 7), leaf(2, 8), leaf(2, 9)
    mean, var = np.array([0.1, -0.2]), np.array([0.5, 2.0])
    check(lambda x, g, b: F.batch_norm(x, g, b, mean.copy(), var.copy(), training), x, gamma,
          beta)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_batch_norm_in_4d_matches_pytorch_with_running_statistics(dtype, tol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x = (rng.normal(size=(4, 3, 5, 3)) * 2 + 1).astype(dtype)
    gamma, beta = rng.normal(size=3).astype(dtype), rng.normal(size=3).astype(dtype)
    ours = [np.zeros(3, dtype), np.ones(3, dtype)]
    tdtype = torch.from_numpy(x).dtype
    theirs = [torch.zeros(3, dtype=tdtype), torch.ones(3, dtype=tdtype)]
    against_torch(lambda x, g, b: NF.batch_norm(x, g, b, *ours, True, 0.1, 1e-5),
                  lambda x, g, b: torch.nn.functional.batch_norm(x, *theirs, g, b, True, 0.1,
                                                                 1e-5),
                  [x, gamma, beta], tol)
    np.testing.assert_allclose(ours[0], theirs[0].numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours[1], theirs[1].numpy(), rtol=tol, atol=tol)
    against_torch(lambda x, g, b: NF.batch_norm(x, g, b, *ours, False),
                  lambda x, g, b: torch.nn.functional.batch_norm(x, *theirs, g, b, False),
                  [x, gamma, beta], tol)


def test_dropout2d_zeroes_whole_channels_and_its_gradient_is_the_mask():
    x = leaf((64, 8, 3, 3), 11)
    out = F.dropout2d(x, 0.25, True, np.random.default_rng(0))
    ratio = out.data / x.data
    per_channel = ratio.reshape(64, 8, 9)
    assert np.allclose(per_channel, per_channel[:, :, :1])  # one value per feature map
    assert set(np.round(np.unique(per_channel), 6)) == {0.0, round(1 / 0.75, 6)}
    assert 0.15 < (per_channel[:, :, 0] == 0).mean() < 0.35
    out.backward(np.ones(out.shape))
    np.testing.assert_allclose(x.grad, ratio)
    assert F.dropout2d(x, 0.25, False, np.random.default_rng(0)) is x
    check(lambda x: F.dropout2d(x, 0.5, True, np.random.default_rng(3)), leaf((2, 3, 2, 2), 1))

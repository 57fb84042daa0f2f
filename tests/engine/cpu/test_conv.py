"""The CPU convolution kernel: chunked over samples, on one and two threads, in weight-product
blocks, it gives the whole-batch values and gradients (bit for bit across thread counts)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import check, normal_leaf

import telar
from telar.engine import functional as F
from telar.engine.cpu import conv as cpu_conv
from telar.engine.cpu import scratch as cpu_scratch
from telar.engine.cpu import workers as chunk_workers
from telar.nn import functional as NF


def run_conv(x, w, b, kwargs, grad_x=True):
    xt = telar.tensor(x, requires_grad=grad_x)
    wt = telar.tensor(w, requires_grad=True)
    bt = telar.tensor(b, requires_grad=True)
    out = NF.conv2d(xt, wt, bt, **kwargs)
    g = np.random.default_rng(7).normal(size=out.shape).astype(x.dtype)
    (out * telar.tensor(g)).sum().backward()
    return [np.array(out.array), wt.grad, bt.grad] + ([xt.grad] if grad_x else [])


@pytest.mark.parametrize("channels", [1, 3])  # im2col built transposed / row-major
@pytest.mark.parametrize("fold_below", [0, 10 ** 9])  # bias added apart / as a ones column
@pytest.mark.parametrize("chunk_bytes", [1, 13000])
@pytest.mark.parametrize("kw", [{"padding": 1}, {"stride": 2, "padding": 1}])
def test_conv2d_in_sample_chunks_with_a_remainder_gives_the_unchunked_gradients(
        monkeypatch, chunk_bytes, kw, fold_below, channels):
    x, w, b = (normal_leaf((5, channels, 6, 5), 0), normal_leaf((3, channels, 3, 3), 1),
               normal_leaf((3,), 2))
    g = np.random.default_rng(5).normal(size=F.conv2d(x, w, b, **kw).shape)
    monkeypatch.setattr(cpu_conv, "FOLD_BIAS_BELOW", 10 ** 9 - fold_below)  # whole run: the other
    whole = F.conv2d(x, w, b, **kw)
    whole.backward(g)
    expected = [whole.array.copy()] + [t.grad.copy() for t in (x, w, b)]
    # 1 byte: one sample per chunk; 13000 bytes: 2-5 samples per chunk, a remainder.
    monkeypatch.setattr(cpu_scratch, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(cpu_conv, "FOLD_BIAS_BELOW", fold_below)
    for t in (x, w, b):
        t.grad = None
    out = F.conv2d(x, w, b, **kw)
    out.backward(g)
    for got, want in zip([out.array] + [t.grad for t in (x, w, b)], expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    check(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels, weight, kwargs", [
    (1, (8, 1, 3, 3), {"padding": 1}),                  # few channels: transposed im2col, fold
    (6, (10, 6, 3, 3), {"padding": 1}),                 # stride 1: dx as a convolution
    (5, (3, 5, 3, 2), {"stride": 2, "padding": 1}),     # stride 2: dcols + col2im
])
def test_conv2d_gives_identical_bits_on_one_and_two_threads(
        monkeypatch, dtype, channels, weight, kwargs):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(13, channels, 9, 8)).astype(dtype)
    w = rng.normal(size=weight).astype(dtype)
    b = rng.normal(size=weight[0]).astype(dtype)
    monkeypatch.setattr(cpu_scratch, "CHUNK_BYTES", 2000)  # a few samples per chunk: many chunks
    results = {}
    for workers in (1, 2):
        monkeypatch.setattr(chunk_workers, "WORKERS", workers)
        results[workers] = run_conv(x, w, b, kwargs)
    for one, two in zip(results[1], results[2], strict=True):
        assert one.dtype == two.dtype
        np.testing.assert_array_equal(one, two)
    # and the chunked, threaded result is the convolution: against one whole-batch chunk in
    # float64 (chunk order changes the dW sum's rounding, so not bit for bit)
    monkeypatch.setattr(cpu_scratch, "CHUNK_BYTES", 1 << 30)
    monkeypatch.setattr(chunk_workers, "WORKERS", 1)
    whole = run_conv(x, w, b, kwargs)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    for chunked, single in zip(results[2], whole, strict=True):
        np.testing.assert_allclose(chunked, single, rtol=tol, atol=tol)


def test_conv2d_weight_gradient_alone_is_identical_on_one_and_two_threads(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(11, 4, 7, 7)).astype(np.float32)
    w = rng.normal(size=(6, 4, 3, 3)).astype(np.float32)
    b = rng.normal(size=6).astype(np.float32)
    monkeypatch.setattr(cpu_scratch, "CHUNK_BYTES", 3000)
    results = []
    for workers in (1, 2):
        monkeypatch.setattr(chunk_workers, "WORKERS", workers)
        results.append(run_conv(x, w, b, {"padding": 1}, grad_x=False))
    for one, two in zip(*results, strict=True):
        np.testing.assert_array_equal(one, two)


def test_the_convolution_module_can_be_imported_first():
    import subprocess
    import sys

    code = "import telar.engine.cpu.conv as fc; import telar.engine.functional as f; " \
           "import telar.engine.pooling as p; " \
           "assert f.max_pool2d_relu is p.max_pool2d_relu and " \
           "f.conv2d.__globals__['tuned'].conv2d is fc.conv2d"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("rows, width, out_channels, flip", [
    (1000, 10, 32, True),    # the first layer's shape: 320 values, stacked blocks
    (997, 10, 32, True),     # rows not a multiple of the block: a remainder product
    (50, 3, 4, False),       # tiny: at least the stack that releases the GIL
    (1, 10, 32, True),       # one row: a single product
    (400, 30, 20, False),    # 600 values: one plain product
    (300, 25, 20, True),     # exactly 500 values: NumPy still holds the GIL, stacked
])
def test_weight_product_in_blocks_equals_the_one_product(monkeypatch, rows, width,
                                                         out_channels, flip):
    monkeypatch.setattr(cpu_conv, "SMALL_PRODUCT", 3000)  # small blocks: many of them
    rng = np.random.default_rng(11)
    cols = rng.normal(size=(rows, width))
    gs = rng.normal(size=(rows, out_channels))
    expected = cols.T @ gs if flip else gs.T @ cols
    out = np.full(expected.shape, np.nan)
    cpu_conv._weight_product(cols, gs, flip, out)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)

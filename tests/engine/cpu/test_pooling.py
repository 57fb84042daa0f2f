"""The CPU max-pool kernel: chunked over samples and on one and two threads, it gives the
whole-batch values and gradients, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import check, normal_leaf

import telar
from telar.engine import functional as F
from telar.engine.cpu import scratch as cpu_scratch
from telar.engine.cpu import workers as chunk_workers
from telar.nn import functional as NF


def run_pool(x, kwargs):
    xt = telar.tensor(x, requires_grad=True)
    out = NF.max_pool2d(xt, **kwargs)
    g = np.random.default_rng(8).normal(size=out.shape).astype(x.dtype)
    (out * telar.tensor(g)).sum().backward()
    return [np.array(out.array), xt.grad]


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
        results.append((out.array.copy(), x.grad.copy()))
    for got, want in zip(results[1], results[0], strict=True):
        np.testing.assert_array_equal(got, want)
    check(lambda x: F.max_pool2d(x, 2), normal_leaf(shape, 8))


@pytest.mark.parametrize("shape", [(9, 3, 8, 6), (7, 2, 9, 7)])  # the second crops a row
def test_max_pool2d_gives_identical_bits_on_one_and_two_threads(monkeypatch, shape):
    x = np.random.default_rng(5).normal(size=shape).astype(np.float32)
    x[0, 0, :2, :2] = 0.5  # a tie: the first maximum takes the gradient on every thread count
    monkeypatch.setattr(cpu_scratch, "CHUNK_BYTES", 400)
    results = {}
    for workers in (1, 2):
        monkeypatch.setattr(chunk_workers, "WORKERS", workers)
        results[workers] = run_pool(x, {"kernel_size": 2})
    for one, two in zip(results[1], results[2], strict=True):
        np.testing.assert_array_equal(one, two)
    assert results[2][1][0, 0, 0, 0] != 0 and results[2][1][0, 0, 0, 1] == 0
    expected = x[:, :, :shape[2] // 2 * 2, :shape[3] // 2 * 2].reshape(
        shape[0], shape[1], shape[2] // 2, 2, shape[3] // 2, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(results[2][0], expected)

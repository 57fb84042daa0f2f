"""Chunked convolution and max-pool kernels on 1 and 2 threads give bit-identical results."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import telar
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
    return [np.array(out.data), wt.grad, bt.grad] + ([xt.grad] if grad_x else [])


def run_pool(x, kwargs):
    xt = telar.tensor(x, requires_grad=True)
    out = NF.max_pool2d(xt, **kwargs)
    g = np.random.default_rng(8).normal(size=out.shape).astype(x.dtype)
    (out * telar.tensor(g)).sum().backward()
    return [np.array(out.data), xt.grad]


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


def test_run_chunks_gives_every_chunk_to_exactly_one_of_the_threads(monkeypatch):
    monkeypatch.setattr(chunk_workers, "WORKERS", 2)
    seen: list[tuple[int, int, int]] = []
    lock = threading.Lock()

    def work(worker: int, count: int) -> None:
        for j in range(worker, 7, count):
            with lock:
                seen.append((j, worker, threading.get_ident()))

    chunk_workers.run_chunks(7, work)
    assert sorted(j for j, _, _ in seen) == list(range(7))
    assert {w for _, w, _ in seen} == {0, 1}
    assert len({t for _, _, t in seen}) == 2  # worker 1 ran on another thread
    assert all(t == threading.get_ident() for _, w, t in seen if w == 0)


def test_run_chunks_with_one_chunk_or_one_worker_stays_on_the_calling_thread(monkeypatch):
    calls = []
    monkeypatch.setattr(chunk_workers, "WORKERS", 2)
    chunk_workers.run_chunks(1, lambda w, c: calls.append((w, c, threading.get_ident())))
    monkeypatch.setattr(chunk_workers, "WORKERS", 1)
    chunk_workers.run_chunks(5, lambda w, c: calls.append((w, c, threading.get_ident())))
    assert calls == [(0, 1, threading.get_ident())] * 2


def test_run_chunks_raises_a_workers_error_after_every_worker_finished(monkeypatch):
    monkeypatch.setattr(chunk_workers, "WORKERS", 2)
    finished = []

    def work(worker: int, count: int) -> None:
        if worker == 1:
            raise ValueError("chunk 1 failed")
        finished.append(worker)

    with pytest.raises(ValueError, match="chunk 1 failed"):
        chunk_workers.run_chunks(4, work)
    assert finished == [0]


def test_workers_defaults_to_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.setattr(chunk_workers, "WORKERS", None)
    monkeypatch.setattr(chunk_workers, "cores", lambda: 3)
    assert chunk_workers.workers() == 3
    monkeypatch.setattr(chunk_workers, "WORKERS", 0)
    assert chunk_workers.workers() == 1


def test_run_chunks_keeps_the_blas_on_one_thread_while_two_workers_run(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    monkeypatch.setattr(chunk_workers, "WORKERS", 2)
    seen = []

    def work(worker: int, count: int) -> None:
        seen.append(max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"))

    with threadpool_limits(limits=2, user_api="blas"):
        chunk_workers.run_chunks(2, work)
        after = max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
    assert seen == [1, 1]
    assert after == 2  # restored for the caller


@pytest.mark.parametrize("rows", [128, 7, 1])
def test_split_matmul_cuts_rows_in_halves_only_on_a_single_threaded_blas(monkeypatch, rows):
    from telar.engine.cpu.threads import blas_threads

    rng = np.random.default_rng(9)
    a = rng.normal(size=(rows, 300)).astype(np.float32)
    b = rng.normal(size=(300, 70)).astype(np.float32)
    calls = []
    original = chunk_workers.run_chunks
    monkeypatch.setattr(chunk_workers, "SPLIT_MATMUL_FLOPS", 1.0)
    monkeypatch.setattr(chunk_workers, "run_chunks",
                        lambda n, work: (calls.append(n), original(n, work)))
    results = {}
    for workers in (1, 2):
        monkeypatch.setattr(chunk_workers, "WORKERS", workers)
        with blas_threads(1):
            results[workers] = chunk_workers.split_matmul(a, b.T.copy().T)  # any layout
    np.testing.assert_array_equal(results[1], results[2])  # same halves on any thread count
    np.testing.assert_allclose(results[2], a.astype(np.float64) @ b, rtol=1e-4, atol=1e-4)
    assert calls == ([2, 2] if rows > 1 else [])
    calls.clear()
    chunk_workers.split_matmul(a, b)  # outside blas_threads(1): one plain product
    assert calls == []


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

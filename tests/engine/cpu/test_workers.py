"""The chunk workers: every chunk to exactly one thread, errors raised after all finish, BLAS
kept to one thread meanwhile, and matrix products split in halves."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from telar.engine.cpu import threads as thread_rules
from telar.engine.cpu import workers as chunk_workers


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
    monkeypatch.setattr(thread_rules, "cores", lambda: 3)
    assert chunk_workers.workers() == 3
    monkeypatch.setattr(thread_rules, "_budget", 5)  # telar.set_num_threads(5) overrides
    assert chunk_workers.workers() == 5
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

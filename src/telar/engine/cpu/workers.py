"""Run numbered chunks of work on a few threads, the same result whatever their number.

The one place telar runs work on several threads. The convolution and max-pool kernels
(:mod:`telar.engine.cpu.conv`, :mod:`telar.engine.cpu.pooling`) process a batch a few samples
at a time, each chunk writing its own rows of the output; the hand-written network
(:mod:`telar.handwritten`) splits a full batch into row blocks the same way. NumPy
releases the GIL inside copies, ufuncs and the BLAS, so two Python threads that take
alternate chunks use two cores. Chunk ``j`` goes to worker ``j mod W``; the chunk boundaries
never depend on ``W``, and a chunk writes only its own slice (or its own partial sum, added
in chunk order afterwards), so the results are bit-identical for any ``W``.

With more than one worker the BLAS is single-threaded while they run
(:func:`telar.engine.cpu.threads.blas_threads` with 1, about 10 microseconds a call; the
training loop already does so for convolutional networks, evaluation does not): BLAS threads
inside the workers would only fight them for the cores. Worker 0 is the calling thread; the
others come from a small persistent pool, so a call costs a task hand-off (~tens of
microseconds), not a thread start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from telar.engine.cpu.threads import blas_limit, blas_threads, chunk_workers_for, thread_budget

WORKERS: int | None = None
"""Threads for chunked kernels; ``None``: the thread budget (one per core this process may
run on, or ``telar.set_num_threads``'s count: :func:`telar.engine.cpu.threads.thread_budget`).
``1`` runs everything on the calling thread."""

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
_inside = threading.local()


def workers() -> int:
    """The most threads :func:`run_chunks` uses: :data:`WORKERS`, else the thread budget."""
    return max(1, WORKERS if WORKERS is not None else thread_budget())


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < size:
            # A larger pool replaces the old one without shutting it down: another thread
            # may hold the old pool and be about to submit to it (a shut-down pool refuses
            # new work). Its idle threads end when it is garbage collected.
            _pool = ThreadPoolExecutor(size, thread_name_prefix="telar-chunks")
            _pool_size = size
        return _pool


def _as_worker(work: Callable[[int, int], None], worker: int, count: int) -> None:
    _inside.active = True
    try:
        work(worker, count)
    finally:
        _inside.active = False


def run_chunks(n_chunks: int, work: Callable[[int, int], None],
               max_workers: int | None = None) -> None:
    """Call ``work(worker, count)`` for ``worker = 0 .. count-1`` on ``count`` threads.

    ``work(w, count)`` must process chunks ``w, w + count, w + 2 count, ...`` of ``n_chunks``
    and touch only what those chunks own (plus per-thread scratch). ``count`` is
    ``min(max_workers or workers(), n_chunks)``; with one worker (or when called from inside
    a worker) the whole job runs on the calling thread. Every worker has finished when this
    returns; the first worker exception is raised then.
    """
    count = chunk_workers_for(max_workers or workers(), n_chunks)
    if count <= 1 or getattr(_inside, "active", False):
        work(0, 1)
        return
    pool = _executor(count - 1)
    with blas_threads(1):  # ~10 us; the workers are the parallelism (inference sets none)
        others = [pool.submit(_as_worker, work, w, count) for w in range(1, count)]
        try:
            work(0, count)
        finally:
            errors = [f.exception() for f in others]  # waits: no worker writes after this
    for error in errors:
        if error is not None:
            raise error


SPLIT_MATMUL_FLOPS = 16e6
"""Products from this size (``2 M K N`` FLOPs) are split in halves by :func:`split_matmul`."""


def split_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D arrays; with BLAS held to one thread (``blas_threads(1)``, as the
    training loop does for convolutional networks) and a product of at least
    :data:`SPLIT_MATMUL_FLOPS`, the rows of ``a`` are cut in two halves computed by
    :func:`run_chunks`, one GEMM per half, so dense layers use two cores as well.

    The halves do not depend on the number of workers (one worker computes both in turn), so
    the result is the same bits for any thread count. On the standard CNN's
    ``linear(3136 -> 128)`` (forward and both gradients, 2 cores) halves take half the time
    of one single-threaded GEMM; quarters are slower again (smaller GEMMs).
    """
    m = a.shape[0]
    flops = 2.0 * m * a.shape[1] * b.shape[1]
    if not isinstance(a, np.ndarray) or blas_limit() != 1 or m < 2 or flops < SPLIT_MATMUL_FLOPS:
        return a @ b
    out = np.empty((m, b.shape[1]), dtype=np.result_type(a, b))
    half = -(-m // 2)

    def halves(worker: int, count: int) -> None:
        for j in range(worker, 2, count):
            rows = slice(j * half, (j + 1) * half)
            np.matmul(a[rows], b, out=out[rows])

    run_chunks(2, halves)
    return out


__all__ = ["SPLIT_MATMUL_FLOPS", "WORKERS", "run_chunks", "split_matmul", "workers"]

"""Run numbered chunks of work on a few threads, the same result whatever their number.

The convolution kernels (:mod:`telar.functional_conv`) process a batch a few samples at a
time: an im2col copy and a GEMM per chunk, each writing its own rows of the output. NumPy
releases the GIL inside copies, ufuncs and the BLAS, so two Python threads that take
alternate chunks use two cores. Chunk ``j`` goes to worker ``j mod W``; the chunk boundaries
never depend on ``W``, and a chunk writes only its own slice (or its own partial sum, added
in chunk order afterwards), so the results are bit-identical for any ``W``.

With more than one worker the BLAS is single-threaded while they run
(``telar.threads.blas_threads(1)``, about 10 microseconds a call; the training loop already
does so for convolutional networks, evaluation does not): BLAS threads inside the workers
would only fight them for the cores. Worker 0 is the calling thread; the others come from a
small persistent pool, so a call costs a task hand-off (~tens of microseconds), not a thread
start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from telar.threads import blas_threads, cores

WORKERS: int | None = None
"""Threads for chunked kernels; ``None``: one per core this process may run on
(:func:`telar.threads.cores`). ``1`` runs everything on the calling thread."""

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()
_inside = threading.local()


def workers() -> int:
    """The number of threads :func:`run_chunks` uses: :data:`WORKERS`, else the core count."""
    return max(1, WORKERS if WORKERS is not None else cores())


def _executor(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < size:
            if _pool is not None:
                _pool.shutdown(wait=True)
            _pool = ThreadPoolExecutor(size, thread_name_prefix="telar-chunks")
            _pool_size = size
        return _pool


def _as_worker(work: Callable[[int, int], None], worker: int, count: int) -> None:
    _inside.active = True
    try:
        work(worker, count)
    finally:
        _inside.active = False


def run_chunks(n_chunks: int, work: Callable[[int, int], None]) -> None:
    """Call ``work(worker, count)`` for ``worker = 0 .. count-1`` on ``count`` threads.

    ``work(w, count)`` must process chunks ``w, w + count, w + 2 count, ...`` of ``n_chunks``
    and touch only what those chunks own (plus per-thread scratch). ``count`` is
    ``min(workers(), n_chunks)``; with one worker (or when called from inside a worker) the
    whole job runs on the calling thread. Every worker has finished when this returns; the
    first worker exception is raised then.
    """
    count = min(workers(), n_chunks)
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


__all__ = ["WORKERS", "run_chunks", "workers"]

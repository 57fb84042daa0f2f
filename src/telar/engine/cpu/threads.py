"""How many BLAS threads a training step gets, decided by the size of its matrix products.

A product of ``(n, k) @ (k, m)`` costs ``2 n k m`` floating-point operations. OpenBLAS's
threads only pay off when a product is big enough to hide the cost of waking and joining
them, and threads that wait for a core another process holds are far slower still.
Measured on the 2-core machines (float32, 1 vs 2 threads):

- the report's network, batch 128: its largest product ``128 x 784 x 64`` is 12.8 MFLOP;
  an epoch took 0.45 s on 1 thread and 0.48-0.54 s on 2 (several seconds when another
  process held the second core);
- the ``mlp`` preset, batch 128: ``128 x 784 x 1024`` (205 MFLOP) took 2.86 ms on 1 thread and
  1.49 ms on 2; ``128 x 1024 x 512`` (134 MFLOP) 1.86 ms and 1.01 ms; a whole epoch 9.7 s on
  1 thread, 7.3 s on 2.

The rule (:func:`threads_for`, a pure function of the core count and the problem size, so it
is tested for any machine): with ``c`` cores and a largest product of ``f`` FLOPs per batch,

    threads = 1                                         if f <  MIN_FLOPS_FOR_THREADS
    threads = min(c, floor(f / MIN_FLOPS_PER_THREAD))   otherwise

so every BLAS thread gets at least :data:`MIN_FLOPS_PER_THREAD` (25 MFLOP, a third of what one
thread had in the 2-core measurement above that paid off) of each product: on 2 cores the
``mlp`` preset gets both, on 16 cores 8 (205 / 25), where waking 16 threads for a 1.5 ms
product costs more than it saves (the 16-core figures of issue 17 are pending a machine). The
chunked kernels (:mod:`telar.engine.cpu.workers`) take ``min(c, chunks)`` threads
(:func:`chunk_workers_for`). ``c`` is :func:`thread_budget`: the cores this process may run
on, or the count set by :func:`set_thread_budget` (``telar.set_num_threads``, ``telar train
--threads N``), which overrides the rule's ``c`` everywhere.

The report's network on a full batch splits the rows into blocks that Python threads process
side by side (:meth:`telar.handwritten.HandwrittenNetwork.train_gradients`), each block with
one BLAS thread. ``threadpoolctl`` ships with scikit-learn.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from threadpoolctl import ThreadpoolController

#: Largest product per batch (in FLOPs) from which more than one BLAS thread is used.
MIN_FLOPS_FOR_THREADS = 50e6
#: FLOPs of the largest product each BLAS thread must get (see the module doc).
MIN_FLOPS_PER_THREAD = 25e6


def threads_for(cores: int, flops: float) -> int:
    """BLAS threads for a step whose largest product costs ``flops``, on ``cores`` cores:
    1 below :data:`MIN_FLOPS_FOR_THREADS`, else ``min(cores, flops // MIN_FLOPS_PER_THREAD)``.

    >>> threads_for(16, 205e6), threads_for(2, 205e6), threads_for(16, 12.8e6)
    (8, 2, 1)
    """
    if flops < MIN_FLOPS_FOR_THREADS:
        return 1
    return max(1, min(int(cores), int(flops // MIN_FLOPS_PER_THREAD)))


def chunk_workers_for(cores: int, n_chunks: int) -> int:
    """Threads for ``n_chunks`` chunks of a tuned kernel on ``cores`` cores: one per chunk, at
    most one per core (a chunk is already a cache-sized piece of work, ~2 MB)."""
    return max(1, min(int(cores), int(n_chunks)))


_budget: int | None = None  # set_thread_budget's count; None: the cores (the rule decides)


def set_thread_budget(n: int | None) -> None:
    """Use at most ``n`` threads from now on (``None``: the cores this process may run on):
    the ``c`` of :func:`threads_for` and :func:`chunk_workers_for`, and the BLAS limit of the
    steps that would otherwise keep the BLAS default. ``telar.set_num_threads``."""
    global _budget
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"the number of threads must be a positive int, got {n!r}")
    _budget = n


def thread_budget() -> int:
    """The ``c`` of the thread rule: the count set by :func:`set_thread_budget`, else
    :func:`cores`."""
    return _budget if _budget is not None else cores()


def thread_budget_set() -> int | None:
    """The count set by :func:`set_thread_budget`, ``None`` when the cores decide."""
    return _budget


def matmul_flops(batch_size: int, layer_sizes: list[tuple[int, int]]) -> float:
    """FLOPs of the largest forward product ``(b, n_in) @ (n_in, n_out)``: ``2 b n_in n_out``."""
    return max((2.0 * batch_size * n_in * n_out for n_in, n_out in layer_sizes), default=0.0)


def threads_for_flops(flops: float) -> int | None:
    """:func:`threads_for` on this machine (:func:`thread_budget`); ``None`` (leave the BLAS
    default, all cores) when that is every core and no budget was set."""
    budget = thread_budget()
    threads = threads_for(budget, flops)
    return None if threads >= budget and _budget is None else threads


def threads_for_layers(batch_size: int, layer_sizes: list[tuple[int, int]]) -> int | None:
    """BLAS threads for a step on ``batch_size`` rows through dense layers of these sizes."""
    return threads_for_flops(matmul_flops(batch_size, layer_sizes))


# The BLAS thread count is one setting for the whole process, while blas_threads blocks open
# and close on any thread (a web server scores uploads on several): the blocks open now are
# counted under a lock, the first to open saves the library's own setting and the last to
# close restores it, so threads that overlap never leave the BLAS stuck at one thread.
_lock = threading.Lock()
_open: list[int] = []  # the limits of the blocks open now, in the order they opened
_saved: Any = None  # the limiter holding the BLAS's own settings while any block is open
_local = threading.local()  # this thread's innermost limit, for blas_limit()


@contextlib.contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Limit BLAS to ``n`` threads inside the block (``None``: leave the default). Blocks may
    nest and may overlap on several threads; the smallest limit open anywhere is in force."""
    global _saved
    if n is None:
        yield
        return
    outer = getattr(_local, "limit", None)
    with _lock:
        if not _open:
            _saved = _controller().limit(limits=n, user_api="blas")
        elif n < min(_open):
            _controller().limit(limits=n, user_api="blas")
        _open.append(n)
    _local.limit = n
    try:
        yield
    finally:
        _local.limit = outer
        with _lock:
            _open.remove(n)
            if not _open:
                _saved.restore_original_limits()
                _saved = None
            elif n < min(_open):
                _controller().limit(limits=min(_open), user_api="blas")


def blas_limit() -> int | None:
    """The thread count set by this thread's innermost :func:`blas_threads` block, if any."""
    return getattr(_local, "limit", None)


_controller_cache: tuple[int, ThreadpoolController] | None = None


def _controller() -> ThreadpoolController:
    # Finding the loaded BLAS libraries takes ~0.4-4 ms; a full-batch epoch enters
    # blas_threads once per 0.1 s epoch, so the controller is kept. It is found again when
    # modules were imported since, because an import can load another BLAS (scikit-learn
    # brings SciPy's OpenBLAS, which a stale controller would leave unlimited).
    global _controller_cache
    loaded = len(sys.modules)
    if _controller_cache is None or _controller_cache[0] != loaded:
        _controller_cache = (loaded, ThreadpoolController())
    return _controller_cache[1]


def cores() -> int:
    """CPU cores this process may run on: the number of threads for row blocks."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1

"""BLAS thread count for the seed network's matrix products.

Measured on the 2-core machines: a batch of 128 makes matrices too small for OpenBLAS's
threads to pay off (1 thread: 0.45 s per epoch, 2 threads: 0.48-0.54 s, and several seconds
when another process holds the second core). A full batch of 60,000 rows is split by the
network itself into row blocks that two Python threads process side by side
(:data:`telar.seed.network.BLOCK_ROWS`), each block's products too small for BLAS threads
again. Hence training pins BLAS to one thread whatever the batch size.
``threadpoolctl`` ships with scikit-learn.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController


@contextlib.contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Limit BLAS to ``n`` threads inside the block (``None``: leave the default)."""
    if n is None:
        yield
        return
    with _controller().limit(limits=n, user_api="blas"):
        yield


@functools.cache
def _controller() -> ThreadpoolController:
    # Finding the loaded BLAS libraries takes ~0.4 ms; a full-batch epoch enters
    # blas_threads once per 0.1 s epoch, so the controller is found once and kept.
    return ThreadpoolController()


def cores() -> int:
    """CPU cores this process may run on: the number of threads for row blocks."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_for_batch(batch_size: int) -> int | None:
    """BLAS threads for a training step on ``batch_size`` rows: 1 (see the module doc)."""
    return 1

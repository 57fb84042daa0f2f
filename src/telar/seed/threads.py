"""BLAS thread count for the seed network's matrix products.

Measured on the 2-core machines: a batch of 128 makes matrices too small for OpenBLAS's
threads to pay off (1 thread: 0.45 s per epoch, 2 threads: 0.48-0.54 s, and several seconds
when another process holds the second core), while a full-batch product of 60,000 rows runs
~1.6x faster on 2 threads. Hence mini-batch training pins BLAS to one thread and full-batch
training uses all of them. ``threadpoolctl`` ships with scikit-learn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from threadpoolctl import threadpool_limits

#: Batches at or below this size run with one BLAS thread.
SMALL_BATCH = 1024


@contextlib.contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Limit BLAS to ``n`` threads inside the block (``None``: leave the default)."""
    if n is None:
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


def threads_for_batch(batch_size: int) -> int | None:
    """1 for small batches, ``None`` (all threads) for large ones."""
    return 1 if batch_size <= SMALL_BATCH else None

"""Cache-sized work: how many samples a chunk holds, and per-thread scratch buffers.

The convolution and max-pool kernels process a batch a few samples at a time, so that each
chunk's working arrays (an im2col matrix, a pooling window's comparisons) stay in the L2
cache while they are used. Their work arrays are per-thread buffers reused from call to call:
reuse keeps the memory warm in cache and spares a fresh allocation's page faults every step.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

CHUNK_BYTES = 2 << 20
"""Target size of one chunk's im2col matrix: about an L2 cache (2 MB measured best here)."""


def chunk_samples(n: int, bytes_per_sample: int) -> int:
    """Samples per chunk so that a chunk's im2col matrix holds at most about
    :data:`CHUNK_BYTES`, the chunks as even as their number allows (128 samples of at most 74
    per chunk: 64 + 64, not 74 + 54, so that two threads finish together)."""
    most = max(1, min(n, CHUNK_BYTES // max(1, bytes_per_sample)))
    return -(-n // -(-n // most))


_scratch_local = threading.local()


def scratch(shape: tuple[int, ...], dtype: Any, slot: int = 0) -> np.ndarray:
    """A per-thread work array of ``shape`` in buffer ``slot``, reused from call to call (never
    returned to a caller: its contents live only until the slot's next use). Reuse keeps the
    chunk's memory in cache and spares a fresh allocation's page faults on every step."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    buffers = getattr(_scratch_local, "buffers", None)
    if buffers is None:
        buffers = _scratch_local.buffers = {}
    buffer = buffers.get(slot)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = buffers[slot] = np.empty(nbytes, dtype=np.uint8)
    return buffer[:nbytes].view(dtype).reshape(shape)

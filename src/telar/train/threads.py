"""BLAS thread policy for training, decided by the size of the matrix products.

A product of ``(n, k) @ (k, m)`` costs ``2 n k m`` floating-point operations. OpenBLAS's
threads only pay off when a product is big enough to hide the cost of waking and joining
them. Measured on the 2-core machines (single products, float32, 1 vs 2 threads):

- the report's network, batch 128: its largest product ``128 x 784 x 64`` is 12.8 MFLOP;
  2 threads were slower (0.45 s per epoch on 1 thread, 0.48-0.54 s on 2; see
  :mod:`telar.seed.threads`);
- the ``mlp`` preset, batch 128: ``128 x 784 x 1024`` (205 MFLOP) took 2.86 ms on 1 thread and
  1.49 ms on 2; ``128 x 1024 x 512`` (134 MFLOP) 1.86 ms and 1.01 ms; a whole epoch 9.7 s on
  1 thread, 7.3 s on 2.

So a network whose largest product per batch reaches :data:`MIN_FLOPS_FOR_THREADS` (between
the two measured points) trains with all BLAS threads, a smaller one with one.
"""

from __future__ import annotations

#: Largest product per batch (in FLOPs) from which all BLAS threads are used.
MIN_FLOPS_FOR_THREADS = 50e6


def matmul_flops(batch_size: int, layer_sizes: list[tuple[int, int]]) -> float:
    """FLOPs of the largest forward product ``(b, n_in) @ (n_in, n_out)``: ``2 b n_in n_out``."""
    return max((2.0 * batch_size * n_in * n_out for n_in, n_out in layer_sizes), default=0.0)


def threads_for_flops(flops: float) -> int | None:
    """1 BLAS thread below :data:`MIN_FLOPS_FOR_THREADS`, ``None`` (all threads) from it."""
    return None if flops >= MIN_FLOPS_FOR_THREADS else 1

"""Epochs for the seed network: full batch (the report's) and shuffled mini-batches."""

from __future__ import annotations

import numpy as np

from telar.seed.learner import SeedLearner
from telar.threads import blas_threads, threads_for_layers


def full_batch_epoch(learner: SeedLearner, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """One update on all of ``x`` (the report's epoch). Returns (loss, accuracy) before it."""
    loss, correct = learner.train_step(x, y)  # a large batch sets its own threads (row blocks)
    return loss, correct / x.shape[0]


def minibatch_epoch(
    learner: SeedLearner,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """One epoch of shuffled mini-batches (a fresh permutation from ``rng``; last batch short).

    Each batch is gathered with ``np.take(..., out=, mode="clip")`` into a reused buffer
    (``mode="raise"`` would buffer the output again; indices come from a permutation, so they
    are always in range). BLAS threads follow the size of the products (:mod:`telar.threads`:
    one thread for the report's network). Returns the sample-weighted mean training loss and the
    accuracy, both measured before each update.
    """
    n = x.shape[0]
    order = rng.permutation(n)
    xb = np.empty((batch_size, x.shape[1]), x.dtype)
    yb = np.empty(batch_size, y.dtype)
    with blas_threads(threads_for_layers(batch_size, learner.matmul_layer_sizes())):
        total_loss, total_correct = _run_batches(learner, x, y, order, xb, yb)
    return total_loss / n, total_correct / n


def _run_batches(learner, x, y, order, xb, yb) -> tuple[float, int]:
    batch_size, n = xb.shape[0], x.shape[0]
    total_loss, total_correct = 0.0, 0
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        k = idx.shape[0]
        xs, ys = (xb, yb) if k == batch_size else (xb[:k], yb[:k])
        np.take(x, idx, axis=0, out=xs, mode="clip")
        np.take(y, idx, out=ys, mode="clip")
        loss, correct = learner.train_step(xs, ys)
        total_loss += loss * k
        total_correct += correct
    return total_loss, total_correct

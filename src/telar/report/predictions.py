"""The test set a run was trained with, and a model's class probabilities on it.

``_predictions`` is the one place the report asks a model for probabilities; when the single
evaluation module lands it should call that instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from telar.errors import TelarError
from telar.report.run_folder import RunFolder


def load_run_test_set(run: RunFolder) -> tuple[np.ndarray, np.ndarray, str]:
    """``(images uint8 (n, 28, 28), labels int64, where from)`` of the data set the run's
    config.toml names (``data``, ``train_csv``/``test_csv``), or the one telar finds."""
    from telar.data import load_fashion_mnist

    train = run.train_section()
    try:
        data = load_fashion_mnist(train.get("data") or None,
                                  train_csv=train.get("train_csv") or None,
                                  test_csv=train.get("test_csv") or None,
                                  download=False, progress=False)
    except TelarError as exc:
        raise TelarError(f"{run.path}: cannot load the run's test set: {exc}") from None
    return data.test_images, data.test_labels.astype(np.int64), f"{data.source} (test set)"


def softmax(logits: np.ndarray) -> np.ndarray:
    """``p[i, k] = exp(z[i, k] - max_k z[i]) / sum_k exp(z[i, k] - max_k z[i])`` (stable)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _predictions(predictor: Any, images: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Class probabilities ``(n, classes)`` float64 of ``predictor`` on uint8 ``images``."""
    x = predictor.preprocess(images)
    if len(x) == 0:
        return np.zeros((0, len(predictor.class_names)))
    logits = np.concatenate([predictor.logits(x[i:i + chunk]) for i in range(0, len(x), chunk)])
    return softmax(logits)

"""The test set a run was trained with, and a model's class probabilities on it.

``probabilities_of`` is the one place the report and the web app ask a model for probabilities;
it goes through :meth:`telar.app.inference.Predictor.probabilities`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from telar.app.run_folder import RunFolder
from telar.data import load_fashion_mnist
from telar.errors import TelarError


def load_run_test_set(run: RunFolder) -> tuple[np.ndarray, np.ndarray, str]:
    """``(images uint8 (n, 28, 28), labels int64, where from)`` of the data set the run's
    config.toml names (``data``, ``train_csv``/``test_csv``), or the one telar finds."""
    train = run.train_section()
    for key in ("data", "train_csv", "test_csv"):
        if not isinstance(train.get(key) or "", str):
            raise TelarError(f"{run.config_path}: {key}: expected a path (text), got "
                             f"{type(train[key]).__name__}")
    try:
        data = load_fashion_mnist(train.get("data") or None,
                                  train_csv=train.get("train_csv") or None,
                                  test_csv=train.get("test_csv") or None,
                                  download=False, progress=False)
    except TelarError as exc:
        raise TelarError(f"{run.path}: cannot load the run's test set: {exc}") from None
    return data.test_images, data.test_labels.astype(np.int64), f"{data.source} (test set)"


def probabilities_of(predictor: Any, images: np.ndarray) -> np.ndarray:
    """Class probabilities ``(n, classes)`` float64 of ``predictor`` on uint8 ``images``
    (:meth:`telar.app.inference.Predictor.probabilities`, chunked there)."""
    x = predictor.preprocess(images)
    if len(x) == 0:
        return np.zeros((0, len(predictor.class_names)))
    return np.asarray(predictor.probabilities(x), dtype=np.float64)

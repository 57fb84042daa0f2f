"""The arrays a run trains and is scored on: training, validation (or test) and test sets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telar.app.runs.config import TrainConfig
from telar.data import load_fashion_mnist, stratified_split, to_float


@dataclass
class RunData:
    """Training, evaluation (validation, or test when there is no split) and test arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_eval: np.ndarray
    y_eval: np.ndarray
    eval_name: str
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str


def load_run_data(config: TrainConfig) -> RunData:
    """Load the data set the configuration names, keep its first ``train_subset`` training
    images (when set), and split off the validation set from them."""
    data = load_fashion_mnist(config.data or None, train_csv=config.train_csv or None,
                              test_csv=config.test_csv or None)
    keep = slice(config.train_subset or None)
    x, y = to_float(data.train_images[keep]), data.train_labels[keep].astype(np.int64)
    x_test, y_test = to_float(data.test_images), data.test_labels.astype(np.int64)
    if config.val_split:
        train_idx, val_idx = stratified_split(y, config.val_split, config.seed)
        return RunData(x[train_idx], y[train_idx], x[val_idx], y[val_idx], "val", x_test,
                       y_test, tuple(data.class_names), data.source)
    return RunData(x, y, x_test, y_test, "test", x_test, y_test, tuple(data.class_names),
                   data.source)

"""A tiny, learnable stand-in for Fashion-MNIST, written as the four IDX files.

Each class is a fixed random 28×28 template; an image is its class template plus noise,
clipped to 0..255 as uint8. A small network learns it in an epoch or two, so the training
commands can be tested end to end in seconds, without the real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from telar.data import write_idx


def synthetic_images(n: int, seed: int, n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    templates = np.random.default_rng(1234).random((n_classes, 28, 28)) * 200
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n).astype(np.uint8)
    noise = rng.normal(0, 40, size=(n, 28, 28))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    return images, labels


def write_synthetic_fmnist(folder: Path, n_train: int = 600, n_test: int = 200) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    train_x, train_y = synthetic_images(n_train, seed=1)
    test_x, test_y = synthetic_images(n_test, seed=2)
    write_idx(folder / "train-images-idx3-ubyte.gz", train_x)
    write_idx(folder / "train-labels-idx1-ubyte.gz", train_y)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", test_x)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", test_y)
    return folder

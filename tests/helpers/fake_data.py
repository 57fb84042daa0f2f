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


def write_raw(root: Path, name: str, n_train: int = 50, n_test: int = 20, seed: int = 0,
              gz: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Tiny IDX files in ``root/<name>/raw`` as torchvision lays them out; returns train."""
    rng = np.random.default_rng(seed)
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    suffix = ".gz" if gz else ""
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        write_idx(raw / f"{split}-images-idx3-ubyte{suffix}", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte{suffix}", labels)
        arrays[split] = (images, labels)
    return arrays["train"]


def write_subset(root: Path, name: str, data, n_train: int, n_test: int) -> None:
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte", data.train_images[:n_train])
    write_idx(raw / "train-labels-idx1-ubyte", data.train_labels[:n_train])
    write_idx(raw / "t10k-images-idx3-ubyte.gz", data.test_images[:n_test])
    write_idx(raw / "t10k-labels-idx1-ubyte.gz", data.test_labels[:n_test])

"""Every data set the tests write: generated images and labels, and a writer for each layout.

A generator returns the four arrays of a data set, as :func:`telar.data.load_fashion_mnist`
reads them back: ``{"train_images", "train_labels", "test_images", "test_labels"}``, uint8,
images ``(n, 28, 28)``, each set the same for the same arguments:

- :func:`tiny_arrays`: random pixels; labels 0..9 in turn and shuffled (every class in every
  split), in turn, or drawn at random;
- :func:`blank_arrays`: black images, labels 0..9 in turn;
- :func:`synthetic_arrays`: a learnable stand-in for Fashion-MNIST, each class a fixed random
  template and each image its class's template plus noise (:func:`synthetic_images`: one split);
  a small network learns it in an epoch or two, so training is tested end to end in seconds;
- :func:`shape_arrays`: three garments drawn as bright shapes on black (:data:`SHAPE_CLASSES`),
  learnable in seconds, whatever the preprocessing (:func:`shape_images`: one split);
- :func:`noisy_class_arrays`: per split, random class templates plus uniform noise;
- :func:`first_arrays`: the first images of a data set already loaded (the real one).

A writer puts those arrays on disk (or in memory) in one layout, and returns where:

- :func:`write_idx_set`: the four IDX files under Fashion-MNIST's names, gzip-compressed or
  plain, in a folder (:func:`write_synthetic_fmnist`, :func:`write_shape_fmnist`: the two
  learnable sets so written);
- :func:`write_csv_set`: Kaggle's two CSV files in a folder;
- :func:`write_torchvision_raw`: the IDX files in ``root/<Name>/raw``, as torchvision lays
  them out;
- :func:`idx_gz_bytes`: the four ``.gz`` IDX files as bytes, what a mirror serves.

:func:`assert_same_arrays` checks that a data set read back holds exactly what was written.
"""

from __future__ import annotations

import gzip
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from telar.data.csv import write_kaggle_csv
from telar.data.fashion_mnist import CSV_FILES, IDX_FILES
from telar.data.idx import to_idx_bytes, write_idx

Arrays = dict[str, np.ndarray]

#: The shapes set's classes: Trouser is a tall thin bar, Sneaker a wide low bar, Bag a large
#: square. The class is a matter of shape, not position or size, so it survives any sensible
#: preprocessing (resize, or crop to the object and fit keeping the aspect ratio).
SHAPE_CLASSES = {1: "Trouser", 7: "Sneaker", 8: "Bag"}
#: class -> ((min height, max height), (min width, max width)) in a 28×28 image
SHAPE_SIZES = {1: ((27, 28), (5, 9)), 7: ((5, 9), (27, 28)), 8: ((25, 28), (25, 28))}


# ------------------------------------------------------------------------------- generators


def tiny_arrays(n_train: int = 30, n_test: int = 20, seed: int = 0, *,
                labels: str = "shuffled") -> Arrays:
    """Random uint8 images; ``labels`` 0..9 in turn and then "shuffled" (all ten classes in a
    split of ten or more), 0..9 in turn ("cycled"), or "drawn" uniformly at random.

    Each split draws its images, then its labels, from one generator seeded ``seed``.
    """
    if labels not in ("shuffled", "cycled", "drawn"):
        raise ValueError(f"labels: expected shuffled, cycled or drawn, got {labels!r}")
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        arrays[f"{split}_images"] = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        if labels == "drawn":
            arrays[f"{split}_labels"] = rng.integers(0, 10, n).astype(np.uint8)
        else:
            arrays[f"{split}_labels"] = (np.arange(n) % 10).astype(np.uint8)
            if labels == "shuffled":
                rng.shuffle(arrays[f"{split}_labels"])
    return arrays


def blank_arrays(n_train: int, n_test: int) -> Arrays:
    """Black images; labels 0..9 in turn."""
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        arrays[f"{split}_images"] = np.zeros((n, 28, 28), np.uint8)
        arrays[f"{split}_labels"] = np.arange(n, dtype=np.uint8) % 10
    return arrays


def synthetic_images(n: int, seed: int, n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images and labels: each class a fixed random 28×28 template (the same for every
    call), an image its class template plus noise, clipped to 0..255 as uint8."""
    templates = np.random.default_rng(1234).random((n_classes, 28, 28)) * 200
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n).astype(np.uint8)
    noise = rng.normal(0, 40, size=(n, 28, 28))
    images = np.clip(templates[labels] + noise, 0, 255).astype(np.uint8)
    return images, labels


def synthetic_arrays(n_train: int = 600, n_test: int = 200) -> Arrays:
    """The synthetic set: :func:`synthetic_images` seeded 1 for training and 2 for test."""
    return _splits(synthetic_images(n_train, seed=1), synthetic_images(n_test, seed=2))


def shape_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images of the :data:`SHAPE_CLASSES` garments, one bright shape each on black, its
    size, place and brightness drawn, plus noise; and their labels."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(sorted(SHAPE_CLASSES), size=n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.float64)
    for i, label in enumerate(labels):
        (h0, h1), (w0, w1) = SHAPE_SIZES[int(label)]
        h, w = rng.integers(h0, h1 + 1), rng.integers(w0, w1 + 1)
        top = (28 - h) // 2 + rng.integers(-1, 2)
        left = (28 - w) // 2 + rng.integers(-1, 2)
        images[i, max(top, 0):top + h, max(left, 0):left + w] = rng.uniform(170, 255)
    images += rng.normal(0, 12, images.shape)
    return np.clip(images, 0, 255).astype(np.uint8), labels


def shape_arrays(n_train: int = 600, n_test: int = 90) -> Arrays:
    """The shapes set: :func:`shape_images` seeded 1 for training and 2 for test."""
    return _splits(shape_images(n_train, 1), shape_images(n_test, 2))


def noisy_class_arrays(n_train: int = 120, n_test: int = 40, seed: int = 0) -> Arrays:
    """Per split: drawn labels, ten random class templates, and each image its class's
    template plus uniform noise in [-30, 30), clipped to 0..255 (train and test do not share
    templates: a set for bookkeeping, not for learning)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        base = rng.integers(0, 256, (10, 28, 28))
        images = np.clip(base[labels] + rng.integers(-30, 30, (n, 28, 28)), 0, 255)
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images.astype(np.uint8), labels
    return arrays


def first_arrays(data: Any, n_train: int, n_test: int) -> Arrays:
    """The first ``n_train`` training and ``n_test`` test images and labels of ``data`` (a
    loaded data set such as :class:`telar.data.FashionMNIST`)."""
    return {name: getattr(data, name)[:n_train if name.startswith("train") else n_test]
            for name in IDX_FILES}


def _splits(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]) -> Arrays:
    return {"train_images": train[0], "train_labels": train[1],
            "test_images": test[0], "test_labels": test[1]}


# ---------------------------------------------------------------------------------- writers


def write_idx_set(folder: Path, arrays: Arrays, *, gz: bool = True) -> Path:
    """The four IDX files (``train-images-idx3-ubyte[.gz]``...) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, stem in IDX_FILES.items():
        write_idx(folder / (f"{stem}.gz" if gz else stem), arrays[name])
    return folder


def write_csv_set(folder: Path, arrays: Arrays) -> Path:
    """Kaggle's two CSV files (``fashion-mnist_train.csv``, ``fashion-mnist_test.csv``) in
    ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        write_kaggle_csv(folder / CSV_FILES[split], arrays[f"{split}_images"],
                         arrays[f"{split}_labels"])
    return folder


def write_torchvision_raw(root: Path, name: str, arrays: Arrays, *,
                          gz: bool | Collection[str] = True) -> Path:
    """The four IDX files in ``root/<name>/raw`` (made here), as torchvision lays them out;
    ``gz``: compress all, none, or the splits named ("train", "test")."""
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    for key, stem in IDX_FILES.items():
        compressed = gz if isinstance(gz, bool) else key.split("_")[0] in gz
        write_idx(raw / (f"{stem}.gz" if compressed else stem), arrays[key])
    return raw


def write_synthetic_fmnist(folder: Path, n_train: int = 600, n_test: int = 200) -> Path:
    """The synthetic set (:func:`synthetic_arrays`) as the four ``.gz`` IDX files in ``folder``.

    ``write_synthetic_fmnist(Path("data"), n_train=300, n_test=100)`` is the data the saved
    runs of tests/fixtures were trained and scored on: it must stay byte for byte the same.
    """
    return write_idx_set(folder, synthetic_arrays(n_train, n_test))


def write_shape_fmnist(folder: Path, n_train: int = 600, n_test: int = 90) -> Path:
    """The shapes set (:func:`shape_arrays`) as the four ``.gz`` IDX files in ``folder``."""
    return write_idx_set(folder, shape_arrays(n_train, n_test))


def idx_gz_bytes(arrays: Arrays) -> dict[str, bytes]:
    """The four IDX files, gzip-compressed, as bytes under their file names (what a mirror
    serves: ``{"train-images-idx3-ubyte.gz": ..., ...}``)."""
    return {f"{stem}.gz": gzip.compress(to_idx_bytes(arrays[name]))
            for name, stem in IDX_FILES.items()}


def assert_same_arrays(data: Any, arrays: Arrays) -> None:
    """``data`` (a data set read back) holds ``arrays`` exactly, as uint8."""
    for name, expected in arrays.items():
        got = getattr(data, name)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, expected)


def write_fake_cifar(root: Path, n_per_batch: int = 4, protocol: int = 2, seed: int = 0) -> dict:
    """A tiny ``cifar-10-batches-py`` archive: 5 training batches, a test batch, the meta."""
    import pickle

    from telar.data import cifar

    folder = root / cifar.FOLDER
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    batches = {}
    for name in (*cifar.TRAIN_BATCHES, *cifar.TEST_BATCHES):
        data = rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n_per_batch)]
        batches[name] = (data, labels)
        content = {b"batch_label": b"fake", b"data": data, b"labels": labels,
                   b"filenames": [b"x.png"] * n_per_batch}
        (folder / name).write_bytes(pickle.dumps(content, protocol=protocol))
    meta = {"label_names": list(cifar.CLASSES), "num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=protocol))
    return batches

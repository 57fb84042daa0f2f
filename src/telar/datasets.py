"""``telar.datasets.FashionMNIST`` / ``MNIST`` / ``KMNIST`` / ``EMNIST`` / ``CIFAR10`` with
torchvision's signatures: ``FashionMNIST(root, train=True, transform=None,
target_transform=None, download=False)``, ``EMNIST(root, split, train=True, ...)``.

(torchvision's names over telar's data layer, :mod:`telar.data`, which finds, checks and caches
the files; :mod:`telar.utils.data` batches what these return.)

Where the images come from, in order:

1. ``root/<Name>/raw/``: the IDX files (``.gz`` or not), as torchvision lays them out;
2. Fashion-MNIST only: telar's finder (``$TELAR_DATA``, the user cache, Debian's
   ``/usr/share/datasets/fashion-mnist``), its checksums and array cache
   (:func:`telar.data.load_fashion_mnist`), downloading into the user cache if ``download``;
3. MNIST and KMNIST: with ``download=True``, the four files from the data set's mirror into
   ``root/<Name>/raw/``, each checked against the MD5 sum torchvision publishes for it.

4. EMNIST: ``root/EMNIST/raw/emnist-<split>-<train|test>-<images|labels>-idx<3|1>-ubyte[.gz]``
   (torchvision's names, from the archive ``gzip.zip``; not downloaded here: a missing file
   is an error saying where to put it). As torchvision, the images are as the files hold them
   (transposed: EMNIST's own layout).
5. CIFAR10: ``root/cifar-10-batches-py/`` (the python-version archive, extracted), read
   without running pickle (:mod:`telar.data.cifar`); images ``(32, 32, 3)`` ``uint8``.

A sample is ``(transform(image), target)``: ``image`` a ``(28, 28)`` ``uint8`` ndarray (not a PIL
image), ``target`` a Python int. ``.data`` (``uint8`` ``(N, 28, 28)``) and ``.targets`` (int64)
are tensors, as in torchvision. With a batchable transform (``ToTensor``/``Normalize`` and
``Compose`` of them) :meth:`telar_batch` builds whole batches with array operations, which a
``DataLoader`` uses.
"""

from __future__ import annotations

import hashlib
import os
import string
from pathlib import Path
from typing import Any

import numpy as np

from telar.data import cifar
from telar.data.download import download_file
from telar.data.fashion_mnist import CLASS_NAMES, IDX_FILES, load_fashion_mnist
from telar.data.idx import read_idx
from telar.engine import Tensor
from telar.errors import DataError
from telar.utils.data import Dataset, default_collate

#: Name -> (mirror, {file name: MD5 of the .gz}), from torchvision's published resources.
REGISTRY: dict[str, tuple[str, dict[str, str]]] = {
    "MNIST": ("https://ossci-datasets.s3.amazonaws.com/mnist/", {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }),
    "KMNIST": ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/", {
        "train-images-idx3-ubyte.gz": "bdb82020997e1d708af4cf47b453dcf7",
        "train-labels-idx1-ubyte.gz": "e144d726b3acfaa3e44228e80efcd344",
        "t10k-images-idx3-ubyte.gz": "5c965bf0a639b31b8f53240b1b52f4d7",
        "t10k-labels-idx1-ubyte.gz": "7320c461ea6c1c855c0b718fb2a4b134",
    }),
}


class _ImageDataset(Dataset):
    """What the image data sets share: ``_images`` (uint8 ndarray) and ``_labels`` (int64),
    samples through ``transform``/``target_transform``, batches by array operations when the
    transform has a ``batch`` method, and torchvision's ``repr``."""

    classes: list[str]
    root: Path
    train: bool
    transform: Any
    target_transform: Any
    _images: np.ndarray
    _labels: np.ndarray

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self._images[index], int(self._labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def telar_batch(self, indices: np.ndarray | slice) -> Any:
        """The collated batch of samples ``indices``: array operations when the transform
        has a ``batch`` method, else ``default_collate`` of the samples one by one."""
        batch = getattr(self.transform, "batch", None) if self.transform is not None \
            else lambda images: images
        if batch is None or self.target_transform is not None:
            positions = range(len(self))[indices] if isinstance(indices, slice) else indices
            return default_collate([self[int(i)] for i in positions])
        return [Tensor(batch(self._images[indices])), Tensor(self._labels[indices])]

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")


class MNIST(_ImageDataset):
    """MNIST digits (torchvision's ``datasets.MNIST``); see the module docstring."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike[str], train: bool = True,
                 transform: Any = None, target_transform: Any = None,
                 download: bool = False) -> None:
        self.root = Path(os.path.expanduser(root))
        self.train = bool(train)
        self.transform, self.target_transform = transform, target_transform
        images, labels = self._load(download)
        self._images = images
        self._labels = labels.astype(np.int64)
        self.data = Tensor(self._images)
        self.targets = Tensor(self._labels)

    @property
    def raw_folder(self) -> Path:
        return self.root / type(self).__name__ / "raw"

    def _split_files(self, folder: Path) -> tuple[Path, Path] | None:
        split = "train" if self.train else "test"
        found = []
        for name in (f"{split}_images", f"{split}_labels"):
            stem = IDX_FILES[name]
            path = next((p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()), None)
            if path is None:
                return None
            found.append(path)
        return found[0], found[1]

    def _load(self, download: bool) -> tuple[np.ndarray, np.ndarray]:
        files = self._split_files(self.raw_folder)
        if files is None:
            return self._load_elsewhere(download)
        return _read_split(*files)

    def _load_elsewhere(self, download: bool) -> tuple[np.ndarray, np.ndarray]:
        name = type(self).__name__
        if not download:
            raise DataError(f"{name} not found in {self.raw_folder} (the IDX files, .gz or "
                            "not); pass download=True to download it")
        mirror, sums = REGISTRY[name]
        for fname, md5 in sums.items():
            target = self.raw_folder / fname
            if not target.is_file():
                download_file(mirror + fname, target, expected_sha256=None)
                _check_md5(target, md5)
        files = self._split_files(self.raw_folder)
        assert files is not None
        return _read_split(*files)


class FashionMNIST(MNIST):
    """Fashion-MNIST (torchvision's ``datasets.FashionMNIST``); also found by telar's finder."""

    classes = list(CLASS_NAMES)

    def _load_elsewhere(self, download: bool) -> tuple[np.ndarray, np.ndarray]:
        try:
            data = load_fashion_mnist(download=download, progress=False)
        except DataError as exc:
            raise DataError(f"FashionMNIST not in {self.raw_folder}, and {exc}") from None
        if self.train:
            return data.train_images, data.train_labels
        return data.test_images, data.test_labels


class KMNIST(MNIST):
    """Kuzushiji-MNIST (torchvision's ``datasets.KMNIST``)."""

    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """EMNIST (torchvision's ``datasets.EMNIST(root, split, ...)``) from its IDX files."""

    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged = set("cijklmopsuvwxyz")
    _all = sorted(set(string.digits + string.ascii_letters))
    classes_split_dict = {
        "byclass": _all, "bymerge": sorted(set(_all) - _merged),
        "balanced": sorted(set(_all) - _merged),
        "letters": ["N/A", *string.ascii_lowercase],
        "digits": list(string.digits), "mnist": list(string.digits)}

    def __init__(self, root: str | os.PathLike[str], split: str, **kwargs: Any) -> None:
        if split not in self.splits:
            raise DataError(f"EMNIST: split must be one of {', '.join(self.splits)}, got "
                            f"{split!r}")
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    def _split_files(self, folder: Path) -> tuple[Path, Path] | None:
        found = []
        for stem in self._stems():
            path = next((p for p in (folder / stem, folder / f"{stem}.gz") if p.is_file()), None)
            if path is None:
                return None
            found.append(path)
        return found[0], found[1]

    def _stems(self) -> tuple[str, str]:
        prefix = f"emnist-{self.split}-{'train' if self.train else 'test'}"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _load_elsewhere(self, download: bool) -> tuple[np.ndarray, np.ndarray]:
        images, labels = self._stems()
        raise DataError(f"EMNIST {self.split} not found: put {images} and {labels} (.gz or "
                        f"not, from EMNIST's gzip.zip) in {self.raw_folder}; telar does not "
                        "download EMNIST")


class CIFAR10(_ImageDataset):
    """CIFAR-10 (torchvision's ``datasets.CIFAR10``) from the python-version archive.

    ``data`` is a ``uint8`` ndarray ``(N, 32, 32, 3)`` and ``targets`` a list of ints, as in
    torchvision; a sample's image is a ``(32, 32, 3)`` ``uint8`` ndarray (``ToTensor`` makes
    it ``(3, 32, 32)``). Nothing is downloaded: a missing archive is an error naming where to
    put it.
    """

    base_folder = cifar.FOLDER

    def __init__(self, root: str | os.PathLike[str], train: bool = True,
                 transform: Any = None, target_transform: Any = None,
                 download: bool = False) -> None:
        self.root = Path(os.path.expanduser(root))
        self.train = bool(train)
        self.transform, self.target_transform = transform, target_transform
        self.data, labels = cifar.read_split(self.root, self.train)
        self._images, self._labels = self.data, labels.astype(np.int64)
        self.targets = [int(t) for t in labels]
        self.classes = cifar.read_classes(self.root)


def _read_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataError(f"{images_path}: expected uint8 images (N, H, W), found {images.dtype} "
                        f"{images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{labels_path}: expected {len(images)} labels, found shape "
                        f"{labels.shape}")
    return images, labels


def _check_md5(path: Path, expected: str) -> None:
    digest = hashlib.md5(path.read_bytes()).hexdigest()  # noqa: S324 - the published sums
    if digest != expected:
        path.unlink(missing_ok=True)
        raise DataError(f"{path}: MD5 {digest} is not the published {expected}; the download "
                        "was deleted")


__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "CIFAR10", "REGISTRY"]

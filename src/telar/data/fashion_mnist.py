"""Fashion-MNIST: find it, load it (IDX or Kaggle CSV), verify it, cache it, download it.

Where :func:`load_fashion_mnist` looks, in order:

1. ``data_dir`` (the CLI's ``--data DIR``): the four IDX files (``.gz`` or raw) or the two
   Kaggle CSVs ``fashion-mnist_train.csv`` and ``fashion-mnist_test.csv``;
2. ``$TELAR_DATA``, the same kinds of folder;
3. the user cache ``$XDG_CACHE_HOME/telar/fashion-mnist`` (``~/.cache/telar/...``);
4. ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``;
   ``$TELAR_SYSTEM_DATA`` names another folder);
5. a download from the mirror into the user cache.

An explicitly named folder (1, 2) that holds no data set is an error, not skipped. Each
source is parsed once and its arrays cached as ``.npy`` (see :mod:`telar.data.cache`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from telar.data import cache
from telar.data.csv import MAX_CSV_BYTES, read_kaggle_csv
from telar.data.download import download_files, mirror_url, size_cap
from telar.data.files import check_size, file_kind
from telar.data.idx import MAX_PAYLOAD_BYTES, read_idx, to_idx_bytes
from telar.errors import DataError

CLASS_NAMES: tuple[str, ...] = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

#: Array name -> IDX file name (without ``.gz``).
IDX_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
CSV_FILES: dict[str, str] = {"train": "fashion-mnist_train.csv", "test": "fashion-mnist_test.csv"}

#: SHA-256 of each *decompressed* official IDX payload. Computed from Debian's
#: dataset-fashion-mnist files, whose payloads are the official ones (only their gzip
#: compression differs, which is why the compressed bytes are not what we check).
OFFICIAL_SHA256: dict[str, str] = {
    "train_images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train_labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "test_images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "test_labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

#: Size in bytes of each official ``.gz`` file on the mirror (Debian's are 24 bytes shorter:
#: no file name in the gzip header). Downloads are capped near these (see ``size_cap``).
OFFICIAL_GZ_BYTES: dict[str, int] = {
    "train_images": 26_421_880,
    "train_labels": 29_515,
    "test_images": 4_422_102,
    "test_labels": 5_148,
}

DATA_ENV = "TELAR_DATA"
SYSTEM_ENV = "TELAR_SYSTEM_DATA"
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")


@dataclass
class FashionMNIST:
    """The four arrays, where they came from, and whether they are the official payloads."""

    train_images: np.ndarray  # (60000, 28, 28) uint8
    train_labels: np.ndarray  # (60000,) uint8
    test_images: np.ndarray  # (10000, 28, 28) uint8
    test_labels: np.ndarray  # (10000,) uint8
    source: str  # e.g. "/usr/share/datasets/fashion-mnist (system package)"
    class_names: tuple[str, ...] = CLASS_NAMES
    #: array name -> True when its IDX payload's SHA-256 is the official one.
    checksums: dict[str, bool] = field(default_factory=dict)
    from_cache: bool = False

    @property
    def checksums_ok(self) -> bool:
        return bool(self.checksums) and all(self.checksums.values())


@dataclass
class Source:
    """Files holding the data set: ``kind`` is ``"idx"`` (4 files) or ``"csv"`` (2 files)."""

    kind: str
    files: dict[str, Path]
    where: str  # how the finder got there, for messages


def system_dir() -> Path:
    return Path(os.environ.get(SYSTEM_ENV) or SYSTEM_DIR)


def download_dir() -> Path:
    """Where downloads go and where the finder's cache step looks."""
    return cache.cache_root() / "fashion-mnist"


def find_in_folder(folder: Path, where: str, *, partial_ok: bool = False) -> Source | None:
    """The IDX files (preferred) or the two Kaggle CSVs in ``folder``; ``None`` if neither.

    A folder holding only some of the four IDX files is an error naming the missing ones,
    unless ``partial_ok`` (the download folder, where a later download completes the set).
    """
    found: dict[str, Path] = {}
    for name, stem in IDX_FILES.items():
        for candidate in (folder / f"{stem}.gz", folder / stem):
            if candidate.is_file():
                found[name] = candidate
                break
    if len(found) == len(IDX_FILES):
        return Source("idx", found, where)
    csvs = {name: folder / fname for name, fname in CSV_FILES.items()}
    if all(p.is_file() for p in csvs.values()):
        return Source("csv", csvs, where)
    if found and not partial_ok:
        missing = ", ".join(f"{IDX_FILES[n]}[.gz]" for n in IDX_FILES if n not in found)
        raise DataError(f"{folder}: incomplete Fashion-MNIST IDX set, missing {missing}")
    return None


def _explicit_folder(folder: Path, where: str) -> Source:
    if not folder.exists():
        raise DataError(f"{where}: {folder}: no such folder")
    if not folder.is_dir():
        raise DataError(f"{where}: {folder}: not a folder")
    source = find_in_folder(folder, where)
    if source is None:
        idx = ", ".join(f"{s}.gz" for s in IDX_FILES.values())
        raise DataError(f"{where}: {folder} holds neither the IDX files ({idx}) nor the "
                        f"Kaggle CSVs ({' and '.join(CSV_FILES.values())})")
    return source


def find_source(data_dir: str | os.PathLike[str] | None = None, *,
                train_csv: str | os.PathLike[str] | None = None,
                test_csv: str | os.PathLike[str] | None = None) -> Source | None:
    """Steps 1-4 of the finder order (no download); ``None`` when none of them has the data."""
    if train_csv is not None or test_csv is not None:
        if train_csv is None or test_csv is None:
            raise DataError("give both train_csv and test_csv, or neither")
        return Source("csv", {"train": Path(train_csv), "test": Path(test_csv)}, "CSV files")
    if data_dir is not None:
        return _explicit_folder(Path(data_dir), "--data")
    if os.environ.get(DATA_ENV):
        return _explicit_folder(Path(os.environ[DATA_ENV]), DATA_ENV)
    for folder, where, partial_ok in ((download_dir(), "user cache", True),
                                      (system_dir(), "system package", False)):
        if folder.is_dir() and (source := find_in_folder(folder, where,
                                                         partial_ok=partial_ok)) is not None:
            return source
    return None


def nothing_found_message(reason: str) -> str:
    return (f"Fashion-MNIST not found ({reason}). Options: pass --data DIR (a folder with the "
            f"four IDX files or {CSV_FILES['train']} and {CSV_FILES['test']}); set {DATA_ENV}"
            f"=DIR; install the Debian/Ubuntu package dataset-fashion-mnist (files in "
            f"{system_dir()}); or allow the download into {download_dir()} from "
            f"{mirror_url()} (telar data download)")


def download_fashion_mnist(*, mirror: str | None = None, progress: bool = True) -> Source:
    """Download the four official IDX files into the user cache and return them as a source."""
    names = {f"{IDX_FILES[n]}.gz": OFFICIAL_SHA256[n] for n in IDX_FILES}
    caps = {f"{IDX_FILES[n]}.gz": size_cap(OFFICIAL_GZ_BYTES[n]) for n in IDX_FILES}
    paths = download_files(names, download_dir(), mirror=mirror, progress=progress,
                           max_bytes=caps)
    return Source("idx", {n: paths[f"{IDX_FILES[n]}.gz"] for n in IDX_FILES}, "download")


def load_fashion_mnist(data_dir: str | os.PathLike[str] | None = None, *,
                       train_csv: str | os.PathLike[str] | None = None,
                       test_csv: str | os.PathLike[str] | None = None,
                       download: bool = True, use_cache: bool = True,
                       mirror: str | None = None, progress: bool = True) -> FashionMNIST:
    """Find, load and check Fashion-MNIST (finder order in the module docstring).

    >>> data = load_fashion_mnist()                      # doctest: +SKIP
    >>> data.train_images.shape, data.class_names[data.train_labels[0]]
    ((60000, 28, 28), 'Ankle boot')
    """
    source = find_source(data_dir, train_csv=train_csv, test_csv=test_csv)
    if source is None:
        if not download:
            raise DataError(nothing_found_message("downloads are off"))
        try:
            source = download_fashion_mnist(mirror=mirror, progress=progress)
        except DataError as exc:
            raise DataError(nothing_found_message(f"download failed: {exc}")) from None
    return load_source(source, use_cache=use_cache)


def load_source(source: Source, *, use_cache: bool = True) -> FashionMNIST:
    """Load ``source`` through the array cache (parsing and checking it on a miss)."""
    files = list(source.files.values())
    what = "an IDX file" if source.kind == "idx" else "a CSV file"
    # No IDX payload telar reads gzips to more than this (stored blocks add 5 bytes per 64 KB).
    largest = MAX_CSV_BYTES if source.kind == "csv" else MAX_PAYLOAD_BYTES * 101 // 100
    kinds = [file_kind(path, what) for path in files]
    for path, kind in zip(files, kinds, strict=True):
        if kind == "file":
            check_size(path, what, largest)  # before hashing it for the cache key
    use_cache = use_cache and "pipe" not in kinds  # a pipe is read once: by the parser
    root = cache.cache_root()
    if use_cache:
        key, stamp = cache.source_key(source.kind, files)
    hit = cache.load_arrays(root, key) if use_cache else None
    if hit is not None:
        arrays, meta = hit
        checksums = {n: bool(v) for n, v in meta.get("checksums", {}).items()}
    else:
        arrays = _parse(source)
        checksums = {name: hashlib.sha256(to_idx_bytes(arrays[name])).hexdigest()
                     == OFFICIAL_SHA256[name] for name in cache.ARRAY_NAMES}
        if use_cache:
            cache.save_arrays(root, key, arrays, {"kind": source.kind, "files": stamp,
                                                  "checksums": checksums})
    folder = {p.parent for p in files}
    place = str(folder.pop()) if len(folder) == 1 else ", ".join(map(str, files))
    return FashionMNIST(**arrays, source=f"{place} ({source.where}, {source.kind.upper()})",
                        checksums=checksums, from_cache=hit is not None)


def _parse(source: Source) -> dict[str, np.ndarray]:
    if source.kind == "idx":
        arrays = {name: read_idx(path) for name, path in source.files.items()}
        for split in ("train", "test"):
            _check_split(arrays[f"{split}_images"], arrays[f"{split}_labels"],
                         source.files[f"{split}_images"], source.files[f"{split}_labels"])
        return arrays
    arrays = {}
    for split in ("train", "test"):
        images, labels = read_kaggle_csv(source.files[split])
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    return arrays


def _check_split(images: np.ndarray, labels: np.ndarray, images_path: Path,
                 labels_path: Path) -> None:
    """Shapes, dtypes and label range of one split: catches swapped or foreign files."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        hint = " (is it a labels file?)" if images.ndim == 1 else ""
        raise DataError(f"{images_path}: expected uint8 images of shape (N, 28, 28), found "
                        f"{images.dtype} of shape {images.shape}{hint}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        hint = " (is it an images file?)" if labels.ndim == 3 else ""
        raise DataError(f"{labels_path}: expected uint8 labels of shape (N,), found "
                        f"{labels.dtype} of shape {labels.shape}{hint}")
    if len(images) == 0:
        raise DataError(f"{images_path}: holds 0 images (the header declares an empty array)")
    if len(images) != len(labels):
        raise DataError(f"{labels_path}: {len(labels)} labels for the {len(images)} images "
                        f"of {images_path}")
    if len(labels) and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DataError(f"{labels_path}: label {labels[bad]} at index {bad} is outside 0-9")

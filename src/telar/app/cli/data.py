"""``telar data``: where Fashion-MNIST is, what it holds, and exporting or downloading it."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from telar.data.csv import write_kaggle_csv
from telar.data.fashion_mnist import (
    CSV_FILES,
    IDX_FILES,
    FashionMNIST,
    download_dir,
    download_fashion_mnist,
    load_fashion_mnist,
)
from telar.errors import DataError
from telar.io.text import printable

#: Shown at the end of ``telar data --help``.
EXAMPLES: tuple[str, ...] = (
    'telar data info',
    'telar data export --format csv --out runs/csv',
    'telar data download',
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data", help="find, inspect, export or download Fashion-MNIST",
        description="Find, inspect, export or download Fashion-MNIST.")
    commands = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--data", metavar="DIR", type=Path,
                         help="folder with the four IDX files or the two Kaggle CSVs "
                              "(default: TELAR_DATA, the user cache, the system package, "
                              "then download)")
        sub.add_argument("--no-download", action="store_true",
                         help="fail instead of downloading when the data is not found")
        return sub

    info = add("info", "print where the data was found, split sizes, classes and checksums")
    info.set_defaults(func=run_info)
    export = add("export", "write the data set in another format (Kaggle CSV)")
    export.add_argument("--format", choices=["csv"], default="csv",
                        help="output format (csv: Kaggle's label,pixel1..pixel784)")
    export.add_argument("--out", metavar="DIR", type=Path, required=True,
                        help="folder for fashion-mnist_train.csv and fashion-mnist_test.csv")
    export.add_argument("--overwrite", action="store_true",
                        help="replace CSV files of those names already in --out")
    export.set_defaults(func=run_export)
    download = commands.add_parser(
        "download", help="download the official IDX files into the user cache",
        description=f"Download the official IDX files into {download_dir()} "
                    "(mirror: TELAR_MIRROR or the official one), checksum-verified.")
    download.set_defaults(func=run_download)


def _load(args: argparse.Namespace) -> FashionMNIST:
    return load_fashion_mnist(args.data, download=not args.no_download)


def run_info(args: argparse.Namespace) -> int:
    data = _load(args)
    print(f"source:     {printable(data.source)}{'  [array cache]' if data.from_cache else ''}")
    print(f"train:      {len(data.train_labels)} images {data.train_images.shape[1:]}")
    print(f"test:       {len(data.test_labels)} images {data.test_images.shape[1:]}")
    status = ("OK (official Fashion-MNIST payloads)" if data.checksums_ok else
              "DIFFERENT from the official Fashion-MNIST: "
              + ", ".join(n for n, ok in data.checksums.items() if not ok))
    print(f"checksums:  {status}")
    train_counts = np.bincount(data.train_labels, minlength=10)
    test_counts = np.bincount(data.test_labels, minlength=10)
    print(f"\n{'class':>5}  {'name':<12} {'train':>6} {'test':>6}")
    for index, name in enumerate(data.class_names):
        print(f"{index:>5}  {printable(name):<12} {train_counts[index]:>6} {test_counts[index]:>6}")
    return 0


def run_export(args: argparse.Namespace) -> int:

    if args.out.exists() and not args.out.is_dir():
        raise DataError(f"--out: {args.out} exists and is not a folder")
    if not args.overwrite:
        for name in CSV_FILES.values():
            if (args.out / name).exists():
                raise DataError(f"--out: {args.out / name} already exists; pass --overwrite to "
                                "replace it, or choose another folder")
    data = _load(args)
    if args.out.is_dir():
        # Half-written CSVs of an export that was killed (its hidden .part files, up to 90 MB).
        for stale in args.out.glob(".fashion-mnist_*.csv.*.part"):
            stale.unlink(missing_ok=True)
    for split, images, labels in (("train", data.train_images, data.train_labels),
                                  ("test", data.test_images, data.test_labels)):
        path = args.out / CSV_FILES[split]
        try:
            write_kaggle_csv(path, images, labels)
        except OSError as exc:
            raise DataError(f"{path}: cannot write: {exc.strerror or exc}") from None
        print(f"wrote {printable(str(path))} ({len(labels)} rows)")
    return 0


def run_download(args: argparse.Namespace) -> int:
    source = download_fashion_mnist()
    for name in IDX_FILES:
        print(f"ok  {printable(str(source.files[name]))}")
    return 0

"""Parse time of the 60,000-row Kaggle CSV: telar's reader against a bare ``pandas.read_csv``.

Both run in this one process on the same file, alternating, several times; the medians and
their ratio are printed (the issue asks telar <= 1.5x pandas, validation included). Also
timed: loading the whole data set from telar's ``.npy`` cache, and parsing the IDX files.

    PYTHONPATH=src python benchmarks/bench_csv.py [--reps 5] [--fresh]

The CSV is exported from the real IDX files into a temporary folder and reused next time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from telar.data import load_fashion_mnist, read_kaggle_csv, write_kaggle_csv


def median_seconds(fn: Callable[[], object], reps: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions per reader")
    parser.add_argument("--fresh", action="store_true", help="re-export the CSV")
    parser.add_argument("--data", type=Path, default=None, help="data folder (default: finder)")
    args = parser.parse_args(argv)

    data = load_fashion_mnist(args.data, download=False)
    print(f"data: {data.source}")
    folder = Path(tempfile.gettempdir()) / "telar-bench-csv"
    csv_path = folder / "fashion-mnist_train.csv"
    if args.fresh or not csv_path.is_file():
        start = time.perf_counter()
        write_kaggle_csv(csv_path, data.train_images, data.train_labels)
        print(f"exported {csv_path} in {time.perf_counter() - start:.2f} s")
    print(f"csv:  {csv_path} ({csv_path.stat().st_size / 1e6:.1f} MB)")

    images, labels = read_kaggle_csv(csv_path)  # warm the page cache; check the result
    assert np.array_equal(images, data.train_images) and np.array_equal(labels, data.train_labels)

    pandas_times, telar_times = [], []
    for _ in range(args.reps):  # alternate so that both see the same machine load
        pandas_times += median_seconds(lambda: pd.read_csv(csv_path), 1)[1]
        telar_times += median_seconds(lambda: read_kaggle_csv(csv_path), 1)[1]
    t_pandas, t_telar = statistics.median(pandas_times), statistics.median(telar_times)
    print(f"\nCSV parse, 60,000 x 785, median of {args.reps}:")
    print(f"  pandas.read_csv (bare)             {t_pandas:7.3f} s   "
          f"[{', '.join(f'{t:.2f}' for t in pandas_times)}]")
    print(f"  telar read_kaggle_csv (validated)  {t_telar:7.3f} s   "
          f"[{', '.join(f'{t:.2f}' for t in telar_times)}]")
    print(f"  ratio telar / pandas               {t_telar / t_pandas:7.2f}x  (limit 1.50x)")

    load_fashion_mnist(args.data, download=False)  # make sure the cache entry exists
    t_cache, _ = median_seconds(lambda: load_fashion_mnist(args.data, download=False),
                                args.reps)
    t_idx, _ = median_seconds(lambda: load_fashion_mnist(args.data, download=False,
                                                         use_cache=False), max(1, args.reps // 2))
    print("\nWhole data set (70,000 images):")
    print(f"  from the .npy cache                {t_cache:7.3f} s")
    print(f"  parsing the IDX (.gz) + checksums  {t_idx:7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmarks' data: real Fashion-MNIST as float32 (N, 784) in [0, 1] and int64 labels."""

from __future__ import annotations

import numpy as np


def load_benchmark_data(data_dir=None):
    """(train_x, train_y, test_x, test_y) through ``telar.data`` (or the IDX files directly)."""
    try:
        from telar.data import load_fashion_mnist, to_float
    except ImportError:  # before the data layer lands: read the Debian package's IDX files
        import gzip
        from pathlib import Path

        root = Path(data_dir or "/usr/share/datasets/fashion-mnist")

        def idx(name):
            raw = gzip.decompress((root / name).read_bytes())
            dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(raw[3])]
            return np.frombuffer(raw, np.uint8, offset=4 + 4 * raw[3]).reshape(dims)

        def part(kind):
            x = idx(f"{kind}-images-idx3-ubyte.gz").reshape(-1, 784)
            return (x.astype(np.float32) / np.float32(255),
                    idx(f"{kind}-labels-idx1-ubyte.gz").astype(np.int64))

        return (*part("train"), *part("t10k"))
    data = load_fashion_mnist(data_dir, download=False)
    return (to_float(data.train_images), data.train_labels.astype(np.int64),
            to_float(data.test_images), data.test_labels.astype(np.int64))

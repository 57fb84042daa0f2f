"""A private reader for the real gz IDX files, for tests and scratch scripts only."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")


def real_data_present(directory: Path = REAL_DIR) -> bool:
    return (directory / "train-images-idx3-ubyte.gz").exists()


def read_idx_gz(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_real(directory: Path = REAL_DIR):
    """(train_x float32 (60000,784), train_y, test_x, test_y) scaled to [0, 1]."""
    def part(kind: str):
        x = read_idx_gz(directory / f"{kind}-images-idx3-ubyte.gz")
        y = read_idx_gz(directory / f"{kind}-labels-idx1-ubyte.gz")
        return (x.reshape(len(x), -1).astype(np.float32) / np.float32(255)), y.astype(np.int64)
    trx, tr_y = part("train")
    tex, te_y = part("t10k")
    return trx, tr_y, tex, te_y

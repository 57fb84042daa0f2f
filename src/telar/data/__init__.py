"""Fashion-MNIST and MNIST-shaped data: IDX and Kaggle CSV files, finding, caching, splitting.

telar's own data layer, NumPy only, below the engine: arrays in, arrays out. (PyTorch's names
for datasets and loaders are :mod:`telar.datasets` and :mod:`telar.utils.data`, built on it.)

>>> from telar.data import load_fashion_mnist, to_float, stratified_split   # doctest: +SKIP
>>> data = load_fashion_mnist()
>>> x = to_float(data.train_images)                  # float32 (60000, 784) in [0, 1]
>>> train_idx, val_idx = stratified_split(data.train_labels, 0.1, seed=0)
"""

from telar.data.csv import read_kaggle_csv, write_kaggle_csv
from telar.data.fashion_mnist import (
    CLASS_NAMES,
    OFFICIAL_SHA256,
    FashionMNIST,
    find_source,
    load_fashion_mnist,
)
from telar.data.idx import read_idx, write_idx
from telar.data.split import stratified_split, to_float

__all__ = [
    "CLASS_NAMES",
    "OFFICIAL_SHA256",
    "FashionMNIST",
    "find_source",
    "load_fashion_mnist",
    "read_idx",
    "write_idx",
    "read_kaggle_csv",
    "write_kaggle_csv",
    "stratified_split",
    "to_float",
]

"""``Dataset``, ``TensorDataset``, ``Subset``, ``random_split`` and ``DataLoader`` with
PyTorch's signatures (``torch.utils.data``): batches of tensors for a training loop.

(PyTorch's path for them. telar's own data layer, which reads and checks the files, is
:mod:`telar.data`; :mod:`telar.datasets` puts torchvision's names on it.)

A :class:`DataLoader` yields batches: per epoch it orders the indices (shuffled with
``generator``, else telar's default generator, which :func:`telar.manual_seed` seeds), cuts
them into ``batch_size`` pieces and turns each piece into a batch. How, in order:

1. a custom ``collate_fn``: ``collate_fn([dataset[i] for i in piece])`` (``__getitems__``
   when the dataset has it), as PyTorch does;
2. a dataset with a vectorised ``telar_batch(indices)`` (``TensorDataset``, ``Subset`` of one,
   and the image datasets of :mod:`telar.datasets` whose transform is batchable, e.g.
   ``Compose([ToTensor(), Normalize(...)])``): one array indexing per batch, no Python loop
   over samples;
3. otherwise ``default_collate([dataset[i] for i in piece])``.

``num_workers``, ``pin_memory``, ``prefetch_factor``, ``persistent_workers`` and ``timeout``
are accepted and ignored: batches are built in the calling thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine.random import as_rng


class Dataset:
    """Map-style data set: subclasses define ``__getitem__(i)`` and ``__len__()``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the ``i``-th rows of equally long tensors (or arrays): ``(x[i], y[i])``."""

    def __init__(self, *tensors: Any) -> None:
        arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
        if not arrays or any(len(a) != len(arrays[0]) for a in arrays):
            raise ValueError("TensorDataset needs tensors of the same first size, got "
                             f"{[len(a) for a in arrays]}")
        self.arrays = arrays
        self.tensors = tuple(Tensor(a) for a in arrays)

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(Tensor(a[index]) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def telar_batch(self, indices: np.ndarray | slice) -> tuple[Tensor, ...]:
        """The batch of rows ``indices``, one indexing per tensor."""
        return tuple(Tensor(a[indices]) for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def __getattr__(self, name: str) -> Any:
        if name == "telar_batch" and hasattr(self.dataset, "telar_batch"):
            return lambda indices: self.dataset.telar_batch(self.indices[indices])
        raise AttributeError(name)


class ConcatDataset(Dataset):
    """Data sets one after another."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1]) if self.cumulative_sizes else 0

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += len(self)
        part = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = 0 if part == 0 else int(self.cumulative_sizes[part - 1])
        return self.datasets[part][index - start]


def random_split(dataset: Dataset, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (or fractions summing to
    1, the remainder going round-robin to the first parts, as in PyTorch)."""
    n = len(dataset)  # type: ignore[arg-type]
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
    else:
        sizes = [int(v) for v in lengths]
    if sum(sizes) != n:
        raise ValueError(f"random_split: the lengths sum to {sum(sizes)}, the data set has {n}")
    order = as_rng(generator).permutation(n)
    cuts = np.cumsum(sizes)[:-1]
    return [Subset(dataset, part) for part in np.split(order, cuts)]


# --------------------------------------------------------------------------- samplers
class Sampler:
    """An iterable of indices."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh permutation per epoch (or ``num_samples`` draws with ``replacement``)."""

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        self.data_source, self.replacement = data_source, replacement
        self.num_samples = len(data_source) if num_samples is None else int(num_samples)
        self.generator = generator

    def indices(self) -> np.ndarray:
        rng, n = as_rng(self.generator), len(self.data_source)
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples)
        order = np.concatenate([rng.permutation(n)
                                for _ in range(-(-self.num_samples // n))]) if n else []
        return np.asarray(order[:self.num_samples], dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices_, self.generator = np.asarray(indices), generator

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices_[as_rng(self.generator).permutation(len(self.indices_))]
                    .tolist())

    def __len__(self) -> int:
        return len(self.indices_)


# --------------------------------------------------------------------------- collation
def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: tensors and arrays stack along a new first
    dimension, Python ints become an int64 tensor and floats a float64 one (as PyTorch),
    tuples/lists and dicts are collated field by field, strings stay a list."""
    first = batch[0]
    if isinstance(first, Tensor):
        return Tensor(np.stack([b.array for b in batch]))
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(batch))
    if isinstance(first, bool | np.bool_):
        return Tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(first, int | np.integer):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(first, float | np.floating):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(first, str | bytes):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
        return type(first)(*(default_collate(list(f)) for f in zip(*batch, strict=True)))
    if isinstance(first, Sequence):
        if any(len(b) != len(first) for b in batch):
            raise RuntimeError("each element in the batch should be of equal size")
        return [default_collate(list(f)) for f in zip(*batch, strict=True)]
    raise TypeError(f"default_collate: batch elements of type {type(first).__name__} are not "
                    "supported (tensors, arrays, numbers, strings, dicts and sequences are)")


# --------------------------------------------------------------------------- loader
class DataLoader:
    """Batches over a data set (see the module docstring for how batches are built)."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Any = None, multiprocessing_context: Any = None,
                 generator: Any = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        if shuffle and sampler is not None:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else batch_size
        self.shuffle = bool(shuffle)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.collate_fn = collate_fn
        self.drop_last = bool(drop_last)
        self.generator = generator

    def _order(self) -> np.ndarray | None:
        """The epoch's sample order; ``None`` for ``0..n-1`` (batches are then slices)."""
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        if self.shuffle:
            return as_rng(self.generator).permutation(len(self.dataset))
        return None

    def _pieces(self) -> Iterator[np.ndarray | slice]:
        if self.batch_sampler is not None:
            for piece in self.batch_sampler:
                yield np.asarray(piece, dtype=np.int64)
            return
        order = self._order()
        n = len(self.dataset) if order is None else len(order)
        size = self.batch_size or 1
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):
            end = min(start + size, n)
            yield slice(start, end) if order is None else order[start:end]

    def __iter__(self) -> Iterator[Any]:
        dataset = self.dataset
        if self.batch_size is None and self.batch_sampler is None:  # no batching
            for piece in self._pieces():
                index = piece.start if isinstance(piece, slice) else int(piece[0])
                yield _convert(dataset[index])
            return
        fast = getattr(dataset, "telar_batch", None) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        many = getattr(dataset, "__getitems__", None)
        for piece in self._pieces():
            if fast is not None:
                yield fast(piece)
                continue
            indices = range(piece.start, piece.stop) if isinstance(piece, slice) \
                else piece.tolist()
            samples = many(list(indices)) if many is not None \
                else [dataset[i] for i in indices]
            yield collate(samples)

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def _convert(sample: Any) -> Any:
    """An unbatched sample with its arrays as tensors (``batch_size=None``)."""
    if isinstance(sample, np.ndarray):
        return Tensor(sample)
    if isinstance(sample, tuple | list):
        return type(sample)(_convert(s) for s in sample)
    if isinstance(sample, Mapping):
        return {k: _convert(v) for k, v in sample.items()}
    return sample


__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "Sampler",
           "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "default_collate",
           "DataLoader"]

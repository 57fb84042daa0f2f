"""telar.utils.data with PyTorch's API: DataLoader, default_collate, random_split, and the
batched path that gives what the per-sample path gives."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.fake_data import tiny_arrays, write_torchvision_raw

import telar
from telar import datasets, transforms
from telar.utils.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "y": i, "w": float(i) / 2, "name": f"s{i}"}


def test_dataloader_batches_tensor_datasets_with_drop_last_and_len():
    x, y = telar.arange(10.0).view(10, 1), telar.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[0]) for b in batches] == [4, 4, 2]
    assert batches[1][1].tolist() == [4, 5, 6, 7] and batches[0][0].shape == (4, 1)
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True, num_workers=4,
                         pin_memory=True)
    assert len(dropped) == 2 and len(list(dropped)) == 2


def test_shuffling_with_a_generator_is_reproducible_and_covers_every_sample():
    data = TensorDataset(telar.arange(100))

    def order(seed):
        g = telar.Generator().manual_seed(seed)
        return np.concatenate([b[0].numpy() for b in DataLoader(data, 16, shuffle=True,
                                                                generator=g)])

    assert (order(1) == order(1)).all() and not (order(1) == order(2)).all()
    assert sorted(order(3).tolist()) == list(range(100))
    assert not (order(3) == np.arange(100)).all()


def test_drop_last_drops_nothing_when_the_batch_size_divides_the_data():
    x = telar.arange(8.0)
    loader = DataLoader(TensorDataset(x), batch_size=4, drop_last=True)
    batches = [b[0].tolist() for b in loader]
    assert len(loader) == 2 and batches == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffling_without_a_generator_draws_from_telars_seeded_default_generator():
    data = TensorDataset(telar.arange(100))

    def epoch(loader):
        return np.concatenate([b[0].numpy() for b in loader])

    telar.manual_seed(7)
    loader = DataLoader(data, 16, shuffle=True)
    first, second = epoch(loader), epoch(loader)
    assert sorted(first.tolist()) == list(range(100))
    assert not (first == np.arange(100)).all() and not (first == second).all()
    telar.manual_seed(7)
    assert (epoch(DataLoader(data, 16, shuffle=True)) == first).all()


def test_default_collate_stacks_arrays_numbers_dicts_and_keeps_strings():
    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["x"].dtype == np.float32
    assert batch["y"].dtype == np.int64 and batch["y"].tolist() == [0, 1, 2]
    assert batch["w"].dtype == np.float64 and batch["name"] == ["s0", "s1", "s2"]
    pairs = default_collate([(telar.ones(2), 1), (telar.zeros(2), 0)])
    assert pairs[0].shape == (2, 2) and pairs[1].tolist() == [1, 0]
    custom = DataLoader(Squares(), batch_size=5, collate_fn=lambda b: len(b))
    assert list(custom) == [5, 5]


def test_random_split_makes_disjoint_subsets_of_the_asked_sizes():
    parts = random_split(range(10), [7, 3], generator=telar.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [7, 3]
    assert sorted([parts[0][i] for i in range(7)] + [parts[1][i] for i in range(3)]) == \
        list(range(10))
    assert [len(p) for p in random_split(range(10), [0.5, 0.5])] == [5, 5]
    with pytest.raises(ValueError):
        random_split(range(10), [3, 3])


def test_the_batched_path_gives_what_the_per_sample_path_gives(tmp_path):
    write_torchvision_raw(tmp_path, "FashionMNIST", tiny_arrays(70, 20, labels="drawn"))
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.25,))])
    ds = datasets.FashionMNIST(tmp_path, train=True, transform=tf)
    assert hasattr(tf, "batch")
    fast = list(DataLoader(ds, batch_size=32, shuffle=True,
                           generator=telar.Generator().manual_seed(0)))
    slow = list(DataLoader(ds, batch_size=32, shuffle=True, collate_fn=default_collate,
                           generator=telar.Generator().manual_seed(0)))
    assert len(fast) == 3
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        np.testing.assert_allclose(xf.numpy(), xs.numpy(), rtol=1e-6)
        assert xf.dtype == np.float32 and yf.tolist() == ys.tolist()
    lam = datasets.FashionMNIST(tmp_path, train=True,
                                transform=transforms.Compose([transforms.ToTensor(),
                                                              transforms.Lambda(lambda t: t * 2)]))
    xb, _ = next(iter(DataLoader(lam, batch_size=4)))
    expected = np.stack([ds.data.numpy()[i] / 255 * 2 for i in range(4)])[:, None]
    np.testing.assert_allclose(xb.numpy(), expected, rtol=1e-6)
    sub = Subset(ds, [5, 6, 7])
    xs3, ys3 = next(iter(DataLoader(sub, batch_size=3)))
    assert ys3.tolist() == [ds[i][1] for i in (5, 6, 7)]

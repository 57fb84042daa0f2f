"""telar.utils.data, telar.datasets and telar.transforms with PyTorch/torchvision's API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.mirror import MirrorServer

import telar
from telar import datasets, transforms
from telar.data import write_idx
from telar.errors import DataError
from telar.utils.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def write_raw(root: Path, name: str, n_train: int = 50, n_test: int = 20, seed: int = 0,
              gz: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Tiny IDX files in ``root/<name>/raw`` as torchvision lays them out; returns train."""
    rng = np.random.default_rng(seed)
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    suffix = ".gz" if gz else ""
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        write_idx(raw / f"{split}-images-idx3-ubyte{suffix}", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte{suffix}", labels)
        arrays[split] = (images, labels)
    return arrays["train"]


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


def test_datasets_read_torchvisions_raw_layout_with_its_signature(tmp_path):
    images, labels = write_raw(tmp_path, "MNIST")
    write_raw(tmp_path, "KMNIST", gz=False)
    ds = datasets.MNIST(str(tmp_path), train=True, download=False,
                        transform=transforms.ToTensor(), target_transform=lambda t: t + 100)
    x, target = ds[3]
    assert len(ds) == 50 and x.shape == (1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy()[0], images[3] / 255, atol=1e-7)
    assert target == int(labels[3]) + 100
    test = datasets.KMNIST(tmp_path, train=False)
    assert len(test) == 20 and test[0][0].dtype == np.uint8 and isinstance(test[0][1], int)
    assert test.data.shape == (20, 28, 28) and test.targets.dtype == np.int64
    assert test.classes[0] == "o"


def test_a_missing_dataset_without_download_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="download=True"):
        datasets.MNIST(tmp_path, train=True)


def test_the_batched_path_gives_what_the_per_sample_path_gives(tmp_path):
    write_raw(tmp_path, "FashionMNIST", n_train=70)
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


def test_fashion_mnist_falls_back_to_telars_finder(tmp_path, monkeypatch):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    for split, n in (("train", 30), ("t10k", 10)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", np.zeros((n, 28, 28), np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", np.arange(n, dtype=np.uint8) % 10)
    monkeypatch.setenv("TELAR_DATA", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ds = datasets.FashionMNIST(root=tmp_path / "data", train=False, download=True)
    assert len(ds) == 10 and ds.classes[9] == "Ankle boot"


def test_normalize_and_to_tensor_follow_torchvision():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    x = transforms.ToTensor()(img)
    assert x.shape == (3, 2, 2) and x.numpy()[1, 0, 0] == pytest.approx(1 / 255)
    norm = transforms.Normalize((0.5, 0.0, 1.0), (2.0, 1.0, 0.5))(x)
    np.testing.assert_allclose(norm.numpy()[0], (x.numpy()[0] - 0.5) / 2)
    np.testing.assert_allclose(norm.numpy()[2], (x.numpy()[2] - 1.0) / 0.5, rtol=1e-6)
    assert transforms.Lambda(lambda v: v + 1)(1) == 2


def test_mnist_downloads_into_root_raw_and_checks_the_published_md5(tmp_path, monkeypatch):
    import gzip
    import hashlib
    import threading

    from telar.data.idx import to_idx_bytes

    server = MirrorServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rng = np.random.default_rng(0)
        sums = {}
        for split, n in (("train", 12), ("t10k", 5)):
            for kind, array in (("images-idx3", rng.integers(0, 256, (n, 28, 28), np.uint8)),
                                ("labels-idx1", rng.integers(0, 10, n).astype(np.uint8))):
                name = f"{split}-{kind}-ubyte.gz"
                server.files[name] = gzip.compress(to_idx_bytes(array))
                sums[name] = hashlib.md5(server.files[name]).hexdigest()  # noqa: S324
        monkeypatch.setitem(datasets.REGISTRY, "MNIST", (server.url, sums))
        ds = datasets.MNIST(tmp_path, train=False, download=True)
        assert len(ds) == 5 and (tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file()
        bad = dict(sums, **{"train-labels-idx1-ubyte.gz": "0" * 32})
        monkeypatch.setitem(datasets.REGISTRY, "KMNIST", (server.url, bad))
        with pytest.raises(DataError, match="MD5"):
            datasets.KMNIST(tmp_path, train=True, download=True)
        assert not (tmp_path / "KMNIST" / "raw" / "train-labels-idx1-ubyte.gz").exists()
    finally:
        server.shutdown()


def test_random_flip_and_crop_move_pixels_per_image_and_per_batch():
    images = np.arange(2 * 4 * 5, dtype=np.uint8).reshape(2, 4, 5)
    telar.manual_seed(0)
    always = transforms.RandomHorizontalFlip(p=1.0)
    np.testing.assert_array_equal(always(images[0]), images[0][:, ::-1])
    np.testing.assert_array_equal(always.batch(images), images[:, :, ::-1])
    first = images[0]
    assert transforms.RandomHorizontalFlip(p=0.0)(first) is first
    crop = transforms.RandomCrop(4, padding=2)
    for out in (crop(images[0]), crop.batch(images)[1], crop.batch(images[:, None])[1, 0]):
        assert out.shape == (4, 4)
        # a window of the zero-padded image: its non-zero pixels form a block of the original
        nz = out[out > 0]
        assert set(nz.tolist()) <= set(images.reshape(-1).tolist())
    full = transforms.RandomCrop((4, 5))
    np.testing.assert_array_equal(full.batch(images), images)
    tensor_in = full(transforms.ToTensor()(images[0]))
    assert isinstance(tensor_in, telar.Tensor) and tensor_in.shape == (1, 4, 5)
    pipeline = transforms.Compose([transforms.RandomCrop(28, padding=4),
                                   transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    assert pipeline.batch(np.zeros((3, 28, 28), np.uint8)).shape == (3, 1, 28, 28)


def test_rotation_and_erasing_transforms_wrap_the_batch_augmentations():
    telar.manual_seed(0)
    bar = np.zeros((1, 28, 28), np.float32)
    bar[0, 13:15, 4:24] = 1.0  # a horizontal bar; a 90 degree turn makes it vertical
    turned = transforms.RandomRotation((-90, 90)).batch(np.repeat(bar, 8, 0))
    assert turned.shape == (8, 28, 28) and not np.allclose(turned, bar)
    assert transforms.RandomRotation(0)(telar.tensor(bar)).shape == (1, 28, 28)
    erased = transforms.RandomErasing(p=1.0).batch(np.ones((4, 1, 28, 28), np.float32))
    assert all(0 < (img == 0).sum() < 28 * 28 for img in erased)
    kept = transforms.RandomErasing(p=0.0)(telar.ones(1, 28, 28))
    assert kept.numpy().min() == 1.0
    as_uint8 = transforms.RandomRotation(0).batch(np.full((2, 28, 28), 200, np.uint8))
    assert as_uint8.dtype == np.uint8 and (as_uint8 == 200).all()
    with pytest.raises(ValueError):
        transforms.RandomRotation((0, 30))

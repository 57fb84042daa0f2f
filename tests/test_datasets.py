"""telar.datasets with torchvision's API: the raw layout and signature, Fashion-MNIST through
telar's finder, and MNIST downloads checked against the published MD5 sums."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.fake_data import (
    blank_arrays,
    idx_gz_bytes,
    tiny_arrays,
    write_idx_set,
    write_torchvision_raw,
)
from helpers.mirror import MirrorServer

from telar import datasets, transforms
from telar.errors import DataError


def test_datasets_read_torchvisions_raw_layout_with_its_signature(tmp_path):
    arrays = tiny_arrays(50, 20, labels="drawn")
    write_torchvision_raw(tmp_path, "MNIST", arrays)
    write_torchvision_raw(tmp_path, "KMNIST", arrays, gz=False)
    images, labels = arrays["train_images"], arrays["train_labels"]
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


def test_fashion_mnist_falls_back_to_telars_finder(tmp_path, monkeypatch):
    folder = write_idx_set(tmp_path / "elsewhere", blank_arrays(30, 10))
    monkeypatch.setenv("TELAR_DATA", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ds = datasets.FashionMNIST(root=tmp_path / "data", train=False, download=True)
    assert len(ds) == 10 and ds.classes[9] == "Ankle boot"


def test_mnist_downloads_into_root_raw_and_checks_the_published_md5(tmp_path, monkeypatch):
    import hashlib
    import threading

    server = MirrorServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        server.files.update(idx_gz_bytes(tiny_arrays(12, 5, labels="drawn")))
        sums = {name: hashlib.md5(data).hexdigest()  # noqa: S324
                for name, data in server.files.items()}
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


# ---------------------------------------------------------------- EMNIST, CIFAR10 (issue 20)
def test_emnist_reads_torchvisions_file_names_for_its_split_and_says_where_to_put_them(tmp_path):
    from telar.data.idx import write_idx
    arrays = tiny_arrays(30, 12, labels="drawn")
    raw = tmp_path / "EMNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "emnist-letters-train-images-idx3-ubyte.gz", arrays["train_images"])
    write_idx(raw / "emnist-letters-train-labels-idx1-ubyte", arrays["train_labels"])
    ds = datasets.EMNIST(tmp_path, split="letters", train=True, transform=transforms.ToTensor())
    x, y = ds[4]
    assert len(ds) == 30 and x.shape == (1, 28, 28) and y == int(arrays["train_labels"][4])
    assert ds.classes[:3] == ["N/A", "a", "b"] and len(ds.classes) == 27
    with pytest.raises(DataError, match=r"put emnist-letters-test-images-idx3-ubyte and "
                                        r"emnist-letters-test-labels-idx1-ubyte .* in .*EMNIST"):
        datasets.EMNIST(tmp_path, split="letters", train=False)
    with pytest.raises(DataError, match="split must be one of"):
        datasets.EMNIST(tmp_path, split="kanji")


def test_cifar10_batches_run_through_the_same_conv_layers_as_torchvisions(tmp_path):
    from helpers.fake_data import write_fake_cifar

    import telar
    from telar import nn
    write_fake_cifar(tmp_path, n_per_batch=6)
    ds = datasets.CIFAR10(root=str(tmp_path), train=True, download=False,
                          transform=transforms.Compose([
                              transforms.ToTensor(),
                              transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
    assert len(ds) == 30 and ds.data.shape == (30, 32, 32, 3) and len(ds.targets) == 30
    x, y = ds[2]
    assert x.shape == (3, 32, 32) and isinstance(y, int)
    np.testing.assert_allclose(x.numpy()[:, 3, 4], ds.data[2, 3, 4] / 255 * 2 - 1, atol=1e-6)
    images, labels = next(iter(telar.utils.data.DataLoader(ds, batch_size=8)))
    assert images.shape == (8, 3, 32, 32) and labels.tolist() == ds.targets[:8]
    np.testing.assert_allclose(images.numpy()[2], x.numpy(), atol=1e-6)
    net = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                        nn.Linear(6 * 14 * 14, 10))
    loss = nn.CrossEntropyLoss()(net(images), labels)
    loss.backward()
    assert net[0].weight.grad.shape == (6, 3, 5, 5)
    assert ds.classes[0] == "airplane" and "CIFAR10" in repr(ds)
    with pytest.raises(DataError, match="cifar-10-batches-py"):
        datasets.CIFAR10(tmp_path / "elsewhere")

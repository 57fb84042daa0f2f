"""CIFAR-10's pickled batches read without unpickling (telar.data.pickled): the real layout
(as Python 2 pickled it and as Python 3 does), and files that would run code or lie about
their content."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from helpers.fake_data import write_fake_cifar

from telar.data import cifar
from telar.errors import DataError


@pytest.mark.parametrize("protocol", [2, 4])
def test_the_batches_are_read_as_images_channels_last_with_their_labels(tmp_path, protocol):
    batches = write_fake_cifar(tmp_path, protocol=protocol)
    images, labels = cifar.read_split(tmp_path, train=True)
    assert images.shape == (20, 32, 32, 3) and images.dtype == np.uint8
    first, first_labels = batches["data_batch_1"]
    # pixel (row 5, column 7) of image 1, green: the second 1024-value plane of its row
    assert images[1, 5, 7, 1] == first[1, 1024 + 5 * 32 + 7]
    assert labels[:4].tolist() == first_labels and labels.dtype == np.int64
    test_images, _ = cifar.read_split(tmp_path, train=False)
    assert test_images.shape == (4, 32, 32, 3)
    assert cifar.read_classes(tmp_path)[9] == "truck"


class Exploit:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned > pwned.txt",))


def test_a_batch_that_would_run_code_is_refused_before_anything_runs(tmp_path, monkeypatch):
    write_fake_cifar(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / cifar.FOLDER / "data_batch_3").write_bytes(
        pickle.dumps({"data": Exploit(), "labels": []}, protocol=2))
    with pytest.raises(DataError, match=r"data_batch_3: not a CIFAR-10 batch \(refused to load "
                                        r"(posix|os)\.system\)"):
        cifar.read_split(tmp_path, train=True)
    assert not (tmp_path / "pwned.txt").exists()


def test_a_missing_archive_or_a_wrong_layout_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="expected the folder .*cifar-10-batches-py.*cifar.html"):
        cifar.read_split(tmp_path, train=True)
    write_fake_cifar(tmp_path)
    (tmp_path / cifar.FOLDER / "test_batch").write_bytes(
        pickle.dumps({"data": np.zeros((2, 5), np.float32), "labels": [0, 1]}))
    with pytest.raises(DataError, match="test_batch: expected 'data', uint8 images"):
        cifar.read_split(tmp_path, train=False)
    (tmp_path / cifar.FOLDER / "test_batch").write_bytes(
        pickle.dumps({"data": np.zeros((2, 3), object), "labels": [0, 1]}, protocol=2))
    with pytest.raises(DataError, match="an array of Python objects"):
        cifar.read_split(tmp_path, train=False)
    (tmp_path / cifar.FOLDER / "data_batch_1").write_bytes(b"\x80\x02truncated")
    with pytest.raises(DataError, match="data_batch_1: not a CIFAR-10 batch"):
        cifar.read_split(tmp_path, train=True)

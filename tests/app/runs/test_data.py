"""A run's arrays: train_subset keeps the first N training images; val_split is cut from them."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.fake_data import synthetic_arrays, write_synthetic_fmnist

from telar.app.runs.config import TrainConfig, build_config
from telar.app.runs.data import load_run_data
from telar.errors import ConfigError


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_fmnist(tmp_path_factory.mktemp("fmnist"), n_train=200, n_test=40)


def test_train_subset_keeps_the_first_images_and_the_validation_split_comes_from_them(
        data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    arrays = synthetic_arrays(200, 40)
    data = load_run_data(TrainConfig(data=str(data_dir), train_subset=50, val_split=0.2))
    assert len(data.x_train) + len(data.x_eval) == 50
    first = arrays["train_images"][:50].reshape(50, -1).astype(np.float32) / 255
    together = np.concatenate([data.x_train, data.x_eval])
    assert {r.tobytes() for r in together} == {r.tobytes() for r in first}
    assert len(data.x_test) == 40  # the test set is whole


def test_no_subset_or_one_larger_than_the_set_keeps_every_image(data_dir, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for subset in (0, 10_000):
        data = load_run_data(TrainConfig(data=str(data_dir), train_subset=subset))
        assert len(data.x_train) == 200


def test_a_negative_subset_is_refused_naming_the_option():
    with pytest.raises(ConfigError, match=r"--train-subset: expected an integer >= 0, got -5"):
        build_config({"train_subset": "-5"})

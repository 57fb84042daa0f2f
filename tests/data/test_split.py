"""Training inputs: the report's /255 floats and a seeded, stratified validation split."""

from __future__ import annotations

import numpy as np
import pytest

from telar.data import stratified_split, to_float
from telar.errors import ConfigError


def test_to_float_divides_by_255_into_float32_rows():
    images = np.arange(2 * 28 * 28, dtype=np.int64).reshape(2, 28, 28).astype(np.uint8)
    x = to_float(images)
    assert x.dtype == np.float32 and x.shape == (2, 784)
    np.testing.assert_array_equal(x, (images.reshape(2, 784) / np.float32(255)))
    assert to_float(np.array([[[0, 255]]], np.uint8)).tolist() == [[0.0, 1.0]]


def test_to_float_refuses_non_uint8_input():
    with pytest.raises(TypeError, match="uint8"):
        to_float(np.zeros((1, 28, 28), np.float32))


def test_split_keeps_class_proportions_and_covers_every_index_once():
    labels = np.repeat(np.arange(10), [100, 50, 100, 100, 100, 100, 100, 100, 100, 20])
    np.random.default_rng(0).shuffle(labels)
    train_idx, val_idx = stratified_split(labels, 0.2, seed=7)
    assert np.intersect1d(train_idx, val_idx).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train_idx, val_idx])),
                                  np.arange(len(labels)))
    expected_val = np.round(0.2 * np.bincount(labels)).astype(int)
    np.testing.assert_array_equal(np.bincount(labels[val_idx], minlength=10), expected_val)


def test_split_is_reproducible_by_seed_and_changes_with_it():
    labels = np.repeat(np.arange(10), 30)
    a = stratified_split(labels, 0.1, seed=1)
    b = stratified_split(labels, 0.1, seed=1)
    c = stratified_split(labels, 0.1, seed=2)
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("bad", [0, 0.0, 1, 1.0, -0.1, 1.5, float("nan"), "0.1", True, None])
def test_val_fraction_outside_0_1_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="val_fraction must be a number strictly between"):
        stratified_split(np.repeat(np.arange(10), 10), bad, seed=0)


def test_split_that_would_leave_validation_empty_is_a_config_error():
    with pytest.raises(ConfigError, match="empty validation set"):
        stratified_split(np.arange(10), 0.01, seed=0)

"""The .npy cache of the parsed arrays: used the second time, invalidated by any change to a
source file (even one of the same size and timestamp), rebuilt when corrupt, skipped on
request."""

from __future__ import annotations

import os

import numpy as np
import pytest
from helpers.fake_data import assert_same_arrays, tiny_arrays, write_csv_set, write_idx_set

from telar.data import load_fashion_mnist
from telar.data.fashion_mnist import IDX_FILES


def load(*args, **kwargs):
    return load_fashion_mnist(*args, download=False, progress=False, **kwargs)


def test_cache_follows_xdg_cache_home(tmp_path, monkeypatch):
    cached = tiny_arrays(seed=6)
    write_idx_set(tmp_path / "elsewhere" / "telar" / "fashion-mnist", cached)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert_same_arrays(load(), cached)


def test_second_load_comes_from_the_npy_cache_with_equal_arrays(tmp_path, isolated_data_env):
    arrays = tiny_arrays()
    folder = write_idx_set(tmp_path / "d", arrays)
    first, second = load(folder), load(folder)
    assert not first.from_cache and second.from_cache
    assert_same_arrays(second, arrays)
    assert second.checksums == first.checksums
    entries = list((isolated_data_env["cache"] / "arrays").iterdir())
    assert len(entries) == 1
    assert sorted(p.name for p in entries[0].iterdir()) == [
        "meta.json", "test_images.npy", "test_labels.npy", "train_images.npy",
        "train_labels.npy"]
    # Plain .npy without object arrays: loadable with pickling off.
    np.load(entries[0] / "train_images.npy", allow_pickle=False)


def test_changed_source_file_invalidates_its_cache_entry(tmp_path, isolated_data_env):
    folder = write_idx_set(tmp_path / "d", tiny_arrays(seed=1))
    load(folder)
    newer = tiny_arrays(seed=2)
    write_idx_set(folder, newer)
    path = folder / f"{IDX_FILES['train_images']}.gz"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # surely a new mtime
    data = load(folder)
    assert not data.from_cache
    assert_same_arrays(data, newer)
    assert len(list((isolated_data_env["cache"] / "arrays").iterdir())) == 1  # stale one gone


def test_corrupt_cache_entry_is_ignored_and_rebuilt(tmp_path, isolated_data_env):
    arrays = tiny_arrays()
    folder = write_idx_set(tmp_path / "d", arrays)
    load(folder)
    (entry,) = (isolated_data_env["cache"] / "arrays").iterdir()
    (entry / "train_images.npy").write_bytes(b"\x93NUMPY garbage")
    data = load(folder)
    assert not data.from_cache
    assert_same_arrays(data, arrays)
    assert load(folder).from_cache


def test_use_cache_false_writes_no_cache(tmp_path, isolated_data_env):
    load(write_idx_set(tmp_path / "d", tiny_arrays()), use_cache=False)
    assert not (isolated_data_env["cache"] / "arrays").exists()


@pytest.mark.parametrize("kind", ["idx", "csv"])
def test_a_file_replaced_with_the_same_size_and_timestamp_is_not_served_stale(
        tmp_path, isolated_data_env, kind):
    def write(folder, arrays):
        if kind == "csv":
            return write_csv_set(folder, arrays)
        return write_idx_set(folder, arrays, gz=False)

    arrays = tiny_arrays(seed=1)
    folder = write(tmp_path / "d", arrays)
    assert not load(folder).from_cache
    # Swap two different training labels: every file keeps its size, one changes content.
    newer = {name: array.copy() for name, array in arrays.items()}
    first, other = 0, int(np.argmax(arrays["train_labels"] != arrays["train_labels"][0]))
    labels = newer["train_labels"]
    labels[[first, other]] = labels[[other, first]]
    fresh = write(tmp_path / "fresh", newer)
    changed = 0
    for path in sorted(folder.iterdir()):  # `cp -p fresh/* d/`: same size, same mtime
        stat, replacement = path.stat(), (fresh / path.name).read_bytes()
        assert len(replacement) == stat.st_size
        changed += replacement != path.read_bytes()
        path.write_bytes(replacement)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert changed == 1
    data = load(folder)
    assert not data.from_cache
    assert_same_arrays(data, newer)
    assert load(folder).from_cache

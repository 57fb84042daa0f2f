"""Where the data is found (in the documented order), how it is checked, and the .npy cache."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
from helpers.mirror import assert_same_arrays, tiny_arrays, write_tiny_csv, write_tiny_idx

from telar.data import fashion_mnist as fm
from telar.data import load_fashion_mnist
from telar.data.fashion_mnist import IDX_FILES
from telar.data.idx import to_idx_bytes, write_idx
from telar.errors import DataError


def load(*args, **kwargs):
    return load_fashion_mnist(*args, download=False, progress=False, **kwargs)


def test_data_dir_comes_first(tmp_path, monkeypatch, isolated_data_env):
    mine, env = tiny_arrays(seed=1), tiny_arrays(seed=2)
    write_tiny_idx(tmp_path / "env", env)
    write_tiny_idx(isolated_data_env["system"], tiny_arrays(seed=3))
    monkeypatch.setenv("TELAR_DATA", str(tmp_path / "env"))
    data = load(write_tiny_idx(tmp_path / "mine", mine))
    assert_same_arrays(data, mine)
    assert str(tmp_path / "mine") in data.source and "--data" in data.source


def test_telar_data_comes_before_cache_and_system(tmp_path, monkeypatch, isolated_data_env):
    env = tiny_arrays(seed=2)
    monkeypatch.setenv("TELAR_DATA", str(write_tiny_idx(tmp_path / "env", env)))
    write_tiny_idx(isolated_data_env["cache"] / "fashion-mnist", tiny_arrays(seed=4))
    write_tiny_idx(isolated_data_env["system"], tiny_arrays(seed=3))
    data = load()
    assert_same_arrays(data, env)
    assert "TELAR_DATA" in data.source


def test_user_cache_comes_before_system_package(isolated_data_env):
    cached = tiny_arrays(seed=4)
    write_tiny_idx(isolated_data_env["cache"] / "fashion-mnist", cached)
    write_tiny_idx(isolated_data_env["system"], tiny_arrays(seed=3))
    data = load()
    assert_same_arrays(data, cached)
    assert "user cache" in data.source


def test_cache_follows_xdg_cache_home(tmp_path, monkeypatch):
    cached = tiny_arrays(seed=6)
    write_tiny_idx(tmp_path / "elsewhere" / "telar" / "fashion-mnist", cached)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert_same_arrays(load(), cached)


def test_system_package_is_used_when_nothing_else_is_there(isolated_data_env):
    system = tiny_arrays(seed=3)
    write_tiny_idx(isolated_data_env["system"], system, gz=False)
    data = load()
    assert_same_arrays(data, system)
    assert "system package" in data.source


def test_nothing_found_is_one_error_listing_every_option():
    with pytest.raises(DataError) as info:
        load()
    message = str(info.value)
    for option in ("--data DIR", "TELAR_DATA", "dataset-fashion-mnist", "telar data download"):
        assert option in message


@pytest.mark.parametrize("where", ["data_dir", "TELAR_DATA"])
def test_an_explicit_folder_without_data_is_an_error_not_skipped(
        tmp_path, monkeypatch, isolated_data_env, where):
    write_tiny_idx(isolated_data_env["system"], tiny_arrays())
    (tmp_path / "empty").mkdir()
    if where == "TELAR_DATA":
        monkeypatch.setenv("TELAR_DATA", str(tmp_path / "empty"))
        args = ()
    else:
        args = (tmp_path / "empty",)
    with pytest.raises(DataError, match="holds neither the IDX files"):
        load(*args)


def test_missing_explicit_folder_is_named(tmp_path):
    with pytest.raises(DataError, match=f"--data: {tmp_path / 'nope'}: no such folder"):
        load(tmp_path / "nope")


def test_folder_with_some_idx_files_names_the_missing_ones(tmp_path):
    folder = write_tiny_idx(tmp_path / "part", tiny_arrays())
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing t10k-labels-idx1-ubyte"):
        load(folder)


def test_kaggle_csv_folder_loads_the_same_arrays(tmp_path):
    arrays = tiny_arrays(seed=5)
    data = load(write_tiny_csv(tmp_path / "csv", arrays))
    assert_same_arrays(data, arrays)
    assert "CSV" in data.source


def test_explicit_csv_paths_load(tmp_path):
    arrays = tiny_arrays(seed=5)
    folder = write_tiny_csv(tmp_path / "csv", arrays)
    data = load_fashion_mnist(train_csv=folder / "fashion-mnist_train.csv",
                              test_csv=folder / "fashion-mnist_test.csv", download=False)
    assert_same_arrays(data, arrays)


def test_idx_is_preferred_over_csv_in_the_same_folder(tmp_path):
    idx, csv = tiny_arrays(seed=1), tiny_arrays(seed=2)
    folder = write_tiny_idx(tmp_path / "both", idx)
    write_tiny_csv(folder, csv)
    assert_same_arrays(load(folder), idx)


def test_labels_file_in_place_of_images_is_named(tmp_path):
    arrays = tiny_arrays()
    folder = write_tiny_idx(tmp_path / "swapped", arrays)
    write_idx(folder / "train-images-idx3-ubyte.gz", arrays["train_labels"])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: expected uint8 images "
                                        r"of shape \(N, 28, 28\).*is it a labels file"):
        load(folder)


def test_image_and_label_counts_must_agree(tmp_path):
    arrays = tiny_arrays()
    folder = write_tiny_idx(tmp_path / "short", arrays)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", arrays["test_labels"][:-1])
    with pytest.raises(DataError, match="19 labels for the 20 images"):
        load(folder)


def test_label_outside_0_to_9_in_idx_is_named(tmp_path):
    arrays = tiny_arrays()
    arrays["train_labels"][7] = 12
    with pytest.raises(DataError, match="label 12 at index 7 is outside 0-9"):
        load(write_tiny_idx(tmp_path / "bad", arrays))


def test_checksums_compare_decompressed_payloads_with_the_official_ones(tmp_path, monkeypatch):
    arrays = tiny_arrays()
    official = {n: hashlib.sha256(to_idx_bytes(a)).hexdigest() for n, a in arrays.items()}
    official["test_labels"] = "0" * 64
    monkeypatch.setattr(fm, "OFFICIAL_SHA256", official)
    data = load(write_tiny_idx(tmp_path / "d", arrays))
    assert data.checksums == {"train_images": True, "train_labels": True,
                              "test_images": True, "test_labels": False}
    assert not data.checksums_ok


def test_second_load_comes_from_the_npy_cache_with_equal_arrays(tmp_path, isolated_data_env):
    arrays = tiny_arrays()
    folder = write_tiny_idx(tmp_path / "d", arrays)
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
    folder = write_tiny_idx(tmp_path / "d", tiny_arrays(seed=1))
    load(folder)
    newer = tiny_arrays(seed=2)
    write_tiny_idx(folder, newer)
    path = folder / f"{IDX_FILES['train_images']}.gz"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # surely a new mtime
    data = load(folder)
    assert not data.from_cache
    assert_same_arrays(data, newer)
    assert len(list((isolated_data_env["cache"] / "arrays").iterdir())) == 1  # stale one gone


def test_corrupt_cache_entry_is_ignored_and_rebuilt(tmp_path, isolated_data_env):
    arrays = tiny_arrays()
    folder = write_tiny_idx(tmp_path / "d", arrays)
    load(folder)
    (entry,) = (isolated_data_env["cache"] / "arrays").iterdir()
    (entry / "train_images.npy").write_bytes(b"\x93NUMPY garbage")
    data = load(folder)
    assert not data.from_cache
    assert_same_arrays(data, arrays)
    assert load(folder).from_cache


def test_use_cache_false_writes_no_cache(tmp_path, isolated_data_env):
    load(write_tiny_idx(tmp_path / "d", tiny_arrays()), use_cache=False)
    assert not (isolated_data_env["cache"] / "arrays").exists()


@pytest.mark.parametrize("kind", ["idx", "csv"])
def test_a_file_replaced_with_the_same_size_and_timestamp_is_not_served_stale(
        tmp_path, isolated_data_env, kind):
    def write(folder, arrays):
        if kind == "csv":
            return write_tiny_csv(folder, arrays)
        return write_tiny_idx(folder, arrays, gz=False)

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

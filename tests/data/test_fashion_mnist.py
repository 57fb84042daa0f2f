"""Finding Fashion-MNIST: where the data is found (in the documented order), how it is checked,
and the real data set (Debian's dataset-fashion-mnist): sizes, classes, checksums, round trips."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.fake_data import assert_same_arrays, tiny_arrays, write_csv_set, write_idx_set

from telar.data import CLASS_NAMES, load_fashion_mnist, read_kaggle_csv, write_kaggle_csv
from telar.data import fashion_mnist as fm
from telar.data.download import download_files
from telar.data.fashion_mnist import IDX_FILES, OFFICIAL_SHA256
from telar.data.idx import to_idx_bytes, write_idx
from telar.errors import DataError

#: Where Debian's dataset-fashion-mnist installs the real data set.
REAL_DIR = Path("/usr/share/datasets/fashion-mnist")
#: The tests of the real data set, where it is installed.
needs_the_real_set = pytest.mark.skipif(not (REAL_DIR / "train-images-idx3-ubyte.gz").is_file(),
                                        reason=f"Fashion-MNIST not installed in {REAL_DIR}")


def load(*args, **kwargs):
    return load_fashion_mnist(*args, download=False, progress=False, **kwargs)


def test_data_dir_comes_first(tmp_path, monkeypatch, isolated_data_env):
    mine, env = tiny_arrays(seed=1), tiny_arrays(seed=2)
    write_idx_set(tmp_path / "env", env)
    write_idx_set(isolated_data_env["system"], tiny_arrays(seed=3))
    monkeypatch.setenv("TELAR_DATA", str(tmp_path / "env"))
    data = load(write_idx_set(tmp_path / "mine", mine))
    assert_same_arrays(data, mine)
    assert str(tmp_path / "mine") in data.source and "--data" in data.source


def test_telar_data_comes_before_cache_and_system(tmp_path, monkeypatch, isolated_data_env):
    env = tiny_arrays(seed=2)
    monkeypatch.setenv("TELAR_DATA", str(write_idx_set(tmp_path / "env", env)))
    write_idx_set(isolated_data_env["cache"] / "fashion-mnist", tiny_arrays(seed=4))
    write_idx_set(isolated_data_env["system"], tiny_arrays(seed=3))
    data = load()
    assert_same_arrays(data, env)
    assert "TELAR_DATA" in data.source


def test_user_cache_comes_before_system_package(isolated_data_env):
    cached = tiny_arrays(seed=4)
    write_idx_set(isolated_data_env["cache"] / "fashion-mnist", cached)
    write_idx_set(isolated_data_env["system"], tiny_arrays(seed=3))
    data = load()
    assert_same_arrays(data, cached)
    assert "user cache" in data.source


def test_system_package_is_used_when_nothing_else_is_there(isolated_data_env):
    system = tiny_arrays(seed=3)
    write_idx_set(isolated_data_env["system"], system, gz=False)
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
    write_idx_set(isolated_data_env["system"], tiny_arrays())
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
    folder = write_idx_set(tmp_path / "part", tiny_arrays())
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing t10k-labels-idx1-ubyte"):
        load(folder)


def test_kaggle_csv_folder_loads_the_same_arrays(tmp_path):
    arrays = tiny_arrays(seed=5)
    data = load(write_csv_set(tmp_path / "csv", arrays))
    assert_same_arrays(data, arrays)
    assert "CSV" in data.source


def test_explicit_csv_paths_load(tmp_path):
    arrays = tiny_arrays(seed=5)
    folder = write_csv_set(tmp_path / "csv", arrays)
    data = load_fashion_mnist(train_csv=folder / "fashion-mnist_train.csv",
                              test_csv=folder / "fashion-mnist_test.csv", download=False)
    assert_same_arrays(data, arrays)


def test_idx_is_preferred_over_csv_in_the_same_folder(tmp_path):
    idx, csv = tiny_arrays(seed=1), tiny_arrays(seed=2)
    folder = write_idx_set(tmp_path / "both", idx)
    write_csv_set(folder, csv)
    assert_same_arrays(load(folder), idx)


def test_labels_file_in_place_of_images_is_named(tmp_path):
    arrays = tiny_arrays()
    folder = write_idx_set(tmp_path / "swapped", arrays)
    write_idx(folder / "train-images-idx3-ubyte.gz", arrays["train_labels"])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: expected uint8 images "
                                        r"of shape \(N, 28, 28\).*is it a labels file"):
        load(folder)


def test_image_and_label_counts_must_agree(tmp_path):
    arrays = tiny_arrays()
    folder = write_idx_set(tmp_path / "short", arrays)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", arrays["test_labels"][:-1])
    with pytest.raises(DataError, match="19 labels for the 20 images"):
        load(folder)


def test_label_outside_0_to_9_in_idx_is_named(tmp_path):
    arrays = tiny_arrays()
    arrays["train_labels"][7] = 12
    with pytest.raises(DataError, match="label 12 at index 7 is outside 0-9"):
        load(write_idx_set(tmp_path / "bad", arrays))


def test_checksums_compare_decompressed_payloads_with_the_official_ones(tmp_path, monkeypatch):
    arrays = tiny_arrays()
    official = {n: hashlib.sha256(to_idx_bytes(a)).hexdigest() for n, a in arrays.items()}
    official["test_labels"] = "0" * 64
    monkeypatch.setattr(fm, "OFFICIAL_SHA256", official)
    data = load(write_idx_set(tmp_path / "d", arrays))
    assert data.checksums == {"train_images": True, "train_labels": True,
                              "test_images": True, "test_labels": False}
    assert not data.checksums_ok


# ------------------------------------------------------------------------------- the real data set


@pytest.fixture(scope="module")
def real():
    return load_fashion_mnist(REAL_DIR, download=False, use_cache=False)


@pytest.mark.realdata
@needs_the_real_set
def test_real_set_has_60000_train_and_10000_test_images(real):
    assert real.train_images.shape == (60000, 28, 28) and real.train_images.dtype == np.uint8
    assert real.test_images.shape == (10000, 28, 28) and real.test_images.dtype == np.uint8
    assert real.train_labels.shape == (60000,) and real.test_labels.shape == (10000,)


@pytest.mark.realdata
@needs_the_real_set
def test_real_set_has_6000_and_1000_images_per_class(real):
    np.testing.assert_array_equal(np.bincount(real.train_labels), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(real.test_labels), [1000] * 10)


@pytest.mark.realdata
@needs_the_real_set
def test_first_training_image_is_an_ankle_boot(real):
    assert real.train_labels[0] == 9
    assert CLASS_NAMES[real.train_labels[0]] == "Ankle boot"


@pytest.mark.realdata
@needs_the_real_set
def test_real_payloads_match_the_official_checksums(real):
    assert real.checksums == dict.fromkeys(IDX_FILES, True)


@pytest.mark.realdata
@needs_the_real_set
def test_real_test_split_round_trips_through_kaggle_csv(real, tmp_path):
    write_kaggle_csv(tmp_path / "test.csv", real.test_images, real.test_labels)
    images, labels = read_kaggle_csv(tmp_path / "test.csv")
    np.testing.assert_array_equal(images, real.test_images)
    np.testing.assert_array_equal(labels, real.test_labels)


@pytest.mark.realdata
@needs_the_real_set
def test_real_files_pass_the_downloaders_checksum_on_a_local_mirror(mirror, tmp_path):
    for stem in IDX_FILES.values():
        mirror.files[f"{stem}.gz"] = (REAL_DIR / f"{stem}.gz").read_bytes()
    wanted = {f"{IDX_FILES[n]}.gz": OFFICIAL_SHA256[n] for n in IDX_FILES}
    paths = download_files(wanted, tmp_path, mirror=mirror.url, progress=False)
    for name, path in paths.items():
        assert path.read_bytes() == (REAL_DIR / name).read_bytes()


@pytest.mark.realdata
@needs_the_real_set
def test_real_set_loads_from_the_npy_cache_the_second_time(tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(REAL_DIR, folder)
    first = load_fashion_mnist(folder, download=False)
    second = load_fashion_mnist(folder, download=False)
    assert not first.from_cache and second.from_cache and second.checksums_ok
    np.testing.assert_array_equal(second.train_images, first.train_images)


@pytest.mark.realdata
@needs_the_real_set
def test_cli_download_then_info_uses_the_user_cache(mirror, monkeypatch, isolated_data_env):
    for stem in IDX_FILES.values():
        mirror.files[f"{stem}.gz"] = (REAL_DIR / f"{stem}.gz").read_bytes()
    monkeypatch.setenv("TELAR_MIRROR", mirror.url)

    def telar(*args):
        return subprocess.run([sys.executable, "-m", "telar", *args], capture_output=True,
                              text=True, timeout=300)

    result = telar("data", "download")
    assert result.returncode == 0, result.stderr
    cache_dir = isolated_data_env["cache"] / "fashion-mnist"
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted(
        f"{stem}.gz" for stem in IDX_FILES.values())
    info = telar("data", "info", "--no-download")
    assert info.returncode == 0, info.stderr
    assert f"source:     {cache_dir} (user cache, IDX)" in info.stdout
    assert "checksums:  OK" in info.stdout

"""The real data set (Debian's dataset-fashion-mnist): sizes, classes, checksums, round trips."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from helpers.mirror import REAL_DIR

from telar.data import CLASS_NAMES, load_fashion_mnist, read_kaggle_csv, write_kaggle_csv
from telar.data.download import download_files
from telar.data.fashion_mnist import IDX_FILES, OFFICIAL_SHA256

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not (REAL_DIR / "train-images-idx3-ubyte.gz").is_file(),
                       reason=f"Fashion-MNIST not installed in {REAL_DIR}"),
]


@pytest.fixture(scope="module")
def real():
    return load_fashion_mnist(REAL_DIR, download=False, use_cache=False)


def test_real_set_has_60000_train_and_10000_test_images(real):
    assert real.train_images.shape == (60000, 28, 28) and real.train_images.dtype == np.uint8
    assert real.test_images.shape == (10000, 28, 28) and real.test_images.dtype == np.uint8
    assert real.train_labels.shape == (60000,) and real.test_labels.shape == (10000,)


def test_real_set_has_6000_and_1000_images_per_class(real):
    np.testing.assert_array_equal(np.bincount(real.train_labels), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(real.test_labels), [1000] * 10)


def test_first_training_image_is_an_ankle_boot(real):
    assert real.train_labels[0] == 9
    assert CLASS_NAMES[real.train_labels[0]] == "Ankle boot"


def test_real_payloads_match_the_official_checksums(real):
    assert real.checksums == dict.fromkeys(IDX_FILES, True)


def test_real_test_split_round_trips_through_kaggle_csv(real, tmp_path):
    write_kaggle_csv(tmp_path / "test.csv", real.test_images, real.test_labels)
    images, labels = read_kaggle_csv(tmp_path / "test.csv")
    np.testing.assert_array_equal(images, real.test_images)
    np.testing.assert_array_equal(labels, real.test_labels)


def test_real_files_pass_the_downloaders_checksum_on_a_local_mirror(mirror, tmp_path):
    for stem in IDX_FILES.values():
        mirror.files[f"{stem}.gz"] = (REAL_DIR / f"{stem}.gz").read_bytes()
    wanted = {f"{IDX_FILES[n]}.gz": OFFICIAL_SHA256[n] for n in IDX_FILES}
    paths = download_files(wanted, tmp_path, mirror=mirror.url, progress=False)
    for name, path in paths.items():
        assert path.read_bytes() == (REAL_DIR / name).read_bytes()


def test_real_set_loads_from_the_npy_cache_the_second_time(tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(REAL_DIR, folder)
    first = load_fashion_mnist(folder, download=False)
    second = load_fashion_mnist(folder, download=False)
    assert not first.from_cache and second.from_cache and second.checksums_ok
    np.testing.assert_array_equal(second.train_images, first.train_images)


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

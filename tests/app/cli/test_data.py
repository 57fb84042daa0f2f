"""`telar data info/export`: the output users read, the files they get, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers.fake_data import assert_same_arrays, tiny_arrays, write_csv_set, write_idx_set

from telar.data import CLASS_NAMES, load_fashion_mnist, read_kaggle_csv

# As in tests/data: no user cache, TELAR_DATA, system data set or internet.
pytestmark = pytest.mark.usefixtures("isolated_data_env")


def telar(*args: str) -> subprocess.CompletedProcess:
    # The isolated environment (monkeypatched os.environ) is inherited by the child.
    return subprocess.run([sys.executable, "-m", "telar", *args], capture_output=True,
                          text=True, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("telar: error:")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_info_prints_source_sizes_checksum_status_and_per_class_counts(tmp_path):
    arrays = tiny_arrays(n_train=30, n_test=20)
    arrays["train_labels"][:] = np.repeat(np.arange(10), 3)
    arrays["train_labels"][:4] = 4  # class 4: 3 + 3 extra, classes 0 and 1: 0
    folder = write_idx_set(tmp_path / "d", arrays)
    result = telar("data", "info", "--data", str(folder))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"source:     {folder} (--data, IDX)" in out
    assert "train:      30 images (28, 28)" in out and "test:       20 images (28, 28)" in out
    assert "checksums:  DIFFERENT from the official Fashion-MNIST" in out
    rows = {line.split()[0]: line.split()[-2:] for line in out.splitlines()
            if line.strip()[:1].isdigit()}
    assert rows["0"] == ["0", "2"] and rows["1"] == ["2", "2"] and rows["4"] == ["7", "2"]
    for name in CLASS_NAMES:
        assert name in out


def test_export_writes_kaggle_csvs_that_round_trip_exactly(tmp_path):
    arrays = tiny_arrays(seed=4)
    folder = write_idx_set(tmp_path / "idx", arrays)
    result = telar("data", "export", "--format", "csv", "--out", str(tmp_path / "csv"),
                   "--data", str(folder))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "fashion-mnist_test.csv", "fashion-mnist_train.csv"]
    images, labels = read_kaggle_csv(tmp_path / "csv" / "fashion-mnist_train.csv")
    np.testing.assert_array_equal(images, arrays["train_images"])
    np.testing.assert_array_equal(labels, arrays["train_labels"])
    assert_same_arrays(load_fashion_mnist(tmp_path / "csv", download=False), arrays)


def test_missing_data_folder_is_a_one_line_error(tmp_path):
    assert_one_line_error(telar("data", "info", "--data", str(tmp_path / "nope")),
                          "no such folder", str(tmp_path / "nope"))


def test_corrupt_idx_file_is_a_one_line_error_naming_it(tmp_path):
    folder = write_idx_set(tmp_path / "d", tiny_arrays())
    bad = folder / "train-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:100])
    assert_one_line_error(telar("data", "info", "--data", str(folder)), str(bad), "gzip")


def test_bad_csv_line_is_a_one_line_error_naming_file_and_line(tmp_path):
    folder = write_csv_set(tmp_path / "csv", tiny_arrays())
    path = folder / "fashion-mnist_test.csv"
    lines = path.read_text().splitlines()
    lines[6] = "3," + ",".join(["0"] * 783) + ",999"
    path.write_text("\n".join(lines) + "\n")
    assert_one_line_error(telar("data", "info", "--data", str(folder)),
                          f"{path}, line 7: pixel784 value 999 is outside 0-255")


def test_nothing_found_without_download_is_a_one_line_error_with_options():
    assert_one_line_error(telar("data", "info", "--no-download"), "TELAR_DATA",
                          "dataset-fashion-mnist", "--data DIR")


def test_export_onto_a_file_is_a_one_line_error(tmp_path):
    folder = write_idx_set(tmp_path / "d", tiny_arrays())
    (tmp_path / "file").write_text("keep me")
    assert_one_line_error(telar("data", "export", "--out", str(tmp_path / "file"),
                                "--data", str(folder)), "not a folder")
    assert (tmp_path / "file").read_text() == "keep me"


@pytest.mark.parametrize("args", [["data", "export", "--format", "parquet", "--out", "x"],
                                  ["data", "export"], ["data", "frobnicate"]])
def test_bad_options_are_one_line_errors(args):
    assert_one_line_error(telar(*args))


def test_download_from_an_unreachable_mirror_is_a_one_line_error():
    # TELAR_MIRROR points at a closed port on 127.0.0.1 (see conftest).
    result = telar("data", "download")
    assert_one_line_error(result, "127.0.0.1:9", "download failed")


def test_export_never_replaces_an_existing_csv_without_overwrite(tmp_path):
    folder = write_idx_set(tmp_path / "idx", tiny_arrays(seed=4))
    out = tmp_path / "csv"
    out.mkdir()
    (out / "fashion-mnist_test.csv").write_text("the user's own file\n")
    stale = out / ".fashion-mnist_train.csv.x1y2z3.part"
    stale.write_bytes(b"half an export")
    result = telar("data", "export", "--out", str(out), "--data", str(folder))
    assert_one_line_error(result, "fashion-mnist_test.csv already exists", "--overwrite")
    assert (out / "fashion-mnist_test.csv").read_text() == "the user's own file\n"
    result = telar("data", "export", "--out", str(out), "--data", str(folder), "--overwrite")
    assert result.returncode == 0, result.stderr
    assert read_kaggle_csv(out / "fashion-mnist_test.csv")[0].shape[1:] == (28, 28)
    assert not stale.exists()


def test_export_on_a_full_disk_is_one_line_naming_the_file_and_leaves_no_part(tmp_path):
    from helpers.bounded import assert_one_line_error as one_line
    from helpers.bounded import telar_bounded
    folder = write_idx_set(tmp_path / "data", tiny_arrays())
    out = tmp_path / "export"
    result = telar_bounded("data", "export", "--data", str(folder), "--out", str(out),
                           file_size=48 << 10)  # the 90 KB training CSV does not fit
    one_line(result, str(out / "fashion-mnist_train.csv"), "File too large")
    assert list(out.iterdir()) == []

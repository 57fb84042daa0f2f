"""CSV inputs that are not plain files of sane size: bounded reads, one clear error each.

A sparse 2 GB file, /dev/zero, a 1 GB first line, a FIFO, a pipe (``<(cat f.csv)``) and a
header-less CSV with a column too many. Memory cases run under an address-space limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers.bounded import assert_one_line_error, python_bounded, telar_bounded
from helpers.mirror import tiny_arrays, write_tiny_csv

from telar.data import read_kaggle_csv
from telar.data.fashion_mnist import CSV_FILES
from telar.errors import DataError

READ = ("import sys; from telar.data import read_kaggle_csv; "
        "images, labels = read_kaggle_csv(sys.argv[1]); print(images.shape, labels.sum())")


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)  # no disk used
    return path


def csv_folder(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    arrays = tiny_arrays()
    return write_tiny_csv(tmp_path / "data", arrays), arrays


def test_a_sparse_two_gigabyte_csv_is_refused_by_its_size(tmp_path):
    folder, _ = csv_folder(tmp_path)
    sparse(folder / CSV_FILES["train"], 2 << 30)
    result = telar_bounded("data", "info", "--data", str(folder), "--no-download")
    assert_one_line_error(result, CSV_FILES["train"], "2.15 GB", "at most 1024 MiB")


def test_a_one_gigabyte_first_line_is_read_no_further_than_the_line_cap(tmp_path):
    path = sparse(tmp_path / "nul.csv", 1_000_000_000)
    result = python_bounded(READ, str(path))
    assert "MemoryError" not in result.stderr, result.stderr[-400:]
    assert "DataError" in result.stderr and "line 1: longer than 1 MiB" in result.stderr


def test_dev_zero_as_a_csv_is_refused_as_a_device():
    result = python_bounded(READ, "/dev/zero", timeout=30)
    assert "MemoryError" not in result.stderr, result.stderr[-400:]
    assert "DataError: /dev/zero: is a device, not a CSV file" in result.stderr


def test_a_headerless_csv_with_786_columns_is_a_one_line_error(tmp_path):
    folder, _ = csv_folder(tmp_path)
    rows = "\n".join(",".join(["3"] + ["0"] * 785) for _ in range(5))
    (folder / CSV_FILES["train"]).write_text(rows + "\n")
    result = telar_bounded("data", "info", "--data", str(folder), "--no-download")
    assert_one_line_error(result, CSV_FILES["train"], "line 1: 786 columns, expected 785")


def test_a_fifo_with_a_writer_is_read_once_like_a_file(tmp_path):
    folder, arrays = csv_folder(tmp_path)
    fifo = tmp_path / "train.fifo"
    os.mkfifo(fifo)
    content = (folder / CSV_FILES["train"]).read_bytes()
    writer = threading.Thread(target=fifo.write_bytes, args=(content,), daemon=True)
    writer.start()
    images, labels = read_kaggle_csv(fifo)
    writer.join(timeout=10)
    np.testing.assert_array_equal(images, arrays["train_images"])
    np.testing.assert_array_equal(labels, arrays["train_labels"])


def test_a_fifo_with_a_bad_row_names_its_line(tmp_path):
    folder, _ = csv_folder(tmp_path)
    fifo = tmp_path / "bad.fifo"
    os.mkfifo(fifo)
    lines = (folder / CSV_FILES["train"]).read_bytes().splitlines()
    lines[3] = lines[3].replace(b",", b",x", 1)
    writer = threading.Thread(target=fifo.write_bytes, args=(b"\n".join(lines),), daemon=True)
    writer.start()
    with pytest.raises(DataError, match=r"bad.fifo, line 4: pixel1 is not an integer"):
        read_kaggle_csv(fifo)
    writer.join(timeout=10)


def test_process_substitution_pipes_load_as_train_and_test_csvs(tmp_path):
    # What `--train-csv <(cat train.csv) --test-csv <(cat test.csv)` hands telar.
    folder, arrays = csv_folder(tmp_path)
    code = ("import sys; from telar.data import load_fashion_mnist; "
            "d = load_fashion_mnist(train_csv=sys.argv[1], test_csv=sys.argv[2], "
            "download=False, progress=False); "
            "print(int(d.train_images.sum()), int(d.test_labels.sum()), d.from_cache)")
    script = (f'"{sys.executable}" -c "$0" <(cat "$1") <(cat "$2")')
    result = subprocess.run(["bash", "-c", script, code, str(folder / CSV_FILES["train"]),
                             str(folder / CSV_FILES["test"])],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-600:]
    expected = f"{int(arrays['train_images'].sum())} {int(arrays['test_labels'].sum())} False"
    assert result.stdout.strip() == expected


def test_a_pipe_longer_than_the_cap_is_cut_and_refused():
    code = ("import sys; import telar.data.csv as c; c.MAX_CSV_BYTES = 1 << 20; "
            "c.read_kaggle_csv(sys.argv[1])")
    script = f'"{sys.executable}" -c "$0" <(yes 1,2,3)'
    result = subprocess.run(["bash", "-c", script, code], capture_output=True, text=True,
                            timeout=60)
    assert "DataError" in result.stderr and "the pipe sent more than 1 MiB" in result.stderr

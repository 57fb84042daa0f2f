"""Kaggle-layout CSV: the variants users hold parse alike and each bad line is named; inputs
that are not plain files of sane size are read bounded, one clear error each.

Those: a sparse 2 GB file, /dev/zero, a 1 GB first line, a FIFO, a pipe (``<(cat f.csv)``)
and a header-less CSV with a column too many. Memory cases run under an address-space limit.
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
from helpers.fake_data import tiny_arrays, write_csv_set

from telar.data.csv import KAGGLE_HEADER, read_kaggle_csv, write_kaggle_csv
from telar.data.fashion_mnist import CSV_FILES
from telar.errors import DataError


def rows_text(labels, images, *, header=True, eol="\n") -> str:
    lines = [KAGGLE_HEADER] if header else []
    for label, image in zip(labels, images, strict=True):
        lines.append(",".join([str(label)] + [str(v) for v in image.ravel()]))
    return eol.join(lines) + eol


@pytest.fixture
def small():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    labels = np.array([9, 0, 3, 7], dtype=np.uint8)
    return images, labels


@pytest.mark.parametrize("variant", ["header", "no header", "CRLF", "trailing blank line",
                                     "CRLF no header trailing blank"])
def test_csv_variants_parse_to_the_same_arrays(tmp_path, small, variant):
    images, labels = small
    text = {
        "header": rows_text(labels, images),
        "no header": rows_text(labels, images, header=False),
        "CRLF": rows_text(labels, images, eol="\r\n"),
        "trailing blank line": rows_text(labels, images) + "\n",
        "CRLF no header trailing blank": rows_text(labels, images, header=False, eol="\r\n")
        + "\r\n",
    }[variant]
    path = tmp_path / "f.csv"
    path.write_text(text, newline="")
    got_images, got_labels = read_kaggle_csv(path)
    assert got_images.dtype == np.uint8 and got_labels.dtype == np.uint8
    assert got_images.shape == (4, 28, 28)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_writer_output_reads_back_exactly_and_starts_with_kaggle_header(tmp_path, small):
    images, labels = small
    path = tmp_path / "out.csv"
    write_kaggle_csv(path, images, labels)
    first = path.read_text().splitlines()[0]
    assert first == KAGGLE_HEADER
    assert first.split(",")[:3] == ["label", "pixel1", "pixel2"]
    assert first.split(",")[-1] == "pixel784"
    assert path.read_text().splitlines()[1].split(",")[0] == "9"
    got_images, got_labels = read_kaggle_csv(path)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def broken_file(tmp_path, small, line_index: int, new_line: str, header=True):
    """A CSV of the small rows whose line ``line_index`` (0-based, header included) is replaced."""
    images, labels = small
    lines = rows_text(labels, images, header=header).splitlines()
    lines[line_index] = new_line
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


def good_row(value_at: dict[int, str]) -> str:
    fields = ["1"] + ["0"] * 784
    for index, value in value_at.items():
        fields[index] = value
    return ",".join(fields)


CASES = {
    "too few columns": (good_row({})[:-2], r"784 columns, expected 785"),
    "too many columns": (good_row({}) + ",0", r"786 columns, expected 785"),
    "non-integer pixel": (good_row({5: "x"}), r"pixel5 is not an integer: 'x'"),
    "decimal pixel": (good_row({7: "1.5"}), r"pixel7 is not an integer: '1.5'"),
    "empty field": (good_row({3: ""}), r"pixel3 is not an integer: ''"),
    "pixel above 255": (good_row({784: "256"}), r"pixel784 value 256 is outside 0-255"),
    "negative pixel": (good_row({1: "-1"}), r"pixel1 value -1 is outside 0-255"),
    "label above 9": (good_row({0: "10"}), r"label 10 is outside 0-9"),
    "non-integer label": (good_row({0: "Coat"}), r"label is not an integer: 'Coat'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_row_error_names_file_and_line(tmp_path, small, case):
    new_line, message = CASES[case]
    path, _ = broken_file(tmp_path, small, 3, new_line)  # line 4 of the file (header = 1)
    with pytest.raises(DataError, match=message) as info:
        read_kaggle_csv(path)
    assert str(info.value).startswith(f"{path}, line 4: ")


def test_label_above_9_found_after_a_successful_fast_parse_names_its_line(tmp_path, small):
    # 10..255 parse as uint8, so only the label check catches it, still with the line.
    path, _ = broken_file(tmp_path, small, 3, good_row({0: "200"}), header=False)
    with pytest.raises(DataError, match=rf"{path}, line 4: label 200 is outside 0-9"):
        read_kaggle_csv(path)


def test_line_numbers_count_blank_lines_and_crlf(tmp_path, small):
    images, labels = small
    text = rows_text(labels, images, eol="\r\n").split("\r\n")
    text.insert(2, "")  # a blank line 3; the former line 3 is now line 4
    text[4] = good_row({2: "300"})
    path = tmp_path / "blank.csv"
    path.write_text("\r\n".join(text), newline="")
    with pytest.raises(DataError, match=rf"{path}, line 5: pixel2 value 300"):
        read_kaggle_csv(path)


def test_bad_label_on_the_first_line_is_not_mistaken_for_a_header(tmp_path, small):
    path, _ = broken_file(tmp_path, small, 0, good_row({0: "Coat"}), header=False)
    with pytest.raises(DataError, match=rf"{path}, line 1: label is not an integer: 'Coat'"):
        read_kaggle_csv(path)


def test_first_bad_line_is_reported_when_several_are_bad(tmp_path, small):
    images, labels = small
    lines = rows_text(labels, images).splitlines()
    lines[2] = good_row({9: "abc"})
    lines[4] = good_row({0: "11"})
    path = tmp_path / "two.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r", line 3: pixel9 is not an integer"):
        read_kaggle_csv(path)


@pytest.mark.parametrize("content", ["", "\n\n", "\r\n"])
def test_empty_file_is_an_error(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content, newline="")
    with pytest.raises(DataError, match=f"{path}: empty file"):
        read_kaggle_csv(path)


def test_header_without_rows_is_an_error(tmp_path):
    path = tmp_path / "header-only.csv"
    path.write_text(KAGGLE_HEADER + "\n")
    with pytest.raises(DataError, match=f"{path}: no image rows"):
        read_kaggle_csv(path)


def test_header_of_wrong_width_is_an_error_on_line_1(tmp_path):
    path = tmp_path / "narrow.csv"
    path.write_text("label,pixel1,pixel2\n1,2,3\n")
    with pytest.raises(DataError, match=rf"{path}, line 1: header has 3 columns"):
        read_kaggle_csv(path)


def test_missing_csv_file_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_kaggle_csv(tmp_path / "absent.csv")


def test_writer_refuses_mismatched_shapes_and_leaves_no_file(tmp_path, small):
    images, labels = small
    with pytest.raises(DataError, match="labels"):
        write_kaggle_csv(tmp_path / "x.csv", images, labels[:3])
    with pytest.raises(DataError, match="uint8"):
        write_kaggle_csv(tmp_path / "x.csv", images.astype(np.int32), labels)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------- inputs that are not plain files of sane size


READ = ("import sys; from telar.data import read_kaggle_csv; "
        "images, labels = read_kaggle_csv(sys.argv[1]); print(images.shape, labels.sum())")


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)  # no disk used
    return path


def csv_folder(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    arrays = tiny_arrays()
    return write_csv_set(tmp_path / "data", arrays), arrays


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

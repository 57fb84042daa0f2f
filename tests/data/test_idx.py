"""IDX files: every type the format defines round-trips, every kind of damage is named, and
files that claim or inflate to more than the format allows are refused with memory bounded.

Each of those cases runs in a child process under an address-space limit
(tests/helpers/bounded.py), so a reader that trusts the file fails fast with a MemoryError
instead of exhausting the machine.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from helpers.bounded import assert_one_line_error, python_bounded, telar_bounded
from helpers.fake_data import tiny_arrays, write_idx_set

from telar.data.fashion_mnist import IDX_FILES
from telar.data.idx import read_idx, to_idx_bytes, write_idx
from telar.errors import DataError

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def idx_bytes(code: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compress", [True, False])
def test_every_idx_type_round_trips_exactly(tmp_path, dtype, compress):
    rng = np.random.default_rng(1)
    array = (rng.normal(size=(3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / "a.idx"
    write_idx(path, array, compress=compress)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype)  # native byte order, not big-endian
    np.testing.assert_array_equal(back, array)


def test_payload_is_big_endian_as_the_format_says():
    payload = to_idx_bytes(np.array([1, 256], dtype=np.int32))
    assert payload == bytes([0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 0])


def test_compression_is_detected_from_magic_bytes_not_the_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    gz_without_suffix = tmp_path / "images-idx2-ubyte"
    raw_named_gz = tmp_path / "images-idx2-ubyte.gz"
    write_idx(gz_without_suffix, array, compress=True)
    write_idx(raw_named_gz, array, compress=False)
    assert gz_without_suffix.read_bytes()[:2] == b"\x1f\x8b"
    assert raw_named_gz.read_bytes()[:2] == b"\x00\x00"
    np.testing.assert_array_equal(read_idx(gz_without_suffix), array)
    np.testing.assert_array_equal(read_idx(raw_named_gz), array)


def test_read_array_is_writable(tmp_path):
    write_idx(tmp_path / "a.gz", np.zeros((2, 2), np.uint8))
    array = read_idx(tmp_path / "a.gz")
    array[0, 0] = 7
    assert array[0, 0] == 7


BROKEN = {
    "truncated payload": (idx_bytes(0x08, (2, 28, 28), bytes(1000)), "truncated"),
    "trailing bytes": (idx_bytes(0x08, (2,), bytes(3)), "trailing bytes"),
    "bad magic": (b"\x12\x34\x08\x01" + bytes(8), "not an IDX file"),
    "unknown type code": (idx_bytes(0x0A, (2,), bytes(2)), "unknown IDX type code 0x0A"),
    "zero dimensions": (bytes([0, 0, 8, 0]), "0 dimensions"),
    "truncated header": (bytes([0, 0, 8, 3]) + bytes(6), "truncated IDX header"),
    "shorter than magic": (b"\x00\x00", "shorter than the 4-byte magic"),
    "empty file": (b"", "not an IDX file"),
}


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_idx_file_is_a_data_error_naming_file_and_fault(tmp_path, case, compress):
    data, expected = BROKEN[case]
    path = tmp_path / "broken-idx-ubyte"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_truncated_payload_message_gives_expected_and_actual_sizes(tmp_path):
    path = tmp_path / "t"
    path.write_bytes(idx_bytes(0x08, (2, 28, 28), bytes(1000)))
    with pytest.raises(DataError, match=r"2 x 28 x 28 array of uint8 needs 1568 bytes.*has 1000"):
        read_idx(path)


def test_truncated_gzip_stream_is_a_data_error(tmp_path):
    whole = gzip.compress(idx_bytes(0x08, (100,), bytes(range(100))))
    path = tmp_path / "cut.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="truncated gzip"):
        read_idx(path)


def test_corrupt_gzip_data_is_a_data_error(tmp_path):
    path = tmp_path / "corrupt.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + bytes(6) + b"this is not deflate data at all")
    with pytest.raises(DataError, match=f"{path}: corrupt gzip"):
        read_idx(path)


def test_missing_file_and_folder_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "absent")
    with pytest.raises(DataError, match="is a folder"):
        read_idx(tmp_path)


def test_writing_an_unsupported_dtype_is_refused(tmp_path):
    with pytest.raises(DataError, match="dtype"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.uint16))
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------- more than the format allows


ZEROS = bytes(784 * 10_000)  # 10,000 blank images
ZEROS_GZ = gzip.compress(ZEROS, compresslevel=9)  # one gzip member of about 8 KB


def gzip_bomb(header: bytes, n_blank_images: int) -> bytes:
    """A valid multi-member gzip file: ``header`` then ``n_blank_images`` blank 28x28 images.

    Each member is a complete gzip stream with its own CRC, so the file is valid; it is a few
    MB on disk however many gigabytes it inflates to.
    """
    assert n_blank_images % 10_000 == 0
    return gzip.compress(header) + ZEROS_GZ * (n_blank_images // 10_000)


def images_header(n: int) -> bytes:
    return bytes([0, 0, 0x08, 3]) + struct.pack(">3I", n, 28, 28)


def data_folder(tmp_path: Path, train_images: bytes) -> Path:
    folder = write_idx_set(tmp_path / "data", tiny_arrays())
    (folder / f"{IDX_FILES['train_images']}.gz").write_bytes(train_images)
    return folder


READ = "import sys; from telar.data import read_idx; print(read_idx(sys.argv[1]).shape)"


def test_a_small_gz_of_three_million_blank_images_is_refused_by_its_header(tmp_path):
    bomb = gzip_bomb(images_header(3_000_000), 3_000_000)
    assert len(bomb) < 5_000_000  # 2.35 GB of pixels in a few MB
    folder = data_folder(tmp_path, bomb)
    result = telar_bounded("data", "info", "--data", str(folder), "--no-download")
    line = assert_one_line_error(result, IDX_FILES["train_images"], "3000000 x 28 x 28",
                                 "at most 512 MiB")
    assert "MemoryError" not in line


def test_a_gz_that_inflates_far_beyond_its_header_stops_at_the_declared_size(tmp_path):
    # The header says 10 images; the stream goes on for 1.5 GB of zeros.
    path = tmp_path / "bomb-idx3-ubyte.gz"
    path.write_bytes(gzip_bomb(images_header(10) + bytes(7840), 2_000_000))
    result = python_bounded(READ, str(path))
    assert result.returncode == 1
    assert "DataError" in result.stderr and "trailing bytes" in result.stderr
    assert "MemoryError" not in result.stderr


def test_a_raw_idx_file_of_gigabytes_is_read_only_as_far_as_its_header_declares(tmp_path):
    path = tmp_path / "huge-idx3-ubyte"
    with open(path, "wb") as f:
        f.write(images_header(10) + bytes(7840))
        f.truncate(3 << 30)  # a sparse 3 GB file: no disk used
    result = python_bounded(READ, str(path))
    assert "DataError" in result.stderr and "trailing bytes" in result.stderr
    assert "MemoryError" not in result.stderr


def test_an_idx_set_with_zero_images_is_a_one_line_error(tmp_path):
    folder = write_idx_set(tmp_path / "data", tiny_arrays())
    write_idx(folder / f"{IDX_FILES['train_images']}.gz", np.zeros((0, 28, 28), np.uint8))
    write_idx(folder / f"{IDX_FILES['train_labels']}.gz", np.zeros(0, np.uint8))
    result = telar_bounded("data", "info", "--data", str(folder), "--no-download")
    assert_one_line_error(result, IDX_FILES["train_images"], "0 images")

"""IDX files: every type the format defines round-trips; every kind of damage is named."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

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

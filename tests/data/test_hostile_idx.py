"""IDX files that claim or inflate to more than the format allows: refused, memory bounded.

Each case runs in a child process under an address-space limit (tests/helpers/bounded.py), so
a reader that trusts the file fails fast with a MemoryError instead of exhausting the machine.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
from helpers.bounded import assert_one_line_error, python_bounded, telar_bounded
from helpers.mirror import tiny_arrays, write_tiny_idx

from telar.data.fashion_mnist import IDX_FILES

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
    folder = write_tiny_idx(tmp_path / "data", tiny_arrays())
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
    folder = write_tiny_idx(tmp_path / "data", tiny_arrays())
    from telar.data.idx import write_idx
    write_idx(folder / f"{IDX_FILES['train_images']}.gz", np.zeros((0, 28, 28), np.uint8))
    write_idx(folder / f"{IDX_FILES['train_labels']}.gz", np.zeros(0, np.uint8))
    result = telar_bounded("data", "info", "--data", str(folder), "--no-download")
    assert_one_line_error(result, IDX_FILES["train_images"], "0 images")

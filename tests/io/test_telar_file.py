"""The telar file container: its SHA-256 manifest covers every byte of every array, the cap on
what an archive may inflate to counts all its members together, and a file held in memory
(bytes) is the same file, read with the same checks."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

import telar.io.telar_file as telar_file
from telar.errors import ModelFileError
from telar.io.telar_file import (
    load_telar_file,
    read_telar_bytes,
    save_telar_file,
    telar_file_bytes,
)


def rewrite_member(path: Path, name: str, change) -> None:
    """Rewrite ``path`` with member ``name``'s bytes passed through ``change``; the zip's own
    CRC-32 is recomputed, so only telar's checksum can tell."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members[name] = change(members[name])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize("where", [1024, 3000, -1])
def test_a_byte_changed_anywhere_in_an_array_is_refused_by_its_checksum(tmp_path, where):
    path = tmp_path / "m.npz"
    weights = np.arange(1000, dtype=np.float32)  # 4,000 bytes of data after the .npy header
    save_telar_file(path, "telar-model", {}, {"w": weights, "b": np.zeros(3, np.float32)})
    assert np.array_equal(load_telar_file(path, "telar-model")[1]["w"], weights)

    def flip(data: bytes) -> bytes:
        at = where % len(data)
        return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]

    rewrite_member(path, "w.npy", flip)
    with pytest.raises(ModelFileError, match="checksum"):
        load_telar_file(path, "telar-model")


def test_an_archive_whose_members_together_exceed_the_cap_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    arrays = {f"part{i}": np.zeros(500, np.float64) for i in range(3)}  # 4,000+ bytes each
    save_telar_file(path, "telar-model", {}, arrays)
    monkeypatch.setattr(telar_file, "MAX_FILE_BYTES", 10_000)  # each member alone fits
    with pytest.raises(ModelFileError, match="declares over"):
        load_telar_file(path, "telar-model")
    monkeypatch.setattr(telar_file, "MAX_FILE_BYTES", 20_000)  # and all together fit
    assert set(load_telar_file(path, "telar-model")[1]) == set(arrays)


def test_bytes_hold_what_a_file_holds_and_read_back_the_same(tmp_path):
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array([3])}
    data = telar_file_bytes("telar-thing", {"note": "hi"}, arrays)
    save_telar_file(tmp_path / "f.npz", "telar-thing", {"note": "hi"}, arrays)
    from_file = load_telar_file(tmp_path / "f.npz", "telar-thing")
    meta, back = read_telar_bytes(data, "telar-thing")
    assert meta["note"] == from_file[0]["note"] == "hi"
    for name, array in arrays.items():
        np.testing.assert_array_equal(back[name], array)
        assert back[name].dtype == array.dtype


def test_bytes_of_another_format_a_corrupt_member_or_no_bytes_are_refused_by_name():
    data = telar_file_bytes("telar-thing", {}, {"w": np.ones(1000, np.float32)})
    with pytest.raises(ModelFileError, match="^my state: is a telar-thing file, not a "
                                             "telar-other file"):
        read_telar_bytes(data, "telar-other", name="my state")
    corrupt = bytearray(data)
    corrupt[200:204] = b"\x01\x02\x03\x04"  # inside the array's bytes
    with pytest.raises(ModelFileError, match="^my state: corrupt"):
        read_telar_bytes(bytes(corrupt), "telar-thing", name="my state")
    with pytest.raises(ModelFileError, match="expected the bytes of a telar file, got str"):
        read_telar_bytes("PK..", "telar-thing")

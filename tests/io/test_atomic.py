"""Atomic writes: the final name holds either the old or the whole new content, never a part."""

import os
import stat

import pytest

from telar.io.atomic import atomic_write, atomic_write_text


def test_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "summary.json"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new content")
    assert target.read_text() == "new content"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.npz"
    atomic_write_text(target, "good")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as f:
        f.write("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_written_files_get_the_umask_mode_not_a_private_one(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


# --- a full disk: one clear error naming the file, the old file intact ---------------------

WRITE = ("import sys; from telar.io.atomic import atomic_write_bytes; "
         "atomic_write_bytes(sys.argv[1], b'new' * 1_000_000)")


def test_a_file_too_large_for_ulimit_f_keeps_the_old_file_and_no_temporary(tmp_path):
    from helpers.bounded import python_bounded
    target = tmp_path / "model.npz"
    target.write_bytes(b"the previous model")
    result = python_bounded(WRITE, str(target), file_size=1 << 20)
    assert "FileWriteError" in result.stderr
    assert f"{target}: cannot write: File too large" in result.stderr
    assert target.read_bytes() == b"the previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_file_write_error_is_both_a_telar_error_and_an_os_error(tmp_path):
    from telar.errors import FileWriteError, TelarError
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(FileWriteError) as info:
        atomic_write_text(blocker / "summary.json", "{}")  # a folder under a regular file
    assert isinstance(info.value, TelarError) and isinstance(info.value, OSError)
    assert str(info.value) == f"{blocker / 'summary.json'}: cannot write: Not a directory"

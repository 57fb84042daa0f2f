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


# --- what is at the final name: only a regular file is ever replaced ------------------------
# Every node these tests write to lives in tmp_path (or /proc, where nothing can be created):
# code that regressed to renaming over its target must never replace a real /dev node.


def device_node(path, kind=stat.S_IFCHR, major=1, minor=3):
    """A device node in tmp_path (character 1,3 is the null device); skip without root."""
    try:
        os.mknod(path, 0o666 | kind, os.makedev(major, minor))
    except (PermissionError, OSError):
        pytest.skip("making a device node needs root")
    return path

def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path):
    import threading

    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    atomic_write_text(fifo, "file,class\na.png,Coat\n")
    reader.join(timeout=10)
    assert received == [b"file,class\na.png,Coat\n"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary left


def test_a_character_device_and_a_link_to_one_are_written_through(tmp_path):
    null = device_node(tmp_path / "null")
    link = tmp_path / "null.png"
    link.symlink_to(null)
    atomic_write_text(null, "nothing")
    atomic_write_text(link, "nothing")
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert link.is_symlink() and os.readlink(link) == str(null)


def test_the_standard_output_redirected_to_a_file_is_appended_to(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out.txt"
    code = ("import sys; print('table', flush=True); from telar.io.atomic import "
            "atomic_write_text; atomic_write_text('/proc/self/fd/1', 'rows\\n')")
    with open(out, "w") as f:
        subprocess.run([sys.executable, "-c", code], stdout=f, check=True)
    assert out.read_text() == "table\nrows\n"


def test_a_symbolic_link_to_a_file_is_refused_and_left_as_it_is(tmp_path):
    from telar.errors import FileWriteError

    target = tmp_path / "elsewhere.csv"
    target.write_text("keep")
    link = tmp_path / "out.csv"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "missing")
    for path in (link, dangling):
        with pytest.raises(FileWriteError, match=r"is a symbolic link") as info:
            atomic_write_text(path, "new")
        assert "\n" not in str(info.value) and str(path) in str(info.value)
        assert path.is_symlink()
    assert target.read_text() == "keep"


def test_a_block_device_node_is_refused_not_replaced(tmp_path):
    from telar.errors import FileWriteError

    # loop device minor 250: a node no disk is attached to, so nothing could be harmed
    disk = device_node(tmp_path / "disk.png", stat.S_IFBLK, 7, 250)
    with pytest.raises(FileWriteError, match="is a block device"):
        atomic_write_text(disk, "png bytes")
    assert stat.S_ISBLK(os.lstat(disk).st_mode)

"""Atomic file writes: a killed process never leaves a half-written file under the final name.

The data goes to a temporary file in the destination's folder (same file system), is flushed
and fsync'ed, then ``os.replace`` moves it over the final name in one step.

When the write fails (disk full, file too large for ``ulimit -f``, a read-only folder) the
temporary file is deleted, the previous file under the final name is untouched, and the
:class:`OSError` becomes a :class:`~telar.errors.FileWriteError` naming the final path (still
an ``OSError``; the command line prints it as one line and exits with status 2).

Only a regular file (or nothing) at the final name is ever replaced (:func:`target_kind`):

- a character device or a FIFO (``/dev/stdout``, ``/dev/null``, a named pipe), or a symbolic
  link to one, is *written through*: opened for appending, never created, truncated or
  renamed over, so ``--csv /dev/stdout`` prints the rows;
- ``/dev/stdout`` and its kin redirected to a file (``> out.txt``) are written through too;
- any other symbolic link, a block device (a disk), a socket or a folder is refused in one
  line and left as it is: renaming over them would silently swap a link or a device node for
  a regular file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from telar.errors import FileWriteError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it to ``path``.

    >>> with atomic_write("summary.json", "w") as f:   # doctest: +SKIP
    ...     f.write("{}")
    """
    path = Path(path)
    if target_kind(path) == "through":
        yield from _write_through(path, mode)
        return
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # a file where a folder on the way should be
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)) from None
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise FileWriteError(path, exc) from exc
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would have.
        os.chmod(tmp, 0o666 & ~_current_umask())
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, FileWriteError):
            raise FileWriteError(path, exc) from exc
        raise


def target_kind(path: Path) -> str:
    """``"file"`` when a write may replace what is at ``path`` (nothing, or a regular file),
    ``"through"`` when it writes into it (a character device, a FIFO, or a link to one);
    FileWriteError for what is neither (see the module doc)."""
    try:
        here = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "file"
    except OSError as exc:
        raise FileWriteError(path, exc) from None
    if stat.S_ISREG(here.st_mode):
        return "file"
    if stat.S_ISCHR(here.st_mode) or stat.S_ISFIFO(here.st_mode):
        return "through"
    if stat.S_ISLNK(here.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            raise _refused(path, "a symbolic link to nothing") from None
        if stat.S_ISCHR(target.st_mode) or stat.S_ISFIFO(target.st_mode):
            return "through"
        if stat.S_ISREG(target.st_mode) and _is_standard_stream(path):
            return "through"  # /dev/stdout redirected to a file: append to it
        raise _refused(path, "a symbolic link (write to the file it points to, or remove it)")
    what = ("a block device" if stat.S_ISBLK(here.st_mode) else
            "a folder" if stat.S_ISDIR(here.st_mode) else "a socket or other special file")
    raise _refused(path, what)


def _is_standard_stream(path: Path) -> bool:
    text = str(path)
    return text in ("/dev/stdout", "/dev/stderr") or text.startswith(("/dev/fd/",
                                                                     "/proc/self/fd/"))


def _refused(path: Path, what: str) -> FileWriteError:
    return FileWriteError(path, OSError(errno.EPERM, f"is {what}; telar writes regular "
                                                     "files, devices such as /dev/stdout "
                                                     "and pipes only"))


def _write_through(path: Path, mode: str) -> Iterator[IO]:
    """Write into the device or pipe at ``path`` (no temporary file: nothing to rename)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise FileWriteError(path, exc) from exc
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
    except OSError as exc:
        if isinstance(exc, FileWriteError):
            raise
        raise FileWriteError(path, exc) from exc


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_write(path, "w") as f:
        f.write(text)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as f:
        f.write(data)


def remove_stale_parts(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files a killed writer left in ``folder`` and its sub-folders.

    Only names :func:`atomic_write` makes (``.NAME.XXXXXXXX.part``) are touched. Call it only
    while no other process can be writing there (a run holds its folder's lock).
    """
    removed = []
    for path in Path(folder).rglob(".*.part"):
        if path.is_file() and not path.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed

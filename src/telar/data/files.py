"""Opening a user's data file: the OS errors become one clear :class:`DataError` each.

Also what kind of thing a path names: a regular file is read as usual; a pipe or FIFO (such
as ``<(zcat train.csv.gz)``) can be read only once, from its start, so it is read into memory
up to a size cap; a device (``/dev/zero``), socket or folder is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from telar.errors import DataError

CHUNK_BYTES = 1 << 20


@contextlib.contextmanager
def reading(path: Path, kind: str) -> Iterator[None]:
    """Turn a missing file, a folder or an unreadable file into ``DataError`` naming ``path``.

    >>> with reading(Path("train.csv"), "a CSV file"):   # doctest: +SKIP
    ...     data = Path("train.csv").read_bytes()
    """
    try:
        yield
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not {kind}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None


def file_kind(path: Path, kind: str) -> str:
    """``"file"`` for a regular file, ``"pipe"`` for a pipe or FIFO; DataError for the rest."""
    with reading(path, kind):
        mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISDIR(mode):
        raise DataError(f"{path}: is a folder, not {kind}")
    what = "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file"
    raise DataError(f"{path}: is {what}, not {kind}")


def check_size(path: Path, kind: str, max_bytes: int) -> int:
    """The size of the regular file ``path``; DataError when it is over ``max_bytes``."""
    with reading(path, kind):
        size = os.stat(path).st_size
    if size > max_bytes:
        raise DataError(f"{path}: {size / 1e9:.2f} GB is more than {kind} can hold; telar "
                        f"reads at most {max_bytes >> 20} MiB")
    return size


def read_pipe(path: Path, kind: str, max_bytes: int) -> bytes:
    """All of the pipe ``path`` (read once), refused as soon as it passes ``max_bytes``."""
    buffer = bytearray()
    with reading(path, kind), open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            buffer += chunk
            if len(buffer) > max_bytes:
                raise DataError(f"{path}: the pipe sent more than {max_bytes >> 20} MiB, more "
                                f"than {kind} can hold; stopped reading it")
    return bytes(buffer)

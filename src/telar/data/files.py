"""Opening a user's data file: the OS errors become one clear :class:`DataError` each."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from telar.errors import DataError


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

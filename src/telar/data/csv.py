"""Fashion-MNIST as CSV in Kaggle's layout: ``label,pixel1,…,pixel784``, one image per row.

Accepted: with or without the header line (any first line with no integer field),
LF or CRLF line ends, blank lines (a trailing one included). Each data row holds a label
0–9 and 784 pixel values 0–255.

Reading is fast because the happy path is one multi-threaded ``pyarrow.csv`` parse straight
into ``uint8`` columns, which already rejects non-integers, values above 255, negative values
and rows of the wrong width. Only when that fails (or a label is above 9) does a second,
slower pass walk the file line by line to say exactly which line is wrong and why.

Reads are bounded: a file over :data:`MAX_CSV_BYTES` is refused by its size, a line over
:data:`MAX_LINE_BYTES` is an error (a Kaggle row is about 3 KB), a device such as
``/dev/zero`` is refused, and a pipe or FIFO (``--csv <(zcat train.csv.gz)``) is read once
into memory, up to the same cap, and parsed from there.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from telar.data.files import check_size, file_kind, read_pipe, reading
from telar.errors import DataError
from telar.io.atomic import atomic_write

N_PIXELS = 784
N_COLUMNS = N_PIXELS + 1
IMAGE_SHAPE = (28, 28)
#: The largest CSV file (or pipe) telar reads: 1 GiB, about 330,000 rows, over five times
#: Fashion-MNIST's training CSV.
MAX_CSV_BYTES = 1 << 30
#: The longest line: a Kaggle row is at most 785 fields of 3 digits (about 3 KB).
MAX_LINE_BYTES = 1 << 20
KAGGLE_HEADER = ",".join(["label"] + [f"pixel{i}" for i in range(1, N_PIXELS + 1)])

_INT = re.compile(rb"\s*[+-]?\d+\s*")
_PIXEL = rb"\s*0*(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\s*"
# A whole valid data row: a label 0-9 then 784 pixels 0-255 (C-speed check in the slow pass).
_VALID_ROW = re.compile(rb"\s*0*\d\s*(?:," + _PIXEL + rb"){784}")


def _column_name(index: int) -> str:
    return "label" if index == 0 else f"pixel{index}"


def _is_header(first_line: bytes) -> bool:
    """A header has no integer field; a data row with a bad label still has integer pixels."""
    return not any(_INT.fullmatch(field) for field in first_line.split(b","))


def read_kaggle_csv(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read a Kaggle-layout Fashion-MNIST CSV file (or a pipe carrying one).

    Returns ``(images, labels)``: ``images`` of shape ``(N, 28, 28)`` and ``labels`` of shape
    ``(N,)``, both ``uint8``. Raises :class:`DataError` naming the file and the 1-based line
    (the header counts as line 1) of the first bad row.
    """
    path = Path(path)
    if file_kind(path, "a CSV file") == "pipe":
        data = read_pipe(path, "a CSV file", MAX_CSV_BYTES)
        source: str | Path | io.BytesIO = io.BytesIO(data)

        def opener() -> io.BytesIO:
            return io.BytesIO(data)
    else:
        check_size(path, "a CSV file", MAX_CSV_BYTES)
        source = path

        def opener() -> io.BytesIO:
            return open(path, "rb")  # type: ignore[return-value]
    first_line, has_header = _read_first_line(path, opener)
    n_fields = first_line.count(b",") + 1
    if has_header and n_fields != N_COLUMNS:
        raise DataError(f"{path}, line 1: header has {n_fields} columns, expected "
                        f"{N_COLUMNS} (label,pixel1,...,pixel{N_PIXELS})")
    if not has_header and n_fields != N_COLUMNS:
        raise DataError(f"{path}, line 1: {_describe_bad_row(first_line)}")
    types = {f"f{i}": pa.uint8() for i in range(N_COLUMNS)}
    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(skip_rows=int(has_header),
                                           autogenerate_column_names=True),
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[],
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        _raise_first_bad_line(path, opener, has_header, fallback=str(exc))
        raise  # not reached: the line above always raises
    if table.num_rows == 0:
        raise DataError(f"{path}: no image rows after the header")
    if table.num_columns != N_COLUMNS:  # pyarrow checks each row against the first
        _raise_first_bad_line(path, opener, has_header, fallback="rows of the wrong width")
    rows = np.empty((table.num_rows, N_COLUMNS), dtype=np.uint8)
    for j, column in enumerate(table.columns):
        rows[:, j] = column.to_numpy()
    labels = rows[:, 0].copy()
    if labels.max() > 9:
        _raise_first_bad_line(path, opener, has_header, fallback="a label is outside 0-9")
    images = rows[:, 1:].reshape(-1, *IMAGE_SHAPE)
    return np.ascontiguousarray(images), labels


def _lines(path: Path, f: io.BufferedIOBase) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of ``f``, 1-based; DataError for a line over the length cap."""
    number = 0
    while line := f.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise DataError(f"{path}, line {number}: longer than {MAX_LINE_BYTES >> 20} MiB, "
                            "not a Kaggle CSV row (is it a CSV file?)")
        yield number, line


def _read_first_line(path: Path, opener: Callable[[], io.BytesIO]) -> tuple[bytes, bool]:
    """The first non-blank line and whether it is a header; errors for missing/empty files."""
    with reading(path, "a CSV file"), opener() as f:
        for _, line in _lines(path, f):
            if line.strip():
                return line.rstrip(b"\r\n"), _is_header(line)
    raise DataError(f"{path}: empty file (no header, no image rows)")


def _raise_first_bad_line(path: Path, opener: Callable[[], io.BytesIO], has_header: bool,
                          fallback: str) -> None:
    """Walk the file and raise a DataError for its first bad line (the slow, rare path)."""
    n_rows = 0
    with reading(path, "a CSV file"), opener() as f:
        for number, raw in _lines(path, f):
            if number == 1 and has_header:
                continue
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            n_rows += 1
            if _VALID_ROW.fullmatch(line) is None:
                raise DataError(f"{path}, line {number}: {_describe_bad_row(line)}")
    if n_rows == 0:
        raise DataError(f"{path}: no image rows after the header")
    raise DataError(f"{path}: {fallback}")


def _describe_bad_row(line: bytes) -> str:
    fields = line.split(b",")
    if len(fields) != N_COLUMNS:
        return f"{len(fields)} columns, expected {N_COLUMNS} (label + {N_PIXELS} pixels)"
    for index, raw in enumerate(fields):
        name = _column_name(index)
        text = raw.decode("utf-8", "replace").strip()
        if _INT.fullmatch(raw) is None:
            return f"{name} is not an integer: {text!r}"
        value = int(text)
        if index == 0 and not 0 <= value <= 9:
            return f"label {value} is outside 0-9"
        if index > 0 and not 0 <= value <= 255:
            return f"{name} value {value} is outside 0-255"
    return "malformed row"


def write_kaggle_csv(path: str | os.PathLike[str], images: np.ndarray, labels: np.ndarray,
                     *, header: bool = True) -> None:
    """Write uint8 ``images`` (N, 28, 28) and ``labels`` (N,) as a Kaggle CSV, atomically."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise DataError(f"{path}: CSV export needs uint8 images and labels, got "
                        f"{images.dtype} and {labels.dtype}")
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or labels.shape != images.shape[:1]:
        raise DataError(f"{path}: CSV export needs images (N, 28, 28) and labels (N,), got "
                        f"{images.shape} and {labels.shape}")
    # Column-major copy so that each CSV column is one contiguous, zero-copy Arrow array.
    columns = np.empty((N_COLUMNS, len(labels)), dtype=np.uint8)
    columns[0] = labels
    columns[1:] = images.reshape(len(labels), N_PIXELS).T
    table = pa.table({_column_name(j): columns[j] for j in range(N_COLUMNS)})
    with atomic_write(path, "wb") as f:
        if header:
            f.write(KAGGLE_HEADER.encode("ascii") + b"\n")
        pacsv.write_csv(table, f, write_options=pacsv.WriteOptions(include_header=False))

"""The IDX format of (Fashion-)MNIST: read and write, gzip-compressed or raw.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian
uint32 dimension sizes, then ``prod(dims) * itemsize`` bytes of big-endian data::

    offset 0   00 00 08 03          magic: type 0x08 (uint8), 3 dimensions
    offset 4   00 00 ea 60          60000
    offset 8   00 00 00 1c          28
    offset 12  00 00 00 1c          28
    offset 16  ...                  60000 * 28 * 28 bytes of pixels

Compression is detected from the first two bytes (gzip's ``1f 8b``), never from the name.
Every check a damaged or mislabelled file can fail raises :class:`~telar.errors.DataError`
naming the file and what is wrong.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from telar.data.files import file_kind, reading
from telar.errors import DataError
from telar.io.atomic import atomic_write

GZIP_MAGIC = b"\x1f\x8b"

#: IDX type code -> big-endian NumPy dtype (the codes the format defines).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_BY_KIND = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}


#: The largest IDX payload telar reads: 512 MiB, over ten times Fashion-MNIST's 47 MB training
#: images (about 680,000 images of 28 x 28). A header that declares more is refused before
#: anything is allocated, so a small ``.gz`` that claims (or inflates to) gigabytes cannot
#: exhaust memory.
MAX_PAYLOAD_BYTES = 512 << 20
_MAX_NDIM = 16  # IDX allows 255; real files have 1-4
CHUNK_BYTES = 1 << 20


def _header(head: bytes, name: str | os.PathLike[str]) -> tuple[np.dtype, int]:
    """Check the magic number of ``head`` (the first 4 bytes); return (dtype, ndim)."""
    if len(head) < 4:
        raise DataError(f"{name}: not an IDX file: {len(head)} bytes, shorter than the 4-byte "
                        "magic number")
    zero0, zero1, code, ndim = head[0], head[1], head[2], head[3]
    if zero0 != 0 or zero1 != 0:
        raise DataError(f"{name}: not an IDX file: magic number {head[:4].hex(' ')} does not "
                        "start with 00 00")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DataError(f"{name}: unknown IDX type code 0x{code:02X} (IDX defines {known})")
    if ndim == 0:
        raise DataError(f"{name}: IDX header declares 0 dimensions")
    return IDX_DTYPES[code], ndim


def _dims(head: bytes, ndim: int, name: str | os.PathLike[str]) -> tuple[int, ...]:
    header_len = 4 + 4 * ndim
    if len(head) < header_len:
        raise DataError(f"{name}: truncated IDX header: {ndim} dimensions need {header_len} "
                        f"bytes, the file has {len(head)}")
    return tuple(int(d) for d in np.frombuffer(head, dtype=">u4", count=ndim, offset=4))


def _size_message(dims: tuple[int, ...], dtype: np.dtype) -> str:
    shape = " x ".join(map(str, dims))
    return f"a {shape} array of {dtype.name} needs {math.prod(dims) * dtype.itemsize} bytes"


def _read_up_to(stream: IO[bytes], n: int) -> bytes:
    """Up to ``n`` bytes of ``stream`` (fewer only at its end), never more in memory."""
    data = stream.read(n)
    if len(data) == n or not data:
        return data
    parts, have = [data], len(data)  # a pipe can return short reads: go on
    while have < n and (part := stream.read(min(n - have, CHUNK_BYTES))):
        parts.append(part)
        have += len(part)
    return b"".join(parts)


def read_idx_bytes(path: str | os.PathLike[str], *,
                   max_bytes: int = MAX_PAYLOAD_BYTES) -> bytes:
    """Return the IDX payload of ``path``, decompressed when the file is gzip (by magic bytes).

    Memory stays bounded by what the header declares (at most ``max_bytes``): the header is
    read first, checked, and then exactly the declared number of data bytes, plus one to
    detect trailing data. A gzip stream is decompressed as it is read, never as a whole.
    """
    path = Path(path)
    file_kind(path, "an IDX file")  # a device such as /dev/zero is refused; a pipe is fine
    with reading(path, "an IDX file"), open(path, "rb") as raw:
        compressed = raw.peek(2)[:2] == GZIP_MAGIC  # peek: works on a pipe too
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        try:
            return _read_payload(stream, path, max_bytes)
        except EOFError:
            raise DataError(f"{path}: truncated gzip stream (the file ends early)") from None
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise DataError(f"{path}: corrupt gzip data ({exc})") from None
        except OSError as exc:
            if compressed:
                raise DataError(f"{path}: corrupt gzip data ({exc})") from None
            raise


def _read_payload(stream: IO[bytes], path: Path, max_bytes: int) -> bytes:
    head = _read_up_to(stream, 4)
    dtype, ndim = _header(head, path)
    head += _read_up_to(stream, 4 * ndim)
    dims = _dims(head, ndim, path)
    if ndim > _MAX_NDIM:
        raise DataError(f"{path}: IDX header declares {ndim} dimensions; telar reads at most "
                        f"{_MAX_NDIM}")
    expected = math.prod(dims) * dtype.itemsize  # exact: no int64 overflow on bogus dims
    if expected > max_bytes:
        raise DataError(f"{path}: IDX header declares {_size_message(dims, dtype)[2:]} "
                        f"({expected / 1e9:.2f} GB); telar reads IDX files of at most "
                        f"{max_bytes >> 20} MiB")
    data = _read_up_to(stream, expected)
    if len(data) < expected:
        raise DataError(f"{path}: truncated: {_size_message(dims, dtype)} of data, the file "
                        f"has {len(data)}")
    if stream.read(1):
        raise DataError(f"{path}: trailing bytes after the data: {_size_message(dims, dtype)} "
                        "of data, the file has more")
    return head + data


def parse_idx(data: bytes, name: str | os.PathLike[str] = "<bytes>") -> np.ndarray:
    """Parse an uncompressed IDX payload into an array of native byte order.

    ``name`` is only used in error messages. The result is a writable array.
    """
    dtype, ndim = _header(data[:4], name)
    header_len = 4 + 4 * ndim
    dims = _dims(data[:header_len], ndim, name)
    expected = math.prod(dims) * dtype.itemsize  # exact: no int64 overflow on bogus dims
    actual = len(data) - header_len
    if actual != expected:
        what = "truncated" if actual < expected else "trailing bytes after the data"
        raise DataError(f"{name}: {what}: {_size_message(dims, dtype)} of data, the file has "
                        f"{actual}")
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read the IDX file ``path`` (gzip or raw) into a NumPy array.

    >>> images = read_idx("train-images-idx3-ubyte.gz")   # doctest: +SKIP
    >>> images.shape, images.dtype
    ((60000, 28, 28), dtype('uint8'))
    """
    return parse_idx(read_idx_bytes(path), path)


def _idx_code(array: np.ndarray) -> int:
    code = _CODE_BY_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise DataError(f"IDX cannot hold arrays of dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise DataError(f"IDX cannot hold a {array.ndim}-dimensional array")
    return code


def idx_header(array: np.ndarray) -> bytes:
    """The IDX header (magic number and dimensions) that describes ``array``."""
    dims = np.asarray(array.shape, dtype=">u4").tobytes()
    return bytes([0, 0, _idx_code(array), array.ndim]) + dims


def to_idx_bytes(array: np.ndarray) -> bytes:
    """The uncompressed IDX payload of ``array`` (header + big-endian data)."""
    big_endian = IDX_DTYPES[_idx_code(array)]
    return idx_header(array) + np.ascontiguousarray(array, dtype=big_endian).tobytes()


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *,
              compress: bool | None = None) -> None:
    """Write ``array`` to ``path`` in IDX format, atomically.

    ``compress=None`` gzips when the name ends in ``.gz``; ``True``/``False`` force it.
    """
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    payload = to_idx_bytes(np.asarray(array))
    if compress:
        # mtime=0 keeps the output byte-identical from run to run.
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    with atomic_write(path, "wb") as f:
        f.write(payload)

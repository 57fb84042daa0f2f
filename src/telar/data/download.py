"""Download Fashion-MNIST from its mirror: resumable, atomic, checksum-verified.

Each file is fetched into ``<name>.part`` beside its final name. An interrupted transfer is
resumed with an HTTP ``Range`` request when the server supports it (status 206), otherwise it
restarts from the first byte. Only when the whole file is there and the SHA-256 of its
*decompressed* IDX payload matches the expected one is it renamed to its final name, so a
partial or corrupt file never sits under that name. A mismatch deletes the download.

Memory and disk stay bounded whatever the mirror sends: each file has a size cap (its known
size, with a margin for a mirror that recompressed it), a ``Content-Length`` above the cap is
refused before anything is read, and a stream that goes past the cap (with or without a
``Content-Length``) is cut there, its partial file deleted, and refused.

The mirror is ``TELAR_MIRROR`` when set (tests point it at a local server), else the
data set's official mirror.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from tqdm import tqdm

from telar.data.idx import read_idx_bytes
from telar.errors import DataError

OFFICIAL_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
MIRROR_ENV = "TELAR_MIRROR"
CHUNK_BYTES = 1 << 16

# HTTP statuses that retrying will not fix.
_PERMANENT_HTTP = {400, 401, 403, 404, 410}


def mirror_url(mirror: str | None = None) -> str:
    """The base URL to download from: ``mirror``, else ``$TELAR_MIRROR``, else the official one."""
    url = mirror or os.environ.get(MIRROR_ENV) or OFFICIAL_MIRROR
    return url if url.endswith("/") else url + "/"


class _TransferCut(Exception):
    """The connection ended before the announced number of bytes arrived."""


class _TooLong(Exception):
    """The mirror announced or sent more bytes than the file's size cap."""


def size_cap(known_bytes: int) -> int:
    """The most telar downloads for a file of ``known_bytes``: 5% + 4 KiB of slack, for a
    mirror that recompressed it (Debian's files differ from the official ones by 24 bytes)."""
    return known_bytes + known_bytes // 20 + 4096


def download_file(url: str, dest: str | os.PathLike[str], *, expected_sha256: str | None,
                  max_bytes: int | None = None, retries: int = 3, backoff_s: float = 1.0,
                  timeout_s: float = 30.0, progress: bool = True,
                  sleep: Callable[[float], None] = time.sleep) -> Path:
    """Download ``url`` to ``dest`` atomically, resuming through ``dest.part`` when cut.

    ``expected_sha256`` is the hash of the decompressed IDX payload (``None`` skips the check).
    ``max_bytes`` caps the file's size (``None``: no cap). Attempt ``k`` that fails is followed
    by ``sleep(backoff_s * k)`` (tests pass a function that records instead of waiting).
    Raises :class:`DataError` for a permanent HTTP error, after ``retries`` failed attempts,
    for a file longer than ``max_bytes``, or on a checksum mismatch (the bad download is
    deleted in the last two cases).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    for attempt in range(1, retries + 1):
        try:
            _fetch(url, part, timeout_s=timeout_s, progress=progress, max_bytes=max_bytes)
            break
        except _TooLong as exc:
            part.unlink(missing_ok=True)
            raise DataError(f"{url}: {exc}; refused it and deleted the partial file") from None
        except urllib.error.HTTPError as exc:
            if exc.code in _PERMANENT_HTTP or attempt == retries:
                raise DataError(f"{url}: HTTP error {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException,
                _TransferCut) as exc:
            if attempt == retries:
                reason = getattr(exc, "reason", None) or exc
                kept = f"; the partial file {part} is kept, run again to resume" \
                    if part.exists() else ""
                raise DataError(f"{url}: download failed after {retries} attempts "
                                f"({reason}){kept}") from None
        sleep(backoff_s * attempt)
    _verify_or_delete(url, part, expected_sha256)
    os.replace(part, dest)
    return dest


def _fetch(url: str, part: Path, *, timeout_s: float, progress: bool,
           max_bytes: int | None) -> None:
    """One attempt: continue ``part`` from its current size, or start it afresh."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                          timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to send: the part file is complete
            return
        raise
    with response:
        resuming = response.status == 206 and _range_start(response) == have
        if not resuming:
            have = 0  # the server sent the whole file (no Range support): start over
        total = _announced_total(response, have)
        limit = max_bytes if max_bytes is not None else float("inf")
        if total is not None and total > limit:
            raise _TooLong(f"the mirror announces {total} bytes, the file has at most "
                           f"{max_bytes}")
        with open(part, "ab" if resuming else "wb") as f, \
                tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                     desc=part.name.removesuffix(".part"), leave=False,
                     disable=None if progress else True) as bar:
            received = have
            while chunk := response.read(CHUNK_BYTES):
                received += len(chunk)
                if received > limit:
                    raise _TooLong(f"the mirror sent more than {max_bytes} bytes, the most "
                                   "this file can have; cut the transfer there")
                f.write(chunk)
                bar.update(len(chunk))
    if total is not None and received < total:
        raise _TransferCut(f"connection closed after {received} of {total} bytes")


def _announced_total(response: http.client.HTTPResponse, have: int) -> int | None:
    """``have`` + the ``Content-Length`` the server announces, or ``None`` without one."""
    length = response.headers.get("Content-Length")
    try:
        return have + int(length) if length is not None else None
    except ValueError:
        return None


def _range_start(response: http.client.HTTPResponse) -> int | None:
    """The first byte offset of a ``Content-Range: bytes START-END/TOTAL`` header."""
    value = response.headers.get("Content-Range", "")
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _verify_or_delete(url: str, part: Path, expected_sha256: str | None) -> None:
    if expected_sha256 is None:
        return
    try:
        payload = read_idx_bytes(part)
    except DataError as exc:
        part.unlink(missing_ok=True)
        raise DataError(f"{url}: downloaded file is unreadable ({exc}); deleted it") from None
    digest = hashlib.sha256(payload).hexdigest()
    if digest != expected_sha256:
        part.unlink(missing_ok=True)
        raise DataError(f"{url}: checksum mismatch: the decompressed payload has sha256 "
                        f"{digest}, expected {expected_sha256}; deleted the downloaded file")


def download_files(names: Mapping[str, str], dest_dir: str | os.PathLike[str], *,
                   mirror: str | None = None, progress: bool = True, retries: int = 3,
                   backoff_s: float = 1.0, max_bytes: Mapping[str, int] | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> dict[str, Path]:
    """Download each ``file name -> expected payload sha256`` from the mirror into ``dest_dir``.

    ``max_bytes`` maps a file name to its size cap (see :func:`size_cap`). Files already
    present under their final name were verified when they were downloaded and are kept.
    """
    base = mirror_url(mirror)
    dest_dir = Path(dest_dir)
    paths = {}
    for name, sha256 in names.items():
        dest = dest_dir / name
        if not dest.exists():
            download_file(base + name, dest, expected_sha256=sha256, retries=retries,
                          backoff_s=backoff_s, progress=progress, sleep=sleep,
                          max_bytes=(max_bytes or {}).get(name))
        paths[name] = dest
    return paths

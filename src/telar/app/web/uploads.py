"""Checks on an uploaded image before anything decodes it: size, type, pixel count.

A failed check is an :class:`UploadError` carrying the HTTP status (4xx) and a message for the
user; the app never answers a bad upload with a 500.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

#: Largest upload in bytes (the whole request is capped at this plus room for the form).
MAX_BYTES = 10 * 1024 * 1024
#: Largest image in pixels (width × height), checked from the header before decoding.
MAX_PIXELS = 40_000_000
#: Pillow format names the app accepts.
FORMATS = frozenset({"PNG", "JPEG", "GIF", "BMP", "WEBP"})


class UploadError(Exception):
    """A bad upload: ``status`` is the HTTP status to answer, ``str(self)`` the message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_upload(data: bytes, name: str = "the upload", *, max_bytes: int = MAX_BYTES,
                 max_pixels: int = MAX_PIXELS, decode: bool = True
                 ) -> tuple[str, tuple[int, int]]:
    """``(format, (width, height))`` of ``data``, fully decoded once (with ``decode``; else
    from its header alone); UploadError if it is empty, too large, not an image, of a format
    not in FORMATS, too many pixels, or truncated."""
    if not data:
        raise UploadError(400, f"{name}: the file is empty")
    if len(data) > max_bytes:
        raise UploadError(413, f"{name}: {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt, size = im.format or "?", im.size
            if fmt not in FORMATS:
                raise UploadError(415, f"{name}: {fmt} images are not accepted; send "
                                       f"{', '.join(sorted(FORMATS))}")
            if size[0] * size[1] > max_pixels:
                raise UploadError(413, f"{name}: too many pixels ({size[0]}×{size[1]}); the "
                                       f"limit is {max_pixels:,}")
            if decode:
                im.load()
    except UploadError:
        raise
    except Image.DecompressionBombError:
        raise UploadError(413, f"{name}: too many pixels (over Pillow's "
                                    "decompression-bomb limit)") from None
    except UnidentifiedImageError:
        raise UploadError(415, f"{name}: not an image Pillow can read (send "
                               f"{', '.join(sorted(FORMATS))})") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise UploadError(400, f"{name}: the image is damaged or truncated ({exc})") from None
    return fmt, size

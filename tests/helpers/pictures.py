"""Pictures the tests draw with Pillow, and broken files, for the photo -> 28×28 pipeline.

:func:`photo` is a phone's view of a garment of the shapes set (:mod:`helpers.fake_data`).
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw

from helpers.fake_data import SHAPE_SIZES

WHITE, DARK = (255, 255, 255), (30, 30, 30)


def shoe(size=(400, 300), background=WHITE, colour=DARK, mode="RGB") -> Image.Image:
    """A side view of a shoe (sole, upper, heel), off-centre, on a plain background."""
    image = Image.new(mode, size, background if mode != "L" else background[0])
    draw = ImageDraw.Draw(image)
    fill = colour if mode != "L" else colour[0]
    draw.rectangle([60, 200, 299, 229], fill=fill)                       # sole: 240 × 30
    draw.polygon([(60, 200), (60, 110), (140, 110), (299, 185), (299, 200)], fill=fill)
    draw.rectangle([60, 230, 95, 249], fill=fill)                        # heel
    return image  # object: columns 60..299 (240 wide), rows 110..249 (140 tall)


def bar(width: int, height: int, value: int = 40, size=(300, 200)) -> Image.Image:
    """A dark ``width × height`` rectangle at (40, 30) on white."""
    image = Image.new("RGB", size, WHITE)
    ImageDraw.Draw(image).rectangle([40, 30, 40 + width - 1, 30 + height - 1],
                                    fill=(value,) * 3)
    return image


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def with_orientation(image: Image.Image, orientation: int, fmt: str = "PNG", **options) -> bytes:
    """``image`` stored as a camera would: pixels turned, plus the EXIF tag that undoes it."""
    stored = {6: image.transpose(Image.Transpose.ROTATE_90),    # shown after 90° clockwise
              8: image.transpose(Image.Transpose.ROTATE_270),   # shown after 90° anticlockwise
              3: image.transpose(Image.Transpose.ROTATE_180)}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(stored, fmt, exif=exif.tobytes(), **options)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_header_only(width: int, height: int) -> bytes:
    """A 60-byte PNG whose header claims ``width × height`` grey pixels (a decompression bomb's
    promise, without the bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + png_chunk(b"IEND", b""))


def splice_exif(jpeg: bytes, orientation: int) -> bytes:
    """The same JPEG (same compressed pixels) with an APP1 EXIF segment saying ``orientation``."""
    assert jpeg[:2] == b"\xff\xd8"
    exif = Image.Exif()
    exif[0x0112] = orientation
    payload = exif.tobytes()  # starts with b"Exif\0\0"
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def photo(label: int, size: int = 280, fmt: str = "PNG", light: bool = True) -> bytes:
    """A "photo" of a garment of class ``label`` of the shapes set: a dark shape on a light
    background (as a phone would see a dark object on paper), ``size``×``size`` pixels, colour."""
    (h0, h1), (w0, w1) = SHAPE_SIZES[label]
    h, w = (h0 + h1) / 2 * size / 28, (w0 + w1) / 2 * size / 28
    rgb = np.full((size, size, 3), (235, 232, 225) if light else (0, 0, 0), np.uint8)
    top, left = int((size - h) / 2), int((size - w) / 2)
    rgb[top:top + int(h), left:left + int(w)] = (40, 30, 60) if light else (230, 230, 230)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt)
    return buf.getvalue()


def raw_exif(entries: list[tuple[int, int, int, int]], tail: bytes = b"") -> bytes:
    """An EXIF block written by hand: one little-endian IFD of ``(tag, type, count, value)``
    entries, any of them as odd as a broken camera or a hostile user writes them."""
    body = struct.pack("<2sHI", b"II", 42, 8) + struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack("<HHII", tag, kind, count, value)
    return b"Exif\x00\x00" + body + struct.pack("<I", 0) + tail


def fuzzed_exif(rng, image: Image.Image) -> bytes:
    """``image`` as JPEG, PNG or WebP with an EXIF block holding orientation 6 (or another
    value) and up to four tags of random type, count and value."""
    entries = [(0x0112, rng.choice([3, 1, 4]), 1, rng.choice([6, 6, 3, 8, 0, 9, 65535]))]
    for _ in range(rng.randint(0, 4)):
        tag = rng.choice([0x0112, 0x011A, 0x0128, 0x8769, 0x8825, 0x927C, 0x0131, 0x0100,
                          0x02BC, 0x4746, 0xA005, 0x0201, 0x0202, 0x0103])
        entries.append((tag, rng.randint(0, 14), rng.choice([0, 1, 2, 4, 1000, 2**31]),
                        rng.randint(0, 2**32 - 1)))
    if rng.random() < 0.3:
        rng.shuffle(entries)
    return encode(image, rng.choice(["JPEG", "PNG", "WEBP"]),
                  exif=raw_exif(entries, bytes(rng.randint(0, 40))))

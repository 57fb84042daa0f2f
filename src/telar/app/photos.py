"""A user's picture -> the 28×28 grey image a Fashion-MNIST model takes (Pillow).

Fashion-MNIST's own conversion (Xiao, Rasul & Vollgraf 2017, "Fashion-MNIST", section 2) took
each 51×73 product thumbnail (a garment on a light background) through: PNG; trim the edges
whose colour is within 5% of the maximum intensity of the corner pixels' colour; resize the
*longest* edge to 28 (by subsampling); sharpen; extend the shortest edge to 28 with the image in
the *centre of the canvas*; negate; 8-bit grey. That is not MNIST's layout (a 20×20 box placed
by its centre of mass): measured on the 10,000 test images, the object's longest edge spans
all 28 pixels in 98% of them, the centre of its bounding box is at row 13.59 ± 0.21, column
13.66 ± 0.24, while its centre of mass wanders (row 14.24 ± 1.47, column 14.41 ± 1.29); where
the margin is odd, its extra pixel is above (1921 of 2033 images) and left (3224 of 3234). So the
default layout here is Fashion-MNIST's, and ``layout="mnist"`` gives MNIST's.

The steps, for one picture:

1. Open it as PNG, JPEG (and MPO, which some cameras write), GIF (first frame), BMP or WebP
   only; refuse more than ``max_pixels`` pixels before decoding anything (decompression
   bombs); decode a large JPEG at a reduced scale (``draft``), then shrink to at most
   :data:`WORK_SIZE` pixels a side.
2. Turn it upright as its EXIF orientation says (:func:`upright`): phones store
   the sensor's pixels and a rotation tag.
3. Flatten transparency onto a background that contrasts with the object: transparent means
   background. 16-bit grey is scaled to 8 bits, CMYK and palettes become RGB.
4. Background colour ``bg`` = the median of the 1-pixel frame around the picture, per channel.
   A pixel belongs to the object when its distance from ``bg``,
   ``d = sqrt(mean_c (x_c - bg_c)^2)`` (0..255), exceeds ``max(0.05 * 255, p90)`` where ``p90``
   is the 90th percentile of ``d`` on the frame (the background's own noise, for photos).
5. Grey ``g = 0.299 R + 0.587 G + 0.114 B`` (ITU-R 601, as Pillow's ``convert("L")``). A light
   background (``bg_g >= 128``) is inverted, as Fashion-MNIST is a light garment on black:
   ``v = 255 * (bg_g - g) / bg_g``; a dark one is kept: ``v = 255 * (g - bg_g) / (255 - bg_g)``;
   clipped to 0..255, and 0 outside the object, so the background is exactly 0.
6. Crop to the object's bounding box (rows and columns with fewer than 3 object pixels or 2%
   of their length, dust or noise, do not count; the whole picture if no object is found)
   and resize it, keeping the aspect ratio, so its longest edge is 28 pixels
   (``"fashion-mnist"``) or 20 (``"mnist"``): each new pixel is the mean of the area it
   covers (no ringing, so the background stays exactly 0; Fashion-MNIST subsampled and then
   sharpened instead).
7. Place it on a black 28×28 canvas: bounding box centred, an odd margin's extra pixel above
   and to the left (``"fashion-mnist"``), or centre of mass at (13.5, 13.5), the middle of
   the grid, to the nearest pixel (``"mnist"``).

>>> pixels = load_image("sneaker.jpg")            # doctest: +SKIP
>>> pixels.shape, pixels.dtype                    # doctest: +SKIP
((28, 28), dtype('uint8'))
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import IO, Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from telar.errors import ImageFileError
from telar.io.text import printable

#: File name extensions a folder is searched for (lower case).
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".gif", ".bmp", ".webp"})
#: The Pillow decoders telar lets open a file (no exotic formats from untrusted input). "JPEG"
#: includes MPO, the multi-picture JPEG some cameras and phones write (its first picture).
FORMATS: tuple[str, ...] = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
#: More pixels than this (in the file's header) is refused before decoding: Pillow's own
#: default limit (89.5 megapixels, 256 MiB of 24-bit pixels), above a 48 MP phone photo and
#: far below a 20000×20000 decompression bomb. Pillow's DecompressionBombWarning (above its
#: ``Image.MAX_IMAGE_PIXELS``) is an error here too, so the smaller of the two limits applies.
MAX_PIXELS: int = 89_478_485
#: The picture is shrunk to at most this many pixels a side before any numeric work.
WORK_SIZE: int = 512
SIDE: int = 28
#: Distance from the background (0..255) below which a pixel is background: Fashion-MNIST's 5%.
FUZZ: float = 0.05 * 255
#: A row or column of the work image needs this many object pixels to widen the crop.
SPECK: int = 3
Layout = Literal["fashion-mnist", "mnist"]
LAYOUTS: tuple[str, ...] = ("fashion-mnist", "mnist")

Source = str | os.PathLike[str] | bytes | IO[bytes]


def is_image_name(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` has an image file extension (see :data:`IMAGE_EXTENSIONS`)."""
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def load_image(source: Source, *, name: str | None = None, layout: Layout = "fashion-mnist",
               max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The uint8 ``(28, 28)`` image a model sees for the picture in ``source``.

    ``source`` is a path, the file's bytes or a binary file object; ``name`` is how errors
    call it (default: the path, or ``"image"``). Raises :class:`ImageFileError` naming it.
    """
    return to_model_input(open_image(source, name=name, max_pixels=max_pixels), layout=layout)


def open_image(source: Source, *, name: str | None = None,
               max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Steps 1-2: the picture's first frame, upright, decoded and shrunk to :data:`WORK_SIZE`."""
    if name is None:
        name = str(source) if isinstance(source, str | os.PathLike) else "image"
    shown = printable(name)
    fp = _open_bytes(source, shown)
    try:
        if _read_head(fp, 12) == b"":
            raise ImageFileError(f"{shown}: the file is empty")
        head = _read_head(fp, 12)
        if head[4:8] == b"ftyp":
            raise ImageFileError(f"{shown}: an HEIC/HEIF/AVIF picture; telar reads PNG, JPEG, "
                                 "GIF, BMP and WebP (export it as JPEG)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # EXIF "Metadata Warning"s: noise
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(fp, formats=FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageFileError(f"{shown}: {width}×{height} pixels, more than telar reads "
                                     f"({max_pixels}; a decompression bomb?)")
            if width == 0 or height == 0:
                raise ImageFileError(f"{shown}: the image has no pixels ({width}×{height})")
            image.seek(0)  # GIF, WebP, MPO: the first frame
            if image.format in ("JPEG", "MPO"):
                image.draft(None, (WORK_SIZE, WORK_SIZE))  # decode at 1/2, 1/4 or 1/8 scale
            image.load()
            image = upright(image)
            if max(image.size) > WORK_SIZE:
                image.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.LANCZOS)
            return image
    except ImageFileError:
        raise
    except UnidentifiedImageError:
        raise ImageFileError(f"{shown}: not an image telar reads (PNG, JPEG, GIF, BMP, "
                             "WebP)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageFileError(f"{shown}: more pixels than telar reads "
                             f"({_first_line(exc)})") from None
    except MemoryError:
        raise ImageFileError(f"{shown}: too large to decode in memory") from None
    except Exception as exc:  # noqa: BLE001 - whatever a decoder raises is this file's error
        # Pillow's decoders report truncated or corrupt data with OSError, SyntaxError,
        # ValueError, EOFError, IndexError, TypeError, ZeroDivisionError, struct.error...
        raise ImageFileError(f"{shown}: truncated or corrupt image "
                             f"({type(exc).__name__}: {_first_line(exc)})") from None
    finally:
        if isinstance(source, str | os.PathLike):
            fp.close()


#: EXIF orientation (tag 0x0112) -> the transpose that turns the stored pixels upright.
ORIENTATIONS: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}


def upright(image: Image.Image) -> Image.Image:
    """The picture turned as its EXIF orientation tag says (1-8; anything else: as stored).

    Only the one tag is read: ``ImageOps.exif_transpose`` also rewrites the whole EXIF block,
    and raises (``struct.error``) on an oddly typed tag that has nothing to do with
    orientation. An EXIF block Pillow cannot parse at all leaves the pixels as stored: it is
    metadata, and the picture itself decoded."""
    try:
        orientation = image.getexif().get(0x0112)
    except Exception:  # noqa: BLE001 - unreadable metadata: no rotation
        return image
    method = ORIENTATIONS.get(orientation) if isinstance(orientation, int) else None
    return image if method is None else image.transpose(method)


def to_model_input(image: Image.Image, *, layout: Layout = "fashion-mnist") -> np.ndarray:
    """Steps 3-7: an opened picture -> uint8 ``(28, 28)``, light object on black."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    rgb = _flatten(image)  # (h, w, c) float32 in 0..255, c = 1 or 3
    bg = np.median(_frame(rgb), axis=0)
    diff = rgb - bg
    squared = np.einsum("ijk,ijk->ij", diff, diff) / rgb.shape[2]  # distance², no sqrt
    frame_distance = np.sqrt(_frame(squared[..., None])[:, 0])
    threshold = max(FUZZ, float(np.percentile(frame_distance, 90)))
    mask = squared > threshold**2
    grey = _luma(rgb)
    bg_grey = float(_luma(bg.reshape(1, 1, -1))[0, 0])
    if bg_grey >= 128:  # light background: invert
        value = (bg_grey - grey) * np.float32(255.0 / bg_grey)
    else:
        value = (grey - bg_grey) * np.float32(255.0 / (255.0 - bg_grey))
    np.clip(value, 0.0, 255.0, out=value)
    value *= mask
    top, bottom, left, right = _bounding_box(mask)
    crop = np.ascontiguousarray(value[top:bottom, left:right], dtype=np.float32)
    box = SIDE if layout == "fashion-mnist" else 20
    h, w = crop.shape
    scale = box / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    fitted = np.asarray(Image.fromarray(crop, mode="F")
                        .resize((new_w, new_h), Image.Resampling.BOX))
    fitted = np.clip(fitted, 0.0, 255.0)
    if layout == "fashion-mnist":
        # an odd margin puts its extra pixel above and to the left, as Fashion-MNIST does
        row, col = (SIDE - new_h + 1) // 2, (SIDE - new_w + 1) // 2
    else:
        row, col = _mass_offset(fitted, new_h, new_w)
    canvas = np.zeros((SIDE, SIDE), np.float32)
    canvas[row:row + new_h, col:col + new_w] = fitted
    return np.rint(canvas).astype(np.uint8)


# ------------------------------------------------------------------------------------ helpers

def _open_bytes(source: Source, shown: str) -> IO[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source))
    if not isinstance(source, str | os.PathLike):
        return source
    path = Path(source)
    if path.is_dir():
        raise ImageFileError(f"{shown}: is a folder, not an image")
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by open_image
    except FileNotFoundError:
        raise ImageFileError(f"{shown}: no such file") from None
    except OSError as exc:
        raise ImageFileError(f"{shown}: cannot read it ({exc.strerror or exc})") from None


def _read_head(fp: IO[bytes], n: int) -> bytes:
    start = fp.tell()
    head = fp.read(n)
    fp.seek(start)
    return head


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return printable(text.splitlines()[0]) if text else "no detail"


def _flatten(image: Image.Image) -> np.ndarray:
    """RGB or grey as float32 ``(h, w, c)`` in 0..255; transparency composited away."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        data = np.asarray(image, dtype=np.float64)
        if mode != "I" or data.max(initial=0) > 255:
            data = data / 257.0  # 16 bits -> 8 bits: 65535 -> 255
        return np.clip(data, 0, 255).astype(np.float32)[..., None]
    if mode == "F":
        data = np.asarray(image, dtype=np.float64)
        finite = data[np.isfinite(data)]
        scale = 255.0 if finite.size and finite.max() <= 1.0 else 1.0
        return np.clip(np.nan_to_num(data) * scale, 0, 255).astype(np.float32)[..., None]
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not has_alpha:
        if mode in ("L", "1"):
            return np.asarray(image.convert("L"), dtype=np.float32)[..., None]
        return np.asarray(image.convert("RGB"), dtype=np.float32)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float64)
    rgb, alpha = rgba[..., :3], rgba[..., 3:] / 255.0
    weight = alpha[..., 0]
    total = weight.sum()
    object_luma = float((_luma(rgb) * weight).sum() / total) if total > 0 else 0.0
    fill = 255.0 if object_luma < 128 else 0.0  # a background the object stands out on
    return (rgb * alpha + fill * (1.0 - alpha)).astype(np.float32)


def _frame(a: np.ndarray) -> np.ndarray:
    """The pixels of the 1-pixel frame around ``a`` (h, w, c) as rows ``(k, c)``."""
    h, w = a.shape[:2]
    if h <= 2 or w <= 2:
        return a.reshape(-1, a.shape[2])
    return np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])


def _luma(rgb: np.ndarray) -> np.ndarray:
    if rgb.shape[-1] == 1:
        return rgb[..., 0]
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=rgb.dtype)


def _bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` (exclusive ends) of the object.

    Rows and columns with fewer than :data:`SPECK` object pixels, or fewer than 2% of their
    length, do not count (dust, sensor and JPEG noise: on a 400-pixel-high photo a column of
    background can hold a few noise pixels over the threshold), unless nothing is left
    without them.
    """
    per_row, per_col = mask.sum(axis=1), mask.sum(axis=0)
    h, w = mask.shape
    rows = np.flatnonzero(per_row >= max(SPECK, int(np.ceil(0.02 * w))))
    cols = np.flatnonzero(per_col >= max(SPECK, int(np.ceil(0.02 * h))))
    if not rows.size or not cols.size:
        rows, cols = np.flatnonzero(per_row), np.flatnonzero(per_col)
    if not rows.size:
        return 0, mask.shape[0], 0, mask.shape[1]
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _mass_offset(fitted: np.ndarray, h: int, w: int) -> tuple[int, int]:
    """Top-left corner putting the centre of mass of ``fitted`` nearest to (13.5, 13.5)."""
    total = float(fitted.sum())
    if total <= 0:
        return (SIDE - h) // 2, (SIDE - w) // 2
    rows, cols = np.indices(fitted.shape)
    cy, cx = float((rows * fitted).sum() / total), float((cols * fitted).sum() / total)
    center = (SIDE - 1) / 2
    row = int(np.clip(round(center - cy), 0, SIDE - h))
    col = int(np.clip(round(center - cx), 0, SIDE - w))
    return row, col

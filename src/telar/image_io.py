"""torchvision's ``io.read_image``: ``telar.io.read_image`` (``torchvision.io`` -> ``telar.io``).

:func:`read_image` decodes a PNG, JPEG, GIF, BMP or WebP file into a ``uint8`` tensor
``(C, H, W)`` with PIL, as torchvision does: ``C`` follows the file (1 grey, 2 grey + alpha,
3 RGB, 4 RGBA) unless ``mode`` asks for one (``ImageReadMode.GRAY``, ``RGB``...). It lives here
(a module of telar's PyTorch-named surface, beside ``telar.datasets``) because it builds a
tensor; :mod:`telar.io` hands it out under torchvision's name.

>>> from telar.io import read_image, ImageReadMode    # doctest: +SKIP
>>> read_image("shirt.png", ImageReadMode.GRAY).shape  # doctest: +SKIP
telar.Size([1, 28, 28])
"""

from __future__ import annotations

import enum
import os
import warnings

import numpy as np

from telar.engine import Tensor
from telar.errors import ImageFileError

#: Pillow's limit on the pixels of a decoded image (its own default), kept as an error.
MAX_PIXELS = 89_478_485


class ImageReadMode(enum.Enum):
    """The channels :func:`read_image` gives (torchvision's names)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4


#: mode -> PIL's mode to convert to (None: as the file is)
_PIL_MODES = {ImageReadMode.UNCHANGED: None, ImageReadMode.GRAY: "L",
              ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}


def read_image(path: str | os.PathLike[str],
               mode: ImageReadMode = ImageReadMode.UNCHANGED) -> Tensor:
    """The image file at ``path`` as a ``uint8`` tensor ``(C, H, W)`` (see the module)."""
    from PIL import Image, UnidentifiedImageError  # pillow: a dependency, imported when used

    if isinstance(mode, str):
        mode = ImageReadMode[mode.upper()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageFileError(f"{path}: {image.width}x{image.height} pixels is more "
                                         f"than read_image takes ({MAX_PIXELS})")
                wanted = _PIL_MODES[mode]
                if wanted is None:
                    wanted = {"1": "L", "P": "RGBA" if "transparency" in image.info else "RGB",
                              "I;16": "L", "I": "L", "F": "L", "CMYK": "RGB"}.get(
                        image.mode, image.mode)
                pixels = np.asarray(image.convert(wanted) if image.mode != wanted else image)
    except FileNotFoundError:
        raise ImageFileError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageFileError(f"{path}: not a readable image ({exc})") from None
    if pixels.dtype != np.uint8:
        pixels = pixels.astype(np.uint8)
    chw = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    return Tensor(np.ascontiguousarray(chw))


__all__ = ["read_image", "ImageReadMode"]

"""Image transforms with torchvision's names: ``ToTensor``, ``Normalize``, ``Compose``,
``Lambda``.

A transform is called on one image, as in torchvision: the data sets of
:mod:`telar.datasets` hand it a ``(28, 28)`` ``uint8`` ndarray (torchvision hands a PIL image;
a ``Lambda`` that needs PIL must convert with ``PIL.Image.fromarray``). ``ToTensor`` and
``Normalize`` (and a ``Compose`` of them) also have ``batch(images)``, the same map applied
to a whole ``(N, H, W)`` array at once, which is what lets a :class:`telar.utils.data.DataLoader`
build a batch with one array operation instead of a Python loop over its images.

Augmentations: ``RandomHorizontalFlip`` and ``RandomCrop`` (simple NumPy versions), and
``RandomRotation`` and ``RandomErasing`` over :mod:`telar.data.augment`'s batch functions; all
work per image and per batch and draw from telar's default generator, so
:func:`telar.manual_seed` fixes them.

``Resize``, ``CenterCrop`` and ``ColorJitter`` take a tensor ``(..., C, H, W)``, a PIL image
or an ndarray image (``(H, W)`` or ``(H, W, C)``), and give back the same kind (over
:mod:`telar.data.images`); ``uint8`` values are rounded back to ``uint8``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from telar.data import images as ops
from telar.data.augment import random_erasing, random_rotation
from telar.engine import Tensor
from telar.engine.random import default_rng


def _is_batchable(transform: Any) -> bool:
    return callable(getattr(transform, "batch", None))


class ToTensor:
    """An image ``(H, W)`` / ``(H, W, C)`` (ndarray or PIL) as a float32 ``(C, H, W)`` tensor;
    ``uint8`` values are divided by 255 (to ``[0, 1]``), other dtypes are kept as they are."""

    def __call__(self, pic: Any) -> Tensor:
        array = np.asarray(pic)
        if array.ndim == 2:
            array = array[None]
        elif array.ndim == 3:
            array = array.transpose(2, 0, 1)
        else:
            raise ValueError(f"ToTensor expects an image of 2 or 3 dimensions, got {array.shape}")
        return Tensor(_scaled(array))

    def batch(self, images: np.ndarray) -> np.ndarray:
        """``(N, H, W)`` or ``(N, H, W, C)`` -> float32 ``(N, C, H, W)``."""
        images = np.asarray(images)
        array = images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)
        return _scaled(array)

    def __repr__(self) -> str:
        return "ToTensor()"


def _scaled(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        out = array.astype(np.float32)
        out *= np.float32(1 / 255)
        return out
    return np.ascontiguousarray(array)


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel ``c`` of a ``(C, H, W)`` tensor."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.std = np.asarray(std, dtype=np.float64).reshape(-1)
        if (self.std == 0).any():
            raise ValueError(f"Normalize: std {list(self.std)} contains a zero")

    def _apply(self, x: np.ndarray, channel_axis: int) -> np.ndarray:
        shape = [1] * x.ndim
        shape[channel_axis] = -1
        dtype = x.dtype if x.dtype.kind == "f" else np.float32
        mean = self.mean.astype(dtype).reshape(shape)
        scale = (1 / self.std).astype(dtype).reshape(shape)
        out = x.astype(dtype, copy=True)
        out -= mean
        out *= scale
        return out

    def __call__(self, tensor: Any) -> Tensor:
        data = tensor.array if isinstance(tensor, Tensor) else np.asarray(tensor)
        return Tensor(self._apply(data, -3 if data.ndim >= 3 else 0))

    def batch(self, images: np.ndarray) -> np.ndarray:
        return self._apply(images, 1)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Compose:
    """Apply ``transforms`` in order."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    @property
    def batchable(self) -> bool:
        return all(_is_batchable(t) for t in self.transforms)

    def __getattr__(self, name: str) -> Any:
        # `batch` exists only when every member has one (so callers can test for it).
        if name == "batch" and self.__dict__.get("transforms") is not None and self.batchable:
            def batch(images: np.ndarray) -> np.ndarray:
                for t in self.transforms:
                    images = t.batch(images)
                return images
            return batch
        raise AttributeError(name)

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


def _values(img: Any) -> tuple[np.ndarray, bool]:
    if isinstance(img, Tensor):
        return img.array, True
    return np.asarray(img), False


class RandomHorizontalFlip:
    """Mirror an image left-right with probability ``p`` (the last axis is the width)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip p must be in [0, 1], got {p}")
        self.p = float(p)

    def __call__(self, img: Any) -> Any:
        values, is_tensor = _values(img)
        if default_rng().random() >= self.p:
            return img
        flipped = np.ascontiguousarray(values[..., ::-1])
        return Tensor(flipped) if is_tensor else flipped

    def batch(self, images: np.ndarray) -> np.ndarray:
        """Each image of ``(N, ..., W)`` flipped with probability ``p``, in one pass."""

        flip = default_rng().random(len(images)) < self.p
        out = np.array(images, copy=True)
        out[flip] = out[flip][..., ::-1]
        return out

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomCrop:
    """A random ``size`` window of the image zero-padded by ``padding`` on every side
    (torchvision's ``RandomCrop(size, padding)`` with ``fill=0``)."""

    def __init__(self, size: int | Sequence[int], padding: int = 0) -> None:
        self.size = (int(size), int(size)) if isinstance(size, int) else tuple(map(int, size))
        self.padding = int(padding)

    def _padded(self, values: np.ndarray) -> np.ndarray:
        pad = [(0, 0)] * (values.ndim - 2) + [(self.padding, self.padding)] * 2
        padded = np.pad(values, pad) if self.padding else values
        h, w = padded.shape[-2:]
        if h < self.size[0] or w < self.size[1]:
            raise ValueError(f"RandomCrop size {self.size} is larger than the padded image "
                             f"({h}, {w})")
        return padded

    def __call__(self, img: Any) -> Any:
        pil = _pil_image(img)
        if pil is not None:  # PIL: crop the (C, H, W) values, give back a PIL image
            values, back = _as_chw(img)
            return back(self(values))
        values, is_tensor = _values(img)
        padded = self._padded(values)
        (h, w), (th, tw) = padded.shape[-2:], self.size
        top, left = default_rng().integers(0, h - th + 1), default_rng().integers(0, w - tw + 1)
        out = np.ascontiguousarray(padded[..., top:top + th, left:left + tw])
        return Tensor(out) if is_tensor else out

    def batch(self, images: np.ndarray) -> np.ndarray:
        """Every image of ``(N, H, W)`` or ``(N, C, H, W)`` cropped at its own offset, with
        one gather."""

        padded = self._padded(np.asarray(images))
        n, (h, w), (th, tw) = len(padded), padded.shape[-2:], self.size
        top = default_rng().integers(0, h - th + 1, n)
        left = default_rng().integers(0, w - tw + 1, n)
        rows = (top[:, None] + np.arange(th))[:, :, None]
        cols = (left[:, None] + np.arange(tw))[:, None, :]
        index = np.arange(n)[:, None, None]
        if padded.ndim == 3:
            return padded[index, rows, cols]
        moved = np.moveaxis(padded, 1, -1)  # (N, H, W, C): gather the pixels, keep channels
        return np.moveaxis(moved[index, rows, cols], -1, 1)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


def _as_chw(img: Any) -> tuple[np.ndarray, Callable[[np.ndarray], Any]]:
    """``img`` as float ``(..., C, H, W)`` values in [0, 1] (uint8 / 255), and the function
    that turns such values back into ``img``'s kind: tensor, PIL image or ndarray."""
    if isinstance(img, Tensor):
        values = img.array
        if values.ndim < 2:
            raise ValueError(f"expected an image tensor (..., H, W), got shape {values.shape}")
        flat = values.ndim == 2
        chw = values[None] if flat else values
        if values.dtype == np.uint8:
            return chw.astype(np.float32) / 255, lambda out: Tensor(
                _to_uint8(out[0] if flat else out))
        return chw, lambda out: Tensor(np.ascontiguousarray(out[0] if flat else out))
    pil = _pil_image(img)
    values = np.asarray(img)
    if values.ndim not in (2, 3):
        raise ValueError(f"expected an image (H, W) or (H, W, C), got shape {values.shape}")
    chw = values[None] if values.ndim == 2 else values.transpose(2, 0, 1)
    scaled = chw.astype(np.float32) / 255 if values.dtype == np.uint8 else chw

    def back(out: np.ndarray) -> Any:
        hwc = out[0] if values.ndim == 2 else out.transpose(1, 2, 0)
        hwc = _to_uint8(hwc) if values.dtype == np.uint8 else np.ascontiguousarray(hwc)
        return pil.fromarray(hwc) if pil is not None else hwc

    return scaled, back


def _pil_image(img: Any) -> Any:
    """PIL's ``Image`` module when ``img`` is a PIL image (PIL imported only then)."""
    if type(img).__module__.startswith("PIL."):
        from PIL import Image
        return Image
    return None


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values * 255), 0, 255).astype(np.uint8)


def _pair(size: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(size, int | np.integer):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{name}: size must be an int or (h, w), got {size!r}")
    return int(size[0]), int(size[1])


class Resize:
    """torchvision's ``Resize(size, max_size=None, antialias=True)``: ``(h, w)`` exactly, or
    one int for the shorter edge (the longer keeps the aspect ratio); bilinear, antialiased
    (PIL's filter), the only interpolation here."""

    def __init__(self, size: int | Sequence[int], interpolation: Any = "bilinear",
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        if str(interpolation).lower().rsplit(".", 1)[-1] not in ("bilinear", "2"):
            raise ValueError(f"Resize: only bilinear interpolation is implemented, got "
                             f"{interpolation!r}")
        self.size, self.max_size = size, max_size

    def __call__(self, img: Any) -> Any:
        values, back = _as_chw(img)
        h, w = values.shape[-2:]
        return back(ops.resize(values, ops.resized_size(h, w, self.size, self.max_size)))

    def __repr__(self) -> str:
        return f"Resize(size={self.size}, interpolation=bilinear, max_size={self.max_size}, " \
               "antialias=True)"


class CenterCrop:
    """torchvision's ``CenterCrop(size)``: the middle window, zero-padded if the image is
    smaller."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img: Any) -> Any:
        values, back = _as_chw(img)
        return back(ops.center_crop(values, self.size))

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class ColorJitter:
    """torchvision's ``ColorJitter(brightness, contrast, saturation, hue)``: each factor drawn
    uniformly from ``[max(0, 1 - v), 1 + v]`` (a pair: that range; hue: ``[-v, v]``, ``v <= 0.5``)
    and the four adjustments applied in a random order, as torchvision does. Saturation and hue
    leave a 1-channel image as it is."""

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0,
                 hue: Any = 0) -> None:
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", centre=0.0, bound=(-0.5, 0.5))

    def __call__(self, img: Any) -> Any:
        values, back = _as_chw(img)
        rng = default_rng()
        steps = [(self.brightness, ops.adjust_brightness), (self.contrast, ops.adjust_contrast),
                 (self.saturation, ops.adjust_saturation), (self.hue, ops.adjust_hue)]
        for i in rng.permutation(4):
            span, adjust = steps[i]
            if span is not None:
                values = adjust(values, float(rng.uniform(span[0], span[1])))
        return back(values)

    def __repr__(self) -> str:
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


def _jitter_range(value: Any, name: str, centre: float = 1.0,
                  bound: tuple[float, float] = (0.0, float("inf"))) -> tuple[float, float] | None:
    """torchvision's ``_check_input``: a number ``v`` means ``[centre - v, centre + v]``
    (clipped at 0 for the factors); ``None`` when it changes nothing."""
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"ColorJitter: if {name} is a single number, it must be "
                             f"non negative, got {value}")
        low, high = centre - float(value), centre + float(value)
        if centre == 1.0:
            low = max(low, 0.0)
    else:
        low, high = (float(v) for v in value)
    if not bound[0] <= low <= high <= bound[1]:
        raise ValueError(f"ColorJitter: {name} values should be between {bound}, got "
                         f"({low}, {high})")
    return None if low == high == centre else (low, high)


class _AugmentWrapper:
    """A :mod:`telar.data.augment` batch function as a transform. Float images (after
    ``ToTensor``) pass as they are; ``uint8`` ones are scaled to ``[0, 1]`` and back."""

    def _run(self, images: np.ndarray) -> np.ndarray:
        if images.dtype == np.uint8:
            out = self._apply(images.astype(np.float32) / np.float32(255), default_rng())
            return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)
        return self._apply(images, default_rng())

    def _apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, img: Any) -> Any:
        values, is_tensor = _values(img)
        out = self._run(values[None])[0]
        return Tensor(out) if is_tensor else out

    def batch(self, images: np.ndarray) -> np.ndarray:
        return self._run(np.asarray(images))


class RandomRotation(_AugmentWrapper):
    """Rotate by an angle uniform in ``[-degrees, degrees]`` (bilinear, zero fill)."""

    def __init__(self, degrees: float | Sequence[float]) -> None:
        if not isinstance(degrees, int | float):
            low, high = degrees
            if low != -high:
                raise ValueError(f"RandomRotation supports symmetric ranges (-d, d), got "
                                 f"{tuple(degrees)}")
            degrees = high
        self.degrees = float(degrees)

    def _apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return random_rotation(images, rng, degrees=self.degrees)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees})"


class RandomErasing(_AugmentWrapper):
    """With probability ``p`` erase one rectangle of area ``U(scale)`` of the image and aspect
    ``exp(U(log ratio))``, writing 0 (torchvision's ``RandomErasing`` with ``value=0``)."""

    def __init__(self, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                 ratio: tuple[float, float] = (0.3, 3.3), value: float = 0) -> None:
        if value != 0:
            raise ValueError("RandomErasing supports value=0 only")
        self.p, self.scale, self.ratio = float(p), tuple(scale), tuple(ratio)

    def _apply(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return random_erasing(images, rng, p=self.p, scale=self.scale, ratio=self.ratio)

    def __repr__(self) -> str:
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio})"


class Lambda:
    """A user function as a transform (applied image by image)."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda needs a callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


__all__ = ["ToTensor", "Normalize", "Compose", "Lambda", "RandomHorizontalFlip", "RandomCrop",
           "RandomRotation", "RandomErasing", "Resize", "CenterCrop", "ColorJitter"]

"""Image transforms with torchvision's names: ``ToTensor``, ``Normalize``, ``Compose``,
``Lambda``.

A transform is called on one image, as in torchvision: the data sets of
:mod:`telar.datasets` hand it a ``(28, 28)`` ``uint8`` ndarray (torchvision hands a PIL image;
a ``Lambda`` that needs PIL must convert with ``PIL.Image.fromarray``). ``ToTensor`` and
``Normalize`` (and a ``Compose`` of them) also have ``batch(images)``, the same map applied
to a whole ``(N, H, W)`` array at once, which is what lets a :class:`telar.utils.data.DataLoader`
build a batch with one array operation instead of a Python loop over its images.

Augmentations (random flips, rotations, crops, erasing, colour jitter) are not here yet: they
will wrap :mod:`telar.data.augment`'s batch functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from telar.autograd import Tensor


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
        data = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
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


__all__ = ["ToTensor", "Normalize", "Compose", "Lambda"]

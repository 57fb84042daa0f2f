"""Batch augmentation for 28×28 (or any h×w) grey images, vectorised over the whole batch.

Every op takes a batch ``x`` — ``(n, h*w)`` rows, ``(n, h, w)`` or NCHW ``(n, c, h, w)``,
floats in ``[0, 1]`` — and a ``numpy.random.Generator``, and returns a new array of the same
shape and dtype; the parameters for the whole batch are drawn from the generator in a fixed
order (so a resumed run draws exactly what the uninterrupted one would), and the pixels move
in one gather, never a loop over images.

- geometry (:mod:`.geometric`): :func:`random_shift` (translation, pad-and-crop),
  :func:`random_flip` (left-right mirror), :func:`random_rotation` (small rotations);
- pixel values (:mod:`.photometric`): :func:`random_erasing`, :func:`random_brightness`,
  :func:`random_contrast` (the grey-scale "colour changes");
- each has a deterministic twin taking per-image parameters (:func:`translate`,
  :func:`hflip`, :func:`rotate`, :func:`erase`, :func:`adjust_brightness`,
  :func:`adjust_contrast`);
- one description (:mod:`.spec`): :class:`AugmentSpec` parsed from ``--augment`` text or a
  config table, and :class:`Augmenter`, the ``(x, rng) -> x`` callable a training loop uses.

>>> augment = Augmenter("shift=2,flip,rotate=10,erase=0.5")   # doctest: +SKIP
>>> xb = augment(xb, rng)                                      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from telar.data.augment.geometric import (
    hflip,
    random_flip,
    random_rotation,
    random_shift,
    rotate,
    translate,
)
from telar.data.augment.photometric import (
    adjust_brightness,
    adjust_contrast,
    erase,
    random_brightness,
    random_contrast,
    random_erasing,
)
from telar.data.augment.spec import (
    AUGMENT,
    OPS,
    SETTINGS,
    Augmenter,
    AugmentError,
    AugmentSpec,
    augment_help,
)

__all__ = [
    "AUGMENT", "OPS", "SETTINGS", "AugmentError", "AugmentSpec", "Augmenter", "augment_help",
    "make_augment",
    "translate", "random_shift", "hflip", "random_flip", "rotate", "random_rotation",
    "erase", "random_erasing", "adjust_brightness", "random_brightness",
    "adjust_contrast", "random_contrast",
]


def make_augment(name: str) -> Callable[[np.ndarray, np.random.Generator], np.ndarray] | None:
    """The older entry point: ``--augment`` text -> an :class:`Augmenter`, or None for nothing.

    ``"none"``, ``"shift"``, ``"flip"`` and ``"shift+flip"`` mean what they always did
    (shift by up to 2 pixels, then flip with probability 0.5, same random draws); any text
    :meth:`AugmentSpec.parse` accepts works too.
    """
    augmenter = Augmenter(AugmentSpec.from_text(name, where="--augment"))
    return augmenter if augmenter.ops else None

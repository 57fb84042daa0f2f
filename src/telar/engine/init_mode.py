"""Whether new layers draw their initial weights: :func:`skip_init`, per thread.

A network rebuilt from a file has every weight overwritten at once, so drawing them first only
costs time and memory: a float64 draw, its scaled copy and the cast, five times the layer's
float32 size at the peak. Inside ``skip_init()`` the initialisers of :mod:`telar.nn.init` and
the hand-written network leave weights at zero instead (PyTorch's ``torch.nn.utils.skip_init``
serves the same end). Like grad mode it is thread-local: a request loading a model never
stops another thread's training run from drawing its weights.

>>> with skip_init():
...     init_skipped()
True
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _InitMode(threading.local):
    skipped: bool = False  # every new thread starts drawing


_mode = _InitMode()


def init_skipped() -> bool:
    """True inside :func:`skip_init` on this thread."""
    return _mode.skipped


@contextmanager
def skip_init() -> Iterator[None]:
    """Within this block new layers' weights start at zero, undrawn (the caller loads them)."""
    previous, _mode.skipped = _mode.skipped, True
    try:
        yield
    finally:
        _mode.skipped = previous


__all__ = ["init_skipped", "skip_init"]

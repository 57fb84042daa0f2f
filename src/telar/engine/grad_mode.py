"""Whether operations record the graph: ``no_grad()`` and ``enable_grad()``, per thread.

The mode is thread-local, as PyTorch's is: a web server scoring uploads on several threads
under ``no_grad()`` never switches recording off (or back on) for a training loop or another
request running beside it. Each block restores the previous mode on exit, so the mode is a
context, not configuration.

>>> with no_grad():
...     is_grad_enabled()
False
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager


class _GradMode(threading.local):
    enabled: bool = True  # the class attribute is every new thread's starting value


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether new operations on this thread record their backward rule."""
    return _mode.enabled


@contextmanager
def _set_grad_enabled(enabled: bool) -> Iterator[None]:
    previous, _mode.enabled = _mode.enabled, enabled
    try:
        yield
    finally:
        _mode.enabled = previous


def no_grad() -> AbstractContextManager[None]:
    """Within this block operations record no graph (evaluation, optimiser updates); also a
    decorator, ``@telar.no_grad()``.

    >>> with telar.no_grad():
    ...     logits = model(x)          # doctest: +SKIP
    """
    return _set_grad_enabled(False)


def enable_grad() -> AbstractContextManager[None]:
    """Within this block operations record the graph, even inside :func:`no_grad`."""
    return _set_grad_enabled(True)


__all__ = ["is_grad_enabled", "no_grad", "enable_grad"]

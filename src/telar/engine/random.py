"""The default random generator: one ``numpy.random.Generator`` that every draw uses when no
generator is passed (initialisers, dropout, shuffling, ``telar.randn``), so that
``telar.manual_seed(s)`` makes a whole script reproducible, as ``torch.manual_seed`` does.

Code that passes its own ``rng=`` / ``generator=`` keeps its own stream. The default generator is
reseeded *in place*: modules that hold it (e.g. a ``Dropout`` built before the call) follow.

>>> telar.manual_seed(0); a = telar.rand(2)
>>> telar.manual_seed(0); bool((telar.rand(2) == a).all())
True
"""

from __future__ import annotations

import secrets
from typing import Any

from telar.engine.array import RandomGenerator, host
from telar.engine.devices import check_device

_initial_seed: int = secrets.randbits(63)
_default = RandomGenerator(host.random.PCG64(_initial_seed))


def default_rng() -> RandomGenerator:
    """The process-wide default generator (the same object for the whole process)."""
    return _default


def manual_seed(seed: int) -> Generator:
    """Reseed the default generator; returns it wrapped as a :class:`Generator`."""
    global _initial_seed
    _initial_seed = int(seed)
    _default.bit_generator.state = host.random.PCG64(_initial_seed).state
    return Generator(_wrap=_default)


def seed() -> int:
    """Reseed the default generator from fresh entropy; returns the seed."""
    manual_seed(secrets.randbits(63))
    return _initial_seed


def initial_seed() -> int:
    return _initial_seed


def get_rng_state() -> dict[str, Any]:
    """The default generator's state (a JSON-able dict, restored by :func:`set_rng_state`)."""
    return _default.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    _default.bit_generator.state = state


class Generator:
    """``torch.Generator``: a seedable stream, for ``DataLoader(generator=...)``,
    ``random_split(..., generator=...)`` and the factories. ``.rng`` is its NumPy generator."""

    def __init__(self, device: Any = "cpu", *, _wrap: RandomGenerator | None = None) -> None:
        check_device(device)
        self.rng = _wrap if _wrap is not None else host.random.default_rng()
        self._seed: int | None = None

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng.bit_generator.state = host.random.PCG64(self._seed).state
        return self

    def seed(self) -> int:
        return self.manual_seed(secrets.randbits(63))._seed  # type: ignore[return-value]

    def initial_seed(self) -> int | None:
        return self._seed

    def get_state(self) -> dict[str, Any]:
        return self.rng.bit_generator.state

    def set_state(self, state: dict[str, Any]) -> Generator:
        self.rng.bit_generator.state = state
        return self


def as_rng(generator: Any) -> RandomGenerator:
    """A NumPy generator from a :class:`Generator`, a NumPy Generator, a seed, or ``None``
    (the default generator)."""
    if generator is None:
        return _default
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, RandomGenerator):
        return generator
    return host.random.default_rng(generator)

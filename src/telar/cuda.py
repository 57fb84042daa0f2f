"""``telar.cuda``: answers truthfully that there is no CUDA backend (telar runs on NumPy)."""

from __future__ import annotations


def is_available() -> bool:
    """False: telar has no GPU backend (yet; a CuPy one would plug into ``telar.engine.array``)."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored (there is no CUDA generator), as PyTorch does without CUDA."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored."""

"""``telar.accelerator``: PyTorch's device-agnostic query; telar has no accelerator."""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> None:
    """None: the computation runs on the CPU."""
    return None


def device_count() -> int:
    return 0

"""``telar.accelerator``: PyTorch's device-agnostic query; the accelerator is a CUDA GPU
through CuPy where one is present (:mod:`telar.cuda`), else there is none."""

from __future__ import annotations

from telar import cuda
from telar.engine.devices import device


def is_available() -> bool:
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device("cuda")`` where a GPU is usable, else None (the computation runs on the CPU)."""
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    return cuda.device_count()

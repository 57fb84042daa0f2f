"""telar.engine.cpu.memory: keeping freed blocks in the process (glibc only)."""

from __future__ import annotations

import platform

import numpy as np

from telar.engine.cpu.memory import retain_freed_memory


def test_retaining_freed_memory_takes_effect_on_glibc_and_is_idempotent():
    first = retain_freed_memory()
    assert retain_freed_memory() is first
    assert first is (platform.libc_ver()[0] == "glibc")
    big = np.ones(8_000_000, np.float32)  # 32 MB: allocations still work afterwards
    assert big.sum() == 8_000_000

"""``telar.set_num_threads`` / ``telar.get_num_threads``: PyTorch's calls for the CPU threads.

telar's thread rule (:mod:`telar.engine.cpu.threads`) picks BLAS threads by the size of a
step's largest product and chunk threads by the number of chunks, both capped by the number
of cores; ``set_num_threads(n)`` replaces that cap by ``n`` (``telar train --threads N``).

>>> telar.set_num_threads(2); telar.get_num_threads()
2
"""

from __future__ import annotations

from telar.engine.cpu.threads import set_thread_budget, thread_budget


def set_num_threads(n: int) -> None:
    """Use at most ``n`` threads (BLAS and telar's own chunk threads) from now on."""
    set_thread_budget(n)


def get_num_threads() -> int:
    """The most threads a step may use: ``set_num_threads``'s ``n``, else the cores."""
    return thread_budget()


__all__ = ["set_num_threads", "get_num_threads"]

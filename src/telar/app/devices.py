"""The command line's ``--device`` and ``--threads``: where a command computes, and on how
many CPU threads.

``--device cpu`` (the default) computes with NumPy; ``--device cuda`` with CuPy on a GPU, and
says in one line what is missing where CuPy or a GPU is (exit 2); ``--device auto`` takes the
GPU when there is one. ``--threads N`` caps the CPU threads (BLAS and telar's chunk threads)
at ``N`` instead of the core count (:mod:`telar.engine.cpu.threads` gives the rule it caps).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from telar.errors import ConfigError

if TYPE_CHECKING:
    from telar.engine.devices import device

# The engine (and NumPy) is imported inside the functions: registering the options must not
# slow the start of `telar --help`.

DEVICES = ("cpu", "cuda", "auto")


def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", metavar="DEVICE", default="cpu",
                        help="cpu (NumPy, the default) | cuda (a GPU, through CuPy: "
                             "pip install -e '.[cuda]') | auto (the GPU if there is one)")


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", metavar="N", default=None,
                        help="use at most N CPU threads (default: the thread rule, by the "
                             "number of cores and the size of the network)")


def choose_device(name: str | None) -> device:
    """The device ``--device name`` asks for; a :class:`ConfigError` in one line when it is
    not one of :data:`DEVICES`, or is ``cuda`` without CuPy or a GPU (saying which)."""
    from telar.engine.array import cuda_problem
    from telar.engine.devices import CPU, as_device, device

    name = (name or "cpu").strip().lower()
    if name == "auto":
        return CPU if cuda_problem() is not None else device("cuda", 0)
    kind = name.partition(":")[0]
    if kind not in ("cpu", "cuda"):
        raise ConfigError(f"--device: expected one of {', '.join(DEVICES)}, got {name!r}")
    problem = cuda_problem() if kind == "cuda" else None
    if problem is not None:
        raise ConfigError(f"--device {name}: {problem}")
    try:
        chosen = as_device(name)
    except (RuntimeError, ValueError) as exc:
        raise ConfigError(f"--device {name}: {exc}") from None
    return CPU if chosen is None else chosen


def apply_threads(value: Any) -> int | None:
    """Cap the CPU threads at ``--threads value`` (``None``: leave the rule); returns it."""
    from telar.engine.cpu.threads import set_thread_budget

    if value is None:
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        n = 0
    if n < 1:
        raise ConfigError(f"--threads: expected an integer >= 1, got {value!r}")
    set_thread_budget(n)
    return n


def out_of_memory_message(batch_size: int | None) -> str:
    """The one line for a GPU out of memory: the batch size to try."""
    if batch_size is None or batch_size < 2:
        return ("the GPU ran out of memory; train with mini-batches (--batch-size 128) or "
                "on the CPU (--device cpu)")
    return (f"the GPU ran out of memory at batch size {batch_size}; try --batch-size "
            f"{max(1, batch_size // 2)} (or --device cpu)")


def gpu_out_of_memory() -> tuple[type[BaseException], ...]:
    """The exception types of a GPU out of memory, for ``except`` (empty without CuPy)."""
    from telar.engine.array import out_of_memory_errors

    return out_of_memory_errors()

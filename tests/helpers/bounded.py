"""Run Python code or ``telar`` in a child process under resource limits.

Memory cases run under ``RLIMIT_AS`` so that a regression fails fast with a MemoryError in the
child instead of exhausting the machine; disk-full cases under ``RLIMIT_FSIZE`` (with SIGXFSZ
ignored, so an over-long write fails with EFBIG instead of killing the child).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Sequence

#: Address space for a child: imports of numpy, pyarrow and telar take about 400 MiB.
MEMORY_LIMIT = 1 << 30


def run_bounded(argv: Sequence[str], *, memory: int = MEMORY_LIMIT, file_size: int | None = None,
                timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run(argv)`` with the address space (and optionally file size) capped."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **kwargs.pop("env", {})}
    return subprocess.run(list(argv), preexec_fn=limit, capture_output=True, text=True,
                          timeout=timeout, env=env, **kwargs)


def telar_bounded(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """``python -m telar ARGS`` under :func:`run_bounded`'s limits."""
    return run_bounded([sys.executable, "-m", "telar", *args], **kwargs)


def python_bounded(code: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """``python -c CODE ARGS`` under :func:`run_bounded`'s limits."""
    return run_bounded([sys.executable, "-c", code, *args], **kwargs)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit status 2 and exactly one stderr line ``telar: error: ...`` holding ``fragments``."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, (result.returncode, result.stderr[-2000:])
    assert lines[0].startswith("telar: error:"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]

"""A local sweep worker: ``python -m telar.app.sweep.worker DIR THREADS PARENT_PID``.

Started by :class:`telar.app.sweep.local.LocalExecutor` with its share of the cores already set
in the environment (``OPENBLAS/OMP/MKL_NUM_THREADS``: read by the BLAS when NumPy loads, so
before any import of NumPy here). It reads trial numbers from standard input, one a line, runs
each (:func:`telar.app.sweep.trial.execute_trial`) and answers one JSON line per trial on the
standard output it was given; anything else printed goes to standard error (the worker's log).
It dies with the sweep that started it (Linux: ``PR_SET_PDEATHSIG``), so a killed sweep leaves
no trial running that a ``--resume`` would retry too.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux; elsewhere the worker
    still ends at the end of its current trial, when its standard input closes)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request
        os._exit(1)


def main(argv: list[str]) -> int:
    sweep_dir, threads, parent = argv[0], int(argv[1]), int(argv[2])
    die_with_parent(parent)
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints go to the log, not into the answers
    from telar.app.sweep.trial import execute_trial

    for line in sys.stdin:
        result = execute_trial(sweep_dir, int(line), threads)
        answers.write(json.dumps(result) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""``--jobs N``: N worker processes on this machine, each held to its share of the cores.

Each worker (:mod:`telar.app.sweep.worker`) is a separate Python process, started with
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` set to its share,
``cores // N`` (at least 1), and the same number of chunk threads, so N trials share the cores
instead of fighting for them. The processes are started once and take trial after trial, so
importing telar and NumPy is paid once per worker, not per trial. A worker that dies (killed,
out of memory) fails its trial with the reason and is replaced.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from pathlib import Path
from typing import Any

from telar.engine.cpu.threads import cores

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def thread_share(jobs: int) -> int:
    """Threads per worker: this process's cores divided among ``jobs`` workers, at least 1."""
    return max(1, cores() // jobs)


class LocalExecutor:
    """Runs trials on ``jobs`` worker processes (see the module docstring)."""

    def __init__(self, sweep_dir: Path, jobs: int) -> None:
        self.sweep_dir = sweep_dir
        self.slots = jobs
        self.threads = thread_share(jobs)
        self._idle: list[subprocess.Popen[str]] = []
        self._busy: dict[int, tuple[subprocess.Popen[str], int]] = {}  # fd -> (worker, trial)
        self._selector = selectors.DefaultSelector()
        self._count = 0
        self.description = (f"{jobs} local worker process{'es' if jobs > 1 else ''}, "
                            f"{self.threads} thread{'s' if self.threads > 1 else ''} each")

    def _start(self) -> subprocess.Popen[str]:
        env = dict(os.environ, **dict.fromkeys(THREAD_VARIABLES, str(self.threads)))
        src = str(Path(__file__).resolve().parents[3])  # this telar, wherever it lies
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        logs = self.sweep_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self._count += 1
        with open(logs / f"worker-{self._count}.log", "a", encoding="utf-8") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "telar.app.sweep.worker", str(self.sweep_dir),
                 str(self.threads), str(os.getpid())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, text=True,
                start_new_session=True)  # Ctrl-C reaches the sweep, which stops its workers

    def submit(self, number: int) -> None:
        worker = self._idle.pop() if self._idle else self._start()
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write(f"{number}\n")
        worker.stdin.flush()
        self._busy[worker.stdout.fileno()] = (worker, number)
        self._selector.register(worker.stdout, selectors.EVENT_READ)

    def wait(self, timeout: float | None = None) -> list[tuple[int, dict[str, Any] | str]]:
        """Finished trials: ``(number, result)``, result the worker's answer or, when the
        worker died, the reason (text)."""
        done: list[tuple[int, dict[str, Any] | str]] = []
        for key, _ in self._selector.select(timeout):
            worker, number = self._busy.pop(key.fd)
            self._selector.unregister(key.fileobj)
            line = worker.stdout.readline() if worker.stdout else ""
            if line:
                self._idle.append(worker)
                done.append((number, json.loads(line)))
            else:
                status = worker.wait()
                how = f"signal {-status}" if status < 0 else f"exit status {status}"
                done.append((number, f"its worker process died ({how})"))
        return done

    def running(self) -> list[int]:
        return [number for _, number in self._busy.values()]

    def close(self) -> None:
        """Stop every worker: idle ones end on the closed input, busy ones are killed."""
        for worker, _ in self._busy.values():
            worker.kill()
        for worker in [*self._idle, *(w for w, _ in self._busy.values())]:
            if worker.stdin:
                worker.stdin.close()
            worker.wait()
            if worker.stdout:
                worker.stdout.close()
        self._idle.clear()
        self._busy.clear()
        self._selector.close()

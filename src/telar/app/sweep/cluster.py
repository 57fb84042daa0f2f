"""``--dask ADDRESS``: trials as Dask tasks, on a cluster's workers or a local cluster.

``--dask tcp://HOST:8786`` connects to a running scheduler (``dask scheduler`` on one machine,
``dask worker tcp://HOST:8786`` on each of the others; the sweep folder on a file system they
all see, since each task writes its trial's run folder and tells the study's journal file
there). ``--dask local:N`` starts a ``LocalCluster`` of N worker processes on 127.0.0.1, each
with one task thread and its share of the cores.

A task is :func:`telar.app.sweep.trial.execute_trial` by reference, so the workers need this
telar importable (the same install, or ``PYTHONPATH`` on the shared file system).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from telar.app.sweep.local import THREAD_VARIABLES, thread_share
from telar.app.sweep.optional import distributed, optional
from telar.errors import ConfigError, TelarError

#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT = 5
#: Dask settings for the workers of ``--dask local:N`` (remote workers: see the how-to).
PROFILE_OFF = {"distributed.worker.profile.enabled": False}
#: How often the futures are looked at while waiting.
POLL_SECONDS = 0.05


def parse_address(address: str) -> tuple[str, int | str]:
    """``local:N`` -> ("local", N); ``tcp://HOST:PORT`` (or ``HOST:PORT``) -> ("remote", URL)."""
    local = re.fullmatch(r"local:(\d+)", address)
    if local:
        n = int(local.group(1))
        if n < 1:
            raise ConfigError(f"--dask {address}: expected local:N with N >= 1")
        return "local", n
    if re.fullmatch(r"(tcp://|tls://)?[\w.\-\[\]:]+:\d+", address):
        return "remote", address if "://" in address else f"tcp://{address}"
    raise ConfigError(f"--dask {address!r}: expected tcp://HOST:PORT (a running dask "
                      "scheduler) or local:N (N local worker processes)")


class DaskExecutor:
    """Runs trials as Dask tasks; ``slots``: the cluster's task threads when it connected."""

    def __init__(self, sweep_dir: Path, address: str) -> None:
        dd = distributed()
        kind, where = parse_address(address)
        self.sweep_dir = sweep_dir
        self.cluster = None
        self.threads: int | None = None
        if kind == "local":
            n = int(where)
            self.threads = thread_share(n)
            # Dask's workers sample their threads' stacks every 10 ms: a cost the small
            # batches of a trial feel (a third of a trial's time, measured); not here.
            with optional("dask", "telar sweep --dask").config.set(PROFILE_OFF):
                self.cluster = self._local_cluster(dd, n)
            where = self.cluster.scheduler_address
        try:
            self.client = dd.Client(where, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self._close_cluster()
            raise TelarError(f"--dask {address}: no Dask scheduler answered within "
                             f"{CONNECT_TIMEOUT} s ({type(exc).__name__}); start one with "
                             "`dask scheduler` and workers with `dask worker "
                             f"{where}`") from None
        self.slots = max(1, sum(self.client.nthreads().values()))
        self._futures: dict[Any, int] = {}
        self.description = (f"Dask at {where}: {len(self.client.nthreads())} workers, "
                            f"{self.slots} task slots")

    def _local_cluster(self, dd: Any, n: int) -> Any:
        # Dask's nannies write OMP/MKL/OPENBLAS_NUM_THREADS=1 (and MALLOC_TRIM_THRESHOLD_)
        # into *this* process's environment as they start workers: every program the caller
        # starts afterwards would run a one-thread BLAS. Put the environment back.
        saved = dict(os.environ)
        try:
            return dd.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   host="127.0.0.1",
                                   dashboard_address=":0",  # any free port: never a clash
                                   env=dict.fromkeys(THREAD_VARIABLES, str(self.threads)))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def submit(self, number: int) -> None:
        from telar.app.sweep.trial import execute_trial

        future = self.client.submit(execute_trial, str(self.sweep_dir.resolve()), number,
                                    self.threads, pure=False, key=f"telar-trial-{number}-"
                                    f"{self.sweep_dir.name}")
        self._futures[future] = number

    def wait(self, timeout: float | None = None) -> list[tuple[int, dict[str, Any] | str]]:
        if not self._futures:
            return []
        deadline = None if timeout is None else time.monotonic() + timeout
        while not (finished := [f for f in self._futures if f.done()]):
            if deadline is not None and time.monotonic() > deadline:
                return []
            time.sleep(POLL_SECONDS)  # a trial takes seconds: polling costs nothing here
        done: list[tuple[int, dict[str, Any] | str]] = []
        for future in finished:
            number = self._futures.pop(future)
            try:
                done.append((number, future.result()))
            except Exception as exc:  # the task's worker died, or could not import telar
                done.append((number, f"its Dask task failed: {type(exc).__name__}: {exc}"))
        return done

    def running(self) -> list[int]:
        return list(self._futures.values())

    def close(self) -> None:
        for future in self._futures:
            future.cancel()
        self._futures.clear()
        self.client.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

"""The header of a results file in ``benchmarks/results/``: when, how and where a figure was
measured, so the documentation can include the file as it is (no figure typed by hand).

A results file is Markdown: :func:`provenance` (date, exact command, machine, load average at
the start, telar's git revision) followed by the measurement's own table or output.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def provenance(command: str, started: datetime.datetime, env: dict[str, str] | None = None,
               load: bool = True) -> str:
    """One Markdown paragraph: ``Measured DATE UTC by `COMMAND` on CPU, N cores (pinned to
    CPUs ..), load average L at the start, Python V, telar REV.``

    ``load=False`` leaves the load average out (a run recorded after the fact: today's load says
    nothing about it)."""
    env = os.environ if env is None else env
    pinned = affinity()
    load = _load_average() if load else ""
    parts = [f"Measured {started:%Y-%m-%d %H:%M} UTC by `{command}`",
             f"on {_cpu_name()}, {os.cpu_count()} cores"
             + (f" (pinned to CPU {pinned})" if pinned else ""),
             f"load average {load} at the start" if load else "",
             f"Python {platform.python_version()}"
             + (f", OPENBLAS_NUM_THREADS={env['OPENBLAS_NUM_THREADS']}"
                if env.get("OPENBLAS_NUM_THREADS") else ""),
             f"telar {git_revision()}"]
    return ", ".join(p for p in parts if p) + "."


def as_run(command: str, env: dict[str, str] | None = None) -> str:
    """``command`` as this process was started: with the ``taskset -c CPUS`` and
    ``env OPENBLAS_NUM_THREADS=N`` that pinned it, so the recorded command repeats the run."""
    env = os.environ if env is None else env
    prefix = f"taskset -c {affinity()} " if affinity() else ""
    if env.get("OPENBLAS_NUM_THREADS"):
        prefix += f"env OPENBLAS_NUM_THREADS={env['OPENBLAS_NUM_THREADS']} "
    return prefix + command


def git_revision() -> str:
    """The short commit of the working tree, with ``+changes`` when it has uncommitted edits of
    tracked files (the figure then measured code no commit holds)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPOSITORY, capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        revision = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", "benchmarks")
    except (OSError, subprocess.CalledProcessError):
        return "(revision unknown: not a git clone)"
    return revision + ("+changes" if dirty else "")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load_average() -> str:
    """The 1-minute load average (the machine is shared: a busy one slows every peer alike,
    which is why the tables give ratios)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (OSError, AttributeError):
        return ""


def affinity() -> str:
    """The CPUs this process may run on, when pinned to fewer than all (``taskset``)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return ",".join(map(str, cpus)) if cpus and len(cpus) < (os.cpu_count() or 0) else ""

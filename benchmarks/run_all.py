"""Run every benchmark in this folder (``bench_*.py``), each in its own process, in name order.

    python benchmarks/run_all.py [--only seed] [--results benchmarks/results] [extra args]

Each benchmark times telar against its peers in one invocation on the same data and prints a
table with ratios. The machine is shared and noisy: run this more than once.

With ``--results DIR`` each benchmark's output is also written to ``DIR/bench_NAME.md``, headed
by the date, the exact command and the machine, for the documentation to include as it is
(``docs/explanations/speed.md``), so no figure there is typed by hand.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only bench_NAME.py (repeatable)")
    parser.add_argument("--results", type=Path, default=None, metavar="DIR",
                        help="also write each benchmark's output to DIR/bench_NAME.md")
    args, extra = parser.parse_known_args(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    env = dict(os.environ)
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        if args.results is None:
            status = subprocess.run([sys.executable, str(script), *extra], env=env).returncode
        else:
            status = run_and_record(script, extra, env, args.results)
        if status:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def run_and_record(script: Path, extra: list[str], env: dict[str, str], results: Path) -> int:
    """Run ``script``, echoing its output, and write that output as Markdown to
    ``results/<script stem>.md`` (atomically) when it succeeds."""
    from telar.io.atomic import atomic_write

    started = datetime.datetime.now(datetime.UTC)
    done = subprocess.run([sys.executable, str(script), *extra], env=env, text=True,
                          stdout=subprocess.PIPE)
    sys.stdout.write(done.stdout)
    if done.returncode:
        return done.returncode
    command = shlex.join(["python", f"benchmarks/{script.name}", *extra])
    pinned = _affinity()
    lines = [f"Measured {started:%Y-%m-%d %H:%M} UTC by `{command}`"
             + (f" (on CPU {pinned} of {os.cpu_count()})" if pinned else ""),
             f"on {_cpu_name()}, Python {platform.python_version()}"
             + (f", OPENBLAS_NUM_THREADS={env['OPENBLAS_NUM_THREADS']}"
                if env.get("OPENBLAS_NUM_THREADS") else "") + ":",
             "", "```text", done.stdout.rstrip(), "```", ""]
    results.mkdir(parents=True, exist_ok=True)
    with atomic_write(results / f"{script.stem}.md", "w") as f:
        f.write("\n".join(lines))
    return 0


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} CPUs)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} CPUs)"


def _affinity() -> str:
    """The CPUs this process may run on, when pinned to fewer than all (``taskset``)."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return ",".join(map(str, cpus)) if cpus and len(cpus) < (os.cpu_count() or 0) else ""


if __name__ == "__main__":
    raise SystemExit(main())

"""`telar sweep`: 16 short trials of the report's network with --jobs 1, --jobs 2 and --dask
local:2, and the overhead per trial over training the same 16 configurations plainly.

Each trial: the report's preset (784-64-32-16-10, hand-written backprop, Adam, cosine), 3 epochs
on the first 10,000 real training images (``train_subset``), 10% of them held out for
validation; ``lr`` and ``batch_size`` drawn by the random sampler with a fixed seed, so every
mode trains the same 16 configurations; no pruning; no per-trial report.html (a run's figures
are still drawn, as ``telar train`` draws them). Each sweep is a whole ``telar sweep`` command
(start, workers, 16 trials, sweep.html), timed by its wall clock.

The "plain" row trains the 16 configurations one after the other in one process with
:func:`telar.app.runs.run.train_run` (what ``telar train`` runs, without its report.html); the
overhead per trial is ``(sweep --jobs 1 - plain) / 16``: worker start, Optuna's ask and tell,
the journal file. The median extra time of a trial in its worker over the same training
in this process is given too. One ``telar train`` command of the first
configuration (process start, data, training, report.html) is timed too, for scale.

The modes alternate over ``--rounds`` rounds; the table gives the median of each and its ratio
to --jobs 1. Don't pin to one core (taskset): two jobs need two.

    PYTHONPATH=src python benchmarks/bench_sweep.py [--rounds 1] [--trials 16] [--data DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def spec_text(trials: int, data: str | None) -> str:
    data_line = f'data = "{data}"\n' if data else ""
    return (f'base = "report"\ntrials = {trials}\nobjective = "val_accuracy"\nval_split = 0.1\n'
            'sampler = "random"\npruner = "none"\nseed = 0\ntrial_reports = false\n'
            f"[fixed]\nepochs = 3\ntrain_subset = 10000\n{data_line}"
            '[space]\nlr = { log = [1e-4, 1e-2] }\nbatch_size = { choice = [64, 128, 256] }\n')


def telar(*args: str) -> float:
    """Wall seconds of one ``telar`` command (it must succeed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "telar", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def plain(spec_path: Path, work: Path) -> tuple[float, list[dict], float]:
    """The sweep's 16 configurations (read from a finished sweep), trained in this process;
    also the median extra seconds a trial took in the sweep's worker (start to tell, from the
    journal) over the same configuration here (the first of each left out: imports)."""
    from telar.app.runs.run import train_run
    from telar.app.sweep.study import SweepFolder, load_study

    folder = SweepFolder(work / "sweep-jobs1")
    spec = folder.read_spec()
    trials = load_study(folder, spec).get_trials()
    params = [t.params for t in trials]
    in_worker = [(t.datetime_complete - t.datetime_start).total_seconds() for t in trials]
    here = []
    t0 = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        for i, p in enumerate(params):
            t1 = time.perf_counter()
            train_run(spec.trial_config(p), work / f"plain-{i}", progress=False, stream=quiet,
                      overwrite=True)  # the same folders again in the next round
            here.append(time.perf_counter() - t1)
    extra = statistics.median(a - b for a, b in zip(in_worker[1:], here[1:], strict=True))
    return time.perf_counter() - t0, params, extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    spec = work / "spec.toml"
    spec.write_text(spec_text(args.trials, args.data))
    modes = {"--jobs 1": ["--jobs", "1"], "--jobs 2": ["--jobs", "2"],
             "--dask local:2": ["--dask", "local:2"]}
    times: dict[str, list[float]] = {m: [] for m in [*modes, "plain (one process)",
                                                      "one telar train"]}
    extras: list[float] = []
    try:
        for r in range(args.rounds):
            for name, flags in modes.items():
                out = work / f"sweep-{name.strip('-').replace(' ', '').replace(':', '')}"
                shutil.rmtree(out, ignore_errors=True)
                times[name].append(telar("sweep", str(spec), "--out", str(out),
                                         "--no-progress", *flags))
                print(f"round {r + 1}: {name}: {times[name][-1]:.1f} s", flush=True)
            seconds, params, extra = plain(spec, work)
            times["plain (one process)"].append(seconds)
            extras.append(extra)
            print(f"round {r + 1}: plain: {seconds:.1f} s", flush=True)
            first = params[0]
            shutil.rmtree(work / "train", ignore_errors=True)
            data = ["--data", args.data] if args.data else []
            times["one telar train"].append(telar(
                "train", "--epochs", "3", "--train-subset", "10000", "--val-split", "0.1",
                "--lr", str(first["lr"]), "--batch-size", str(first["batch_size"]),
                "--no-progress", "--out", str(work / "train"), *data))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = statistics.median(times["--jobs 1"])
    print(f"\n{args.trials} trials, 3 epochs on 10,000 images, {os.cpu_count()} cores, "
          f"{args.rounds} round(s); medians")
    print(f"{'mode':<22}{'seconds':>10}{'vs --jobs 1':>14}")
    for name, values in times.items():
        if name == "one telar train":
            continue
        median = statistics.median(values)
        print(f"{name:<22}{median:>10.1f}{median / base:>14.2f}")
    overhead = (base - statistics.median(times["plain (one process)"])) / args.trials
    print(f"\noverhead per trial of --jobs 1 over plain training: {overhead:.2f} s "
          "(its start, workers and sweep.html spread over the trials)")
    print(f"a trial in its worker over the same training here: {statistics.median(extras):.2f}"
          " s (median)")
    print(f"one `telar train` command of the first configuration (with report.html): "
          f"{statistics.median(times['one telar train']):.1f} s")


if __name__ == "__main__":
    main()

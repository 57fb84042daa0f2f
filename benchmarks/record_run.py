"""Write a training run's figures to ``benchmarks/results/run_NAME.md`` from its own files, for
the documentation to include (so no accuracy or training time there is typed by hand).

    python benchmarks/record_run.py NAME -- telar train --preset mlp --out runs/mlp
        runs the command (which must name its run folder with ``--out``), then records it;
    python benchmarks/record_run.py NAME --run-dir runs/mlp --command "telar train --preset mlp"
        records a run made earlier (the load average is then unknown: it is not in the files).

The file gives the command, the date, the machine and telar's revision (``_results``), then one
table from the run folder's ``summary.json`` (test accuracy, epochs, training seconds,
parameters) and ``metrics.csv`` (the test accuracy after selected epochs).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import as_run, provenance  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="results/run_NAME.md is written")
    parser.add_argument("--run-dir", type=Path, help="a run folder made earlier")
    parser.add_argument("--command", help="the command that made --run-dir")
    parser.add_argument("--results", type=Path, default=HERE / "results", metavar="DIR")
    args = parser.parse_args(own)
    if command:
        if "--out" not in command:
            parser.error("the command must name its run folder with --out DIR")
        run_dir = Path(command[command.index("--out") + 1])
        header = provenance(as_run(shlex.join(command)), datetime.datetime.now(datetime.UTC))
        try:
            status = subprocess.run(command).returncode
        except FileNotFoundError:
            parser.error(f"{command[0]}: no such command (is telar's virtual environment active?)")
        if status:
            return status
    elif args.run_dir and args.command:
        run_dir = args.run_dir
        finished = datetime.datetime.fromtimestamp((run_dir / "summary.json").stat().st_mtime,
                                                   datetime.UTC)
        header = provenance(args.command, finished, {}, load=False).replace(
            "Measured", "Run finished", 1)
    else:
        parser.error("give the command after --, or --run-dir and --command")
    args.results.mkdir(parents=True, exist_ok=True)
    target = args.results / f"run_{args.name}.md"
    text = header + "\n\n" + run_table(run_dir) + "\n"
    from telar.io.atomic import atomic_write

    with atomic_write(target, "w") as f:
        f.write(text)
    print(text, end="")
    return 0


def run_table(run_dir: Path) -> str:
    """A Markdown table of the run: its summary and the test accuracy after a few epochs
    (the first, a quarter, half and the last)."""
    summary = json.loads((run_dir / "summary.json").read_text())
    with open(run_dir / "metrics.csv", newline="") as f:
        epochs = list(csv.DictReader(f))
    shown = sorted({1, max(1, len(epochs) // 4), max(1, len(epochs) // 2), len(epochs)})
    per_epoch = ", ".join(f"{float(epochs[e - 1]['test_accuracy']):.2%} after {e}"
                          for e in shown)
    seconds = float(summary["train_seconds"])
    return "\n".join([
        "| test accuracy | epochs | training time | parameters | test accuracy per epoch |",
        "|---:|---:|---:|---:|---|",
        f"| {summary['test_accuracy']:.2%} | {summary['epochs']} | {seconds:.1f} s"
        f" | {summary['parameters']:,} | {per_epoch} |"])


if __name__ == "__main__":
    raise SystemExit(main())

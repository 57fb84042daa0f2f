"""One benchmark on two revisions of telar, alternated in one invocation: did a change cost speed?

    python benchmarks/compare_revisions.py BASE [--rounds 3] [--results FILE] SCRIPT [ARGS...]

``BASE`` is a git revision (a commit, tag or branch); its ``src/`` and ``benchmarks/`` are
exported with ``git archive`` to a temporary folder. Each round runs ``benchmarks/SCRIPT``
once from ``BASE`` and once from this working tree, each in its own process with its own
``PYTHONPATH``, swapping which goes first every round so that neither always meets the machine
warmer. Each benchmark already times telar against its peers (PyTorch, scikit-learn) in the
same process; this script keeps the table rows it prints and, at the end, gives for every row
the median over the rounds of each ratio column (cells such as ``0.45x``), per revision. Two
shared cores swing by ±30% from run to run: compare the ratios, not the seconds. With
``--results FILE`` that table is also written to ``FILE`` (Markdown, headed by the date, the
exact command, the machine, its load average and the revision: ``_results.provenance``) for the
documentation to include.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def export(revision: str, into: Path) -> Path:
    """``src/`` and ``benchmarks/`` of ``revision`` under ``into``."""
    archive = into / "base.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive),
                    revision, "src", "benchmarks"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def run(root: Path, script: str, args: list[str]) -> list[str]:
    """The table rows (``| ... |``) that ``root/benchmarks/script`` prints; its whole output
    is echoed."""
    env = dict(os.environ, PYTHONPATH=str(root / "src"))
    result = subprocess.run([sys.executable, str(root / "benchmarks" / script), *args],
                            env=env, capture_output=True, text=True, cwd=REPO)
    sys.stdout.write(result.stdout)
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"{script} failed on {root} (exit {result.returncode})")
    return [line for line in result.stdout.splitlines()
            if line.startswith("|") and not line.startswith("|---")]


def _number(cell: str) -> float | None:
    try:
        return float(cell.removesuffix("x").removesuffix("%").replace(",", ""))
    except ValueError:
        return None


def ratios(row: str) -> tuple[str, list[float]] | None:
    """``(label, ratio cells)`` of a table row: the label is its cells before the first
    number; the ratios are the cells written ``<number>x``."""
    cells = [c.strip() for c in row.strip("|").split("|")]
    found = [v for c in cells if c.endswith("x") and (v := _number(c)) is not None]
    if not found:
        return None
    label = []
    for cell in cells:
        if _number(cell) is not None:
            break
        label.append(cell)
    return " | ".join(label), found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the git revision to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--results", type=Path, default=None, metavar="FILE",
                        help="also write the final table to FILE (Markdown)")
    parser.add_argument("script", help="a benchmark in benchmarks/, e.g. bench_seed.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the benchmark's arguments")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(REPO / "benchmarks"), str(REPO / "src")]  # _results, telar.io.atomic
    from _results import as_run, provenance

    command = as_run(shlex.join(["python", "benchmarks/compare_revisions.py",
                                 *(sys.argv[1:] if argv is None else argv)]))
    header = provenance(command, datetime.datetime.now(datetime.UTC))  # the load at the start
    table: dict[str, dict[str, list[list[float]]]] = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory() as tmp:
        trees = {args.base: export(args.base, Path(tmp)), "working tree": REPO}
        for r in range(args.rounds):
            order = list(trees) if r % 2 == 0 else list(reversed(trees))
            for name in order:
                print(f"\n== round {r + 1}: {name}", flush=True)
                for row in run(trees[name], args.script, args.args):
                    parsed = ratios(row)
                    if parsed:
                        table[parsed[0]][name].append(parsed[1])
    lines = [f"Median over {args.rounds} rounds of each row's ratio columns "
             f"({args.script} {' '.join(args.args)}):", "",
             f"| row | {args.base} | working tree |", "|---|---:|---:|"]
    for label, by_revision in table.items():
        cells = []
        for name in (args.base, "working tree"):
            runs = by_revision.get(name, [])
            width = min((len(r) for r in runs), default=0)
            cells.append(" ".join(f"{statistics.median(r[i] for r in runs):.2f}x"
                                  for i in range(width)) or "-")
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    print("\n" + "\n".join(lines))
    if args.results is not None:
        from telar.io.atomic import atomic_write

        args.results.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(args.results, "w") as f:
            f.write(header + "\n\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

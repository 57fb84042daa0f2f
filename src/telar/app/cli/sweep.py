"""``telar sweep``: search hyper-parameters with Optuna, on local processes or a Dask cluster.

``telar sweep SPEC.toml --out DIR`` runs the trials (each an ordinary run folder under
``DIR/trials/``) and writes ``DIR/sweep.html`` and ``DIR/best.toml``; ``--resume`` continues a
sweep that was stopped; ``telar sweep --out DIR --print`` shows an existing sweep's table.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXAMPLES: tuple[str, ...] = (
    "telar sweep sweep.toml --out sweeps/lr --jobs 2 --print",
    "telar sweep --resume --out sweeps/lr",
    "telar sweep sweep.toml --out /shared/sweeps/lr --dask tcp://lab-1:8786",
    "telar sweep sweep.toml --out sweeps/lr --dask local:2",
    "telar sweep --out sweeps/lr --print",
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sweep", help="search hyper-parameters (Optuna; local processes or Dask)",
        description="Run the hyper-parameter sweep of SPEC.toml in --out DIR: each trial is a "
                    "run folder in DIR/trials/, scored on a validation split of the training "
                    "set; DIR/sweep.html reports it and DIR/best.toml holds the best "
                    "configuration (telar train --config DIR/best.toml).")
    parser.add_argument("spec", nargs="?", metavar="SPEC.toml",
                        help="the sweep spec (optional with --resume or --print: DIR's own)")
    parser.add_argument("--out", metavar="DIR", required=True, help="the sweep folder")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", metavar="N", type=_positive, default=1,
                       help="trials run at once, each in its own process with its share of "
                            "the cores (default 1)")
    where.add_argument("--dask", metavar="ADDRESS",
                       help="run the trials on Dask: tcp://HOST:8786 (a running `dask "
                            "scheduler`) or local:N (a local cluster of N processes)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the sweep in DIR (finished trials kept, interrupted "
                             "ones retried)")
    parser.add_argument("--print", dest="print_table", action="store_true",
                        help="print the trials table at the end (alone with --out: the table "
                             "of the sweep in DIR, nothing run)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read {text!r} as an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from telar.app.sweep.report import text_table
    from telar.app.sweep.run import SweepInterrupted, run_sweep

    if args.spec is None and not args.resume:
        if not args.print_table:
            from telar.errors import ConfigError

            raise ConfigError("sweep: give SPEC.toml (or --resume, or --print to show the "
                              "sweep in --out)")
        spec, study = _open_existing(Path(args.out))
        print(text_table(study, spec))
        return 0
    try:
        study = run_sweep(args.spec, args.out, jobs=args.jobs, dask=args.dask,
                          resume=args.resume, progress=False if args.no_progress else None)
    except SweepInterrupted as stop:
        sys.stderr.write(f"telar: {stop}\n")
        return 130
    if args.print_table:
        from telar.app.sweep.study import SweepFolder

        print(text_table(study, SweepFolder(Path(args.out)).read_spec()))
    return 0


def _open_existing(out: Any) -> tuple[Any, Any]:
    from telar.app.sweep.study import SweepFolder, load_study
    from telar.errors import ConfigError

    folder = SweepFolder(out)
    if not folder.holds_sweep():
        raise ConfigError(f"--out {out}: holds no sweep ({folder.spec_path.name} is missing)")
    spec = folder.read_spec()
    return spec, load_study(folder, spec)

"""``telar report RUN_DIR``: (re)build the run's self-contained ``report.html``."""

from __future__ import annotations

import argparse
from typing import Any

#: Shown at the end of ``telar report --help``.
EXAMPLES: tuple[str, ...] = (
    'telar report runs/cnn',
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="build a run folder's report.html",
        description="Write RUN_DIR/report.html: one self-contained page (figures embedded, no "
                    "network access) with the configuration, final figures, loss and accuracy "
                    "curves, confusion matrices, per-class precision/recall/F1, the most "
                    "confidently misclassified test images, sample predictions and the time "
                    "per epoch. Its figures are also written to RUN_DIR/figures/report/.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by telar train")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from telar.app.report.html import build_report
    from telar.app.report.reproduce_html import build_reproduce_report, is_reproduce_folder

    build = build_reproduce_report if is_reproduce_folder(args.run_dir) else build_report
    print(build(args.run_dir))
    return 0

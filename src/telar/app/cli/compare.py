"""``telar compare RUN_DIR... [--out FILE.html]``: several runs on one page and in one table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

#: Shown at the end of ``telar compare --help``.
EXAMPLES: tuple[str, ...] = (
    'telar compare runs/* --out runs/compare.html',
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare", help="overlay the curves and tabulate the summaries of several runs",
        description="Write one self-contained HTML page overlaying the loss and accuracy "
                    "curves of the runs and tabulating their summaries; print the table as "
                    "Markdown on stdout.")
    parser.add_argument("run_dirs", metavar="RUN_DIR", nargs="+", help="run folders")
    parser.add_argument("--out", metavar="FILE.html", default="compare.html",
                        help="where to write the page (default: compare.html)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from telar.app.report.compare import compare_runs
    from telar.errors import TelarError
    from telar.io.atomic import atomic_write_text
    from telar.io.text import printable

    out = Path(args.out)
    if out.is_dir():
        raise TelarError(f"--out {out}: is a folder; name an .html file")
    html, markdown = compare_runs(args.run_dirs)
    try:
        atomic_write_text(out, html)
    except OSError as exc:
        raise TelarError(f"--out {out}: cannot write it ({exc.strerror or exc})") from None
    print(markdown)
    print(f"\nwrote {printable(str(out))}")
    return 0

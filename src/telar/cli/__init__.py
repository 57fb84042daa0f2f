"""The ``telar`` command: one sub-command per module in this package.

Each sub-command module exposes ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments, returning an exit status). A user error
(:class:`telar.errors.TelarError`, or a bad option) prints one line ``telar: error: …`` and
exits with status 2, with no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from telar import __version__
from telar.errors import TelarError

# Sub-command modules, in the order `telar --help` lists them.
SUBCOMMAND_MODULES: list[str] = ["data", "train", "evaluate", "reproduce", "gradcheck", "report",
                                  "compare", "serve"]


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``telar: error: …``, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        where = self.prog.removeprefix("telar").strip()  # the sub-command, if any
        fail(f"{where}: {message}" if where else message)


def fail(message: str) -> None:
    """Print ``telar: error: message`` on stderr and exit with status 2."""
    sys.stderr.write(f"telar: error: {message}\n")
    raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="telar",
        description="Neural networks from scratch on NumPy, for Fashion-MNIST.",
    )
    parser.add_argument("--version", action="version", version=f"telar {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND",
                                       parser_class=OneLineErrorParser)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(f"telar.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TelarError as exc:
        fail(str(exc))
    except BrokenPipeError:
        # `telar ... | head` closed the pipe: not an error of ours, and no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("telar: interrupted\n")
        return 130
    return 0

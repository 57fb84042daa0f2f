"""The ``telar`` command: one sub-command per module in this package.

Each sub-command module exposes ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments, returning an exit status). A user error
(:class:`telar.errors.TelarError`, or a bad option) prints one line ``telar: error: …`` and
exits with status 2, with no traceback. So does an OS error the user's surroundings cause
(a full disk, standard output on a full device such as ``> /dev/full``). Control characters
in a message (from a file name, a model file) are escaped, so it stays one line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence

from telar.errors import TelarError
from telar.io.text import printable
from telar.version import __version__

# Sub-command modules, in the order `telar --help` lists them.
SUBCOMMAND_MODULES: list[str] = ["data", "train", "evaluate", "predict", "report", "compare",
                                 "serve", "reproduce", "augment", "gradcheck", "sweep"]


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``telar: error: …``, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        where = self.prog.removeprefix("telar").strip()  # the sub-command, if any
        fail(f"{where}: {message}" if where else message)


def fail(message: str) -> None:
    """Print ``telar: error: message`` on stderr (control characters escaped), exit status 2."""
    sys.stderr.write(f"telar: error: {printable(message)}\n")
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
        importlib.import_module(f"telar.app.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        # From here Ctrl-C is a KeyboardInterrupt again (telar.app.command exits at once before)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    stdout, sys.stdout = sys.stdout, _GuardedStdout(sys.stdout)
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at exit: a full device is reported like any error
        return status
    except TelarError as exc:
        fail(str(exc))
    except BrokenPipeError:
        # `telar ... | head` closed the pipe: not an error of ours, and no traceback.
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("telar: interrupted\n")
        return 130
    except _StdoutError as exc:
        _silence_stdout()
        fail(f"cannot write to standard output: {_reason(exc)}")
    except OSError as exc:
        fail(f"{exc.filename}: {_reason(exc)}" if exc.filename is not None else _reason(exc))
    finally:
        sys.stdout = stdout
    return 0


class _StdoutError(OSError):
    """Writing to standard output failed (``> /dev/full``, a full disk)."""


class _GuardedStdout:
    """Standard output whose write errors say that they are standard output's."""

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._guard(self._stream.write, text)  # type: ignore[attr-defined]

    def flush(self) -> None:
        self._guard(self._stream.flush)  # type: ignore[attr-defined]

    @staticmethod
    def _guard(method, *args):  # noqa: ANN001, ANN205
        try:
            return method(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _StdoutError(exc.errno, exc.strerror) from exc

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the flush at exit cannot fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())


def _reason(exc: OSError) -> str:
    return exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc))

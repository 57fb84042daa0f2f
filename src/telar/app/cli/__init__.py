"""The ``telar`` command: one sub-command per module in this package.

Each sub-command module exposes ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments, returning an exit status). A user error
(:class:`telar.errors.TelarError`, or a bad option) prints one line ``telar: error: …`` and
exits with status 2, with no traceback. So does an OS error the user's surroundings cause
(a full disk, standard output on a full device such as ``> /dev/full``). Control characters
in a message (from a file name, a model file) are escaped, so it stays one line.

Help as people expect it: every ``--help`` shows the options' defaults and ends with examples
(each module's ``EXAMPLES``); options must be spelled out (no prefix matching: ``--epoch 3``
is not silently ``--epochs 3``), and a mistyped sub-command or option gets "did you mean …?".
"""

from __future__ import annotations

import argparse
import difflib
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
                                 "summary", "export", "serve", "reproduce", "augment",
                                 "gradcheck"]


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help that ends each option with its default (when it has one the help does not already
    name) and keeps the examples' line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (action.option_strings and "default" not in text and "%(default)" not in text
                and default not in (None, False, argparse.SUPPRESS, [], ())):
            text += " (default: %(default)s)"
        return text


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, ``telar: error: …``, exit status 2; which
    takes no abbreviated option, and suggests the closest sub-command to a mistyped one."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        where = self.prog.removeprefix("telar").strip()  # the sub-command, if any
        if "invalid choice: " in message:
            message = message + _did_you_mean(message, self)
        fail(f"{where}: {message}" if where else message)


def _did_you_mean(message: str, parser: argparse.ArgumentParser) -> str:
    """``"; did you mean 'train'?"`` for argparse's ``invalid choice: 'trian' (…)``."""
    typed = message.split("invalid choice: ", 1)[1].split(" (choose from")[0].strip("'")
    choices = [c for a in parser._actions for c in (a.choices or ()) if isinstance(c, str)]
    close = difflib.get_close_matches(typed, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _closest_option(typed: str, parser: argparse.ArgumentParser) -> str | None:
    """The option of ``parser`` (or of the sub-command it chose) closest to ``typed``."""
    name = typed.split("=", 1)[0]
    options = [o for a in parser._actions for o in a.option_strings]
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None


def _chosen_parser(parser: argparse.ArgumentParser,
                   args: argparse.Namespace) -> argparse.ArgumentParser:
    """The deepest sub-command parser ``args`` went through (``telar data info`` -> info's)."""
    while True:
        sub = next((a for a in parser._actions
                    if isinstance(a, argparse._SubParsersAction)), None)
        chosen = getattr(args, sub.dest, None) if sub is not None else None
        if sub is None or chosen not in sub.choices:
            return parser
        parser = sub.choices[chosen]


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
        module = importlib.import_module(f"telar.app.cli.{name}")
        module.register(subparsers)
        examples = getattr(module, "EXAMPLES", ())
        if examples:
            subparsers.choices[name].epilog = "examples:\n" + "\n".join(
                f"  {line}" for line in examples)
    return parser


def parse_arguments(parser: argparse.ArgumentParser,
                    argv: Sequence[str] | None) -> argparse.Namespace:
    """``parser.parse_args(argv)``, but an unknown option names its sub-command and the
    closest option it has (``train: unrecognized arguments: --epocs 3; did you mean
    --epochs?``)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        chosen = _chosen_parser(parser, args)
        hint = next((f"; did you mean {close}?" for typed in extras if typed.startswith("-")
                     for close in [_closest_option(typed, chosen)] if close), "")
        chosen.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse_arguments(parser, argv)
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

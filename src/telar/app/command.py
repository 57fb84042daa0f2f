"""The ``telar`` command's entry point: Ctrl-C is a clean exit from the very first moment.

Python turns Ctrl-C into a ``KeyboardInterrupt`` wherever the program is, and one raised
while modules are still being imported (NumPy alone takes a tenth of a second) ends in a
traceback. So the command first installs a handler that exits at once with status 130 and
``telar: interrupted`` -- nothing has been written yet, so nothing can be lost -- and
:func:`telar.app.cli.main` puts the usual ``KeyboardInterrupt`` back before any work starts (the
training loop turns it into "stop after this batch and save a checkpoint").
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_while_starting(signum: int, frame: object) -> None:
    sys.stderr.write("telar: interrupted\n")
    sys.stderr.flush()
    os._exit(130)


# Installed as this module is imported (only the command imports it), before anything else.
signal.signal(signal.SIGINT, _interrupted_while_starting)


def main() -> int:
    from telar.app.cli import main as cli_main

    try:
        return cli_main()
    except KeyboardInterrupt:  # in the instants between the command's end and this return
        sys.stderr.write("telar: interrupted\n")
        return 130
    finally:
        # The work is done and its output flushed. As Python shuts down it puts back the
        # default action for SIGINT, so a Ctrl-C in those last milliseconds would kill the
        # process by the signal (status -2) after a complete run; ignored, it exits as it
        # would have. (Python leaves an ignored signal ignored while it finalises.)
        signal.signal(signal.SIGINT, signal.SIG_IGN)

"""The ``telar`` command's entry point: Ctrl-C is a clean exit from the very first moment.

Python turns Ctrl-C into a ``KeyboardInterrupt`` wherever the program is, and one raised
while modules are still being imported (NumPy alone takes a tenth of a second) ends in a
traceback. So the command first installs a handler that exits at once with status 130 and
``telar: interrupted`` -- nothing has been written yet, so nothing can be lost -- and
:func:`telar.cli.main` puts the usual ``KeyboardInterrupt`` back before any work starts (the
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
    from telar.cli import main as cli_main

    return cli_main()

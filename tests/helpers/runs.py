"""A `telar train` run in a child process, and what two runs are compared by.

Used by the tests that kill a run and resume it: the resumed run must end with exactly the
weights (and, seconds aside, the metrics) of a run that was never interrupted.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from telar.io.model_file import load_model


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "telar", "train", "--no-progress", *args],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Wait until ``path`` exists; False if the process ended first."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            return path.exists()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.01)
    return True


def assert_same_model(a: Path, b: Path) -> None:
    first, second = load_model(a).arrays, load_model(b).arrays
    assert set(first) == set(second)
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def metrics_without_seconds(run: Path) -> list[str]:
    lines = (run / "metrics.csv").read_text().splitlines()
    return [",".join(line.split(",")[:-1]) for line in lines]  # seconds is the last column

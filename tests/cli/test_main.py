"""The `telar` command's contract: --version, --help, one-line errors with exit status 2."""

import subprocess
import sys

from telar import __version__


def run_telar(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "telar", *args],
                          capture_output=True, text=True, timeout=120)


def test_version_prints_the_package_version():
    result = run_telar("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"telar {__version__}"


def test_unknown_subcommand_is_one_line_error_with_status_2():
    result = run_telar("no-such-command")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("telar: error:")
    assert "no-such-command" in lines[0]
    assert "Traceback" not in result.stderr

"""The `telar` command's contract: --version, --help, one-line errors with exit status 2."""

import subprocess
import sys

import pytest
from helpers.bounded import assert_one_line_error
from helpers.fake_data import tiny_arrays, write_idx_set

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


def test_every_sub_command_prints_its_help():
    from telar.app.cli import SUBCOMMAND_MODULES

    for name in SUBCOMMAND_MODULES:
        result = run_telar(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert result.stdout.startswith("usage: telar " + name)


# --- full devices and control characters: still one line, status 2 -------------------------

def test_data_info_on_a_full_device_is_one_line_and_status_2(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = write_idx_set(tmp_path, tiny_arrays(20, 10, labels="cycled"))
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "telar", "data", "info", "--data",
                                 str(folder), "--no-download"], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    assert_one_line_error(result, "cannot write to standard output: No space left on device")


def test_an_error_naming_a_path_with_escape_codes_stays_one_line(tmp_path):
    evil = tmp_path / "x\n\x1b[31mfake: all good\x1b[0m"
    result = run_telar("data", "info", "--data", str(evil), "--no-download")
    assert_one_line_error(result, "x\\n\\x1b[31mfake")
    assert "\x1b" not in result.stderr


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.1, 0.15, 0.2, 0.3])
def test_ctrl_c_in_the_first_moments_is_one_line_and_status_130(tmp_path, monkeypatch, delay):
    # The delay counts from the moment telar's entry module is imported (`-X importtime`
    # reports it): before that Python itself is starting, which no program can change.
    import signal
    import time

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = write_idx_set(tmp_path, tiny_arrays(20, 10, labels="cycled"))
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "telar", "data",
                                "info", "--data", str(folder), "--no-download"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line.rstrip().endswith("| telar.app.command"):
            break
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, rest = process.communicate(timeout=60)
    err = "".join(line for line in [*lines, *rest.splitlines(keepends=True)]
                  if not line.startswith("import time:"))
    assert "Traceback" not in err, err
    if process.returncode != 0:  # it had not finished: interrupted, said so in one line
        assert process.returncode == 130 and err.strip() == "telar: interrupted", err


def test_ctrl_c_once_the_output_is_complete_exits_as_the_run_would_have(tmp_path, monkeypatch):
    # The signal lands while Python shuts down, after the last line is out. Python puts back
    # the default action for SIGINT as it finalises, which used to kill the finished command
    # by the signal (returncode -2) now and then.
    import signal

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = write_idx_set(tmp_path, tiny_arrays(20, 10, labels="cycled"))
    for _ in range(5):
        process = subprocess.Popen([sys.executable, "-m", "telar", "data", "info", "--data",
                                    str(folder), "--no-download"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ankle boot" in line:  # the table's last row: the command has printed all
                break
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=60)
        assert "Traceback" not in err, err
        assert process.returncode in (0, 130), (process.returncode, err)
        assert "Ankle boot" in "".join(lines)

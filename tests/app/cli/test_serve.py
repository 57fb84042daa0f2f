"""`telar serve`'s command line: its one-line errors, and the hint when Flask is missing."""

from __future__ import annotations

import sys

import pytest
from helpers.cli_error import one_line_error


def test_without_flask_serve_says_how_to_install_the_web_extra(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "flask", None)  # `import flask` now fails
    line = one_line_error(capsys, ["serve", "--runs", str(tmp_path)])
    assert "flask is not installed" in line and "pip install -e '.[web]'" in line


def test_without_waitress_serve_says_how_to_install_the_web_extra(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "waitress", None)
    assert "waitress is not installed" in one_line_error(capsys, ["serve", "--runs",
                                                                  str(tmp_path)])


@pytest.mark.parametrize("argv, words", [
    (["--runs", "no/such/runs"], "--runs no/such/runs: no such folder"),
    (["--port", "70000"], "--port: expected 1..65535, got 70000"),
    (["--port", "http"], "invalid int value: 'http'"),
    (["--threads", "0"], "--threads: expected an integer >= 1, got 0"),
])
def test_bad_serve_options_are_one_line_errors(capsys, tmp_path, monkeypatch, argv, words):
    pytest.importorskip("flask", reason="the web extra is not installed")
    pytest.importorskip("waitress", reason="the web extra is not installed")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    assert words in one_line_error(capsys, ["serve", *argv])


def test_a_port_in_use_is_a_one_line_error(capsys, tmp_path):
    import socket
    pytest.importorskip("flask", reason="the web extra is not installed")
    pytest.importorskip("waitress", reason="the web extra is not installed")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(capsys, ["serve", "--runs", str(tmp_path), "--port", str(port)])
    assert f"cannot listen on 127.0.0.1:{port}" in line

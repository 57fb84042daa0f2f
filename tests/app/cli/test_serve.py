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
    (["--threads", "0"], "--threads: expected an integer in [1, 64], got 0"),
    (["--threads", "100000"], "--threads: expected an integer in [1, 64], got 100000"),
    (["--host", "999.1.1.1"], "--host 999.1.1.1: not an address this machine can listen on"),
    (["--host", ""], "--host: expected an address or host name, got ''"),
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


# --- waitress held to the app's limits (issue 21) ---------------------------------------------

def test_an_oversized_upload_is_refused_at_the_door_before_its_body_is_stored(tmp_path):
    import socket

    pytest.importorskip("waitress", reason="the web extra is not installed")
    from helpers.live_server import telar_serve

    (tmp_path / "runs").mkdir()
    with telar_serve(tmp_path / "runs") as port, socket.create_connection(
            ("127.0.0.1", port), timeout=20) as conn:
        # 500 MB announced, 64 KiB sent: waitress used to store the body (up to 1 GB per
        # connection, in a temporary file) and answer only once all of it had arrived
        conn.sendall(b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: multipart/form-data; boundary=x\r\n"
                     b"Content-Length: 500000000\r\n\r\n" + b"x" * 65536)
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_hundred_and_ten_idle_connections_do_not_stop_the_server_answering(tmp_path):
    import contextlib
    import socket

    pytest.importorskip("waitress", reason="the web extra is not installed")
    from helpers.live_server import request, telar_serve

    (tmp_path / "runs").mkdir()
    with telar_serve(tmp_path / "runs") as port, contextlib.ExitStack() as idle:
        for _ in range(110):  # connected, never sending a byte
            idle.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        # waitress's default limit of 100 connections kept this waiting for its 120 s timeout
        status, body = request(port, "GET", "/healthz", timeout=15)
    assert status == 200 and b'"ok":true' in body.replace(b" ", b"")

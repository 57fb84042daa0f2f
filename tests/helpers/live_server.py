"""`telar serve` on 127.0.0.1 (a free port) in a child process, and a tiny HTTP client."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def telar_serve(runs: Path, *extra: str, timeout: float = 60, env: dict[str, str] | None = None,
                memory: int | None = None) -> Iterator[int]:
    """Run ``telar serve --runs RUNS`` (waitress) on 127.0.0.1 at a free port in a child
    process (with ``env`` added to its environment, its address space capped at ``memory``
    bytes); yield the port once it answers; stop that process after."""
    import os
    import resource

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    port = free_port()
    child = subprocess.Popen([sys.executable, "-m", "telar", "serve", "--runs", str(runs),
                              "--port", str(port), *extra],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env={**os.environ, **(env or {})}, preexec_fn=limit)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if request(port, "GET", "/healthz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if child.poll() is not None or time.monotonic() > deadline:
                out = child.stdout.read().decode(errors="replace") if child.stdout else ""
                raise AssertionError(f"telar serve did not start: {out}")
            time.sleep(0.1)
        yield port
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout:
            child.stdout.close()


def request(port: int, method: str, path: str, body: bytes = b"",
            headers: dict[str, str] | None = None, timeout: float = 30,
            follow: bool = False) -> tuple[int, bytes]:
    """Send ``path`` exactly as given (no normalisation of ``..`` or ``%2e``); with
    ``follow``, follow one redirect to a path on the same server."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            conn.putheader(key, value)
        conn.endheaders(body)
        response = conn.getresponse()
        status, body = response.status, response.read()
        location = response.getheader("Location", "")
    finally:
        conn.close()
    if follow and status in (301, 302, 303, 307, 308) and location:
        target = location.split("://", 1)[-1]
        target = target[target.index("/"):] if "://" in location else location
        return request(port, "GET", target, timeout=timeout)
    return status, body


def post_image(port: int, data: bytes, model: str, name: str = "photo.png") -> tuple[int, dict]:
    """POST ``data`` as a multipart form to /api/predict; ``(status, JSON answer)``."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n{model}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, answer = request(port, "POST", "/api/predict", body,
                             {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return status, json.loads(answer)

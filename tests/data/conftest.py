"""Fixtures for the data tests: an isolated environment and a local mirror on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.mirror import MirrorServer


@pytest.fixture(autouse=True)
def isolated_data_env(tmp_path_factory, monkeypatch) -> dict[str, Path]:
    """No test sees the user's cache, TELAR_DATA, the system data set or the internet."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    system = tmp_path_factory.mktemp("no-system-data")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("TELAR_SYSTEM_DATA", str(system))
    monkeypatch.delenv("TELAR_DATA", raising=False)
    # Port 9 (discard) on the loopback: any accidental download is refused at once.
    monkeypatch.setenv("TELAR_MIRROR", "http://127.0.0.1:9/")
    return {"cache": cache / "telar", "system": system}


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    server = MirrorServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

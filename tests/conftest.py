"""Shared fixtures: the real Fashion-MNIST arrays for tests marked ``realdata``, an environment
where no data set can be found or downloaded, and a local mirror to download from."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers.mirror import MirrorServer


@pytest.fixture(scope="session")
def real_data():
    """(train_x float32 (60000, 784), train_y, test_x, test_y); skips when the data is absent."""
    from telar.data import load_fashion_mnist, to_float
    from telar.errors import DataError

    try:
        data = load_fashion_mnist(download=False, progress=False)
    except DataError as exc:
        pytest.skip(f"the real Fashion-MNIST files are not available: {exc}")
    return (to_float(data.train_images), data.train_labels.astype(np.int64),
            to_float(data.test_images), data.test_labels.astype(np.int64))


@pytest.fixture
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
    """A local HTTP mirror on 127.0.0.1 (:class:`helpers.mirror.MirrorServer`)."""
    server = MirrorServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


#: Settings a test may change for the whole process (a CLI run in-process with --threads, a
#: Dask cluster's nannies writing thread counts into the environment, even from a module-scoped
#: fixture): put back after each test to what they were when the session started.
THREAD_ENVIRONMENT = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                      "MALLOC_TRIM_THRESHOLD_")
SESSION_ENVIRONMENT = {name: os.environ.get(name) for name in THREAD_ENVIRONMENT}


@pytest.fixture(autouse=True)
def restore_process_thread_settings() -> Iterator[None]:
    from telar.engine.cpu.threads import set_thread_budget, thread_budget_set

    budget = thread_budget_set()
    yield
    set_thread_budget(budget)
    for name, value in SESSION_ENVIRONMENT.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

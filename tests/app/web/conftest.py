"""Fixtures for the web app's tests: a runs folder with two small trained models."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from helpers.fake_data import write_shape_fmnist

pytest.importorskip("flask", reason="the web extra is not installed (pip install -e '.[web]')")


def train_shape_run(out: Path, data: Path, *extra: str) -> Path:
    """Train a small model on the shapes into ``out`` (about a second) and return ``out``."""
    from telar.app.cli import main

    old = sys.stdout
    sys.stdout = io.StringIO()  # the run's summary line is not the test's output
    try:
        assert main(["train", "--no-progress", "--data", str(data), "--out", str(out),
                     "--epochs", "3", "--hidden", "32", "--lr", "0.005", "--batch-size", "32",
                     *extra]) == 0
    finally:
        sys.stdout = old
    return out


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory):
    """``runs/seed`` (the hand-written network) and ``runs/nested/mlp`` (autograd modules),
    both trained on the shapes."""
    root = tmp_path_factory.mktemp("web")
    data = write_shape_fmnist(root / "shapes")
    runs = root / "runs"
    train_shape_run(runs / "seed", data)
    train_shape_run(runs / "nested" / "mlp", data, "--preset", "mlp", "--dropout", "0")
    return runs


@pytest.fixture(scope="session")
def app(runs_dir):
    from telar.app.web import create_app
    return create_app(runs_dir, max_bytes=200_000)


@pytest.fixture
def client(app):
    return app.test_client()

"""A run killed at any moment (kill -9 included) or stopped by Ctrl-C, then resumed, ends with
exactly the weights of a run that was never interrupted.

The runs are real `telar train` processes on a small synthetic IDX data set; the network has
every kind of state (batch-norm statistics, dropout, AdamW moments, a per-batch cosine
schedule, augmentation, early-stopping bookkeeping).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers.fake_data import write_synthetic_fmnist
from helpers.runs import assert_same_model, metrics_without_seconds, start, wait_for

from telar.app.cli import main

SRC = str(Path(__file__).resolve().parents[3] / "src")


def settings(data_dir: Path, epochs: int) -> list[str]:
    return ["--data", str(data_dir), "--preset", "mlp", "--hidden", "128,64",
            "--epochs", str(epochs), "--batch-size", "8", "--val-split", "0.2",
            "--early-stop", "50", "--warmup", "1", "--seed", "3", "--augment", "shift+flip"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_fmnist(tmp_path_factory.mktemp("fmnist"), n_train=400, n_test=100)


EPOCHS = 6


@pytest.fixture(scope="module")
def reference(data_dir, tmp_path_factory):
    """The same run, never interrupted."""
    root = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        argv = ["train", "--no-progress", *settings(data_dir, EPOCHS), "--out", str(root / "run")]
        assert main(argv) == 0
    return root / "run"


@pytest.fixture()
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return {**os.environ, "PYTHONPATH": SRC, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_runs_killed_with_sigkill_at_random_moments_resume_to_the_same_weights(
        tmp_path, data_dir, env, reference):
    epochs = EPOCHS
    run = tmp_path / "killed"
    rng = np.random.default_rng(2024)
    process = start([*settings(data_dir, epochs), "--out", str(run)], env)
    kills = 0
    for _round in range(2):  # kill the first run, then the resumed ones, at random moments
        if wait_for(run / "checkpoint.npz", process):
            time.sleep(rng.uniform(0.0, 0.6))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.communicate()
        process = start(["--resume", str(run)], env)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert kills >= 1
    assert_same_model(reference / "model.npz", run / "model.npz")
    assert metrics_without_seconds(reference) == metrics_without_seconds(run)


def test_ctrl_c_saves_a_checkpoint_says_how_to_resume_and_resumes_exactly(
        tmp_path, data_dir, env, reference):
    epochs = EPOCHS
    run = tmp_path / "interrupted"
    process = start([*settings(data_dir, epochs), "--out", str(run)], env)
    assert wait_for(run / "checkpoint.npz", process)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert f"Continue with: telar train --resume {run}" in err
    assert "Traceback" not in err
    assert not (run / "model.npz").exists()

    resumed = subprocess.run([sys.executable, "-m", "telar", "train", "--no-progress",
                              "--resume", str(run)], env=env, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stderr
    assert_same_model(reference / "model.npz", run / "model.npz")
    assert metrics_without_seconds(reference) == metrics_without_seconds(run)


def test_resuming_a_folder_without_a_checkpoint_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as info:
        main(["train", "--resume", str(tmp_path / "empty")])
    assert info.value.code == 2
    assert "no checkpoint.npz in it" in capsys.readouterr().err

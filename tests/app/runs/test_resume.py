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


def _edit(path, change):
    def edit(meta):
        state = meta["train_state"]
        change(meta, state)
    return edit


HAND_EDITS = {
    "history is text": lambda meta, s: s.update(history="oops"),
    "history holds numbers": lambda meta, s: s.update(history=[1, 2]),
    "a history row of text": lambda meta, s: s.update(history=[{"epoch": "x"}] * len(s["history"])),
    "train state is text": lambda meta, s: meta.update(train_state="x"),
    "loss sum is text": lambda meta, s: s.update(loss_sum="x"),
    "seconds is a list": lambda meta, s: s.update(seconds=[1]),
    "stopped is text": lambda meta, s: s.update(stopped="yes"),
    "stop reason is a number": lambda meta, s: s.update(stop_reason=5),
    "epochs is text": lambda meta, s: s.update(epochs="many"),
    "rng state is a number": lambda meta, s: s.update(rng_state=5),
    "the seed is text": lambda meta, s: meta.update(seed="x"),
    "learner state is a number": lambda meta, s: meta.update(learner_json=5),
    "callbacks are text": lambda meta, s: meta.update(callbacks="x"),
    "a callback's state is a list": lambda meta, s: meta.update(
        callbacks={k: [1] for k in meta["callbacks"]}),
    "an epoch count of 10**5000 digits": lambda meta, s: s.update(epoch=10**400),
}


@pytest.fixture(scope="module")
def finished_run(data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("edited")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        assert main(["train", "--no-progress", "--data", str(data_dir), "--epochs", "2",
                     "--hidden", "8", "--batch-size", "64", "--val-split", "0.2",
                     "--early-stop", "5", "--out", str(root / "run")]) == 0
    return root / "run"


@pytest.mark.parametrize("edit", sorted(HAND_EDITS))
def test_a_hand_edited_checkpoint_is_one_line_on_resume(finished_run, tmp_path, capsys, edit,
                                                       monkeypatch):
    import shutil

    from helpers.cli_error import one_line_error
    from helpers.model_files import edit_meta

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    edit_meta(run / "checkpoint.npz", lambda meta: HAND_EDITS[edit](meta, meta["train_state"]))
    one_line_error(capsys, ["train", "--no-progress", "--resume", str(run)],
                   "checkpoint.npz", progress_lines=True)

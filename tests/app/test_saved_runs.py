"""Model files and checkpoints saved by earlier versions load and score exactly as they did.

Two sets of fixtures: run folders written by telar 0.1.0 (fixtures/v1-runs) and by main just
before the engine became a package (fixtures/main-runs); each README says how they were made
and what they scored then.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.fake_data import write_synthetic_fmnist

FIXTURES = Path(__file__).parents[1] / "fixtures"
# What `telar evaluate RUN --data data --json` printed when each run was saved (READMEs).
SCORES = {
    "v1-runs/seed": (0.28, 1.7617793012543592),
    "v1-runs/mlp": (0.52, 1.5063260985917295),
    "main-runs/layers": (0.96, 0.3738003660013986),
    "main-runs/mlp": (0.56, 1.6165979862962556),
    "main-runs/report": (0.21, 1.9984700927490644),
}


def telar(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "telar", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.mark.parametrize("run", sorted(SCORES))
def test_a_saved_model_file_evaluates_to_the_scores_it_had(run: str, tmp_path: Path) -> None:
    write_synthetic_fmnist(tmp_path / "data", n_train=300, n_test=100)
    result = telar("evaluate", str(FIXTURES / run), "--data", "data", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    accuracy, loss = SCORES[run]
    assert scores["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    assert scores["loss"] == pytest.approx(loss, rel=1e-9)


@pytest.mark.parametrize("run", sorted(r for r in SCORES if r.startswith("main-runs")))
def test_a_saved_checkpoint_resumes_and_scores_as_its_model_file(run: str,
                                                                 tmp_path: Path) -> None:
    # The run had finished: resuming rebuilds the learner from the checkpoint alone (its
    # configuration, weights, optimiser state) and writes the results again, which must be
    # the results the run wrote when it was saved.
    write_synthetic_fmnist(tmp_path / "data", n_train=300, n_test=100)
    folder = tmp_path / "run"
    shutil.copytree(FIXTURES / run, folder)
    saved = json.loads((folder / "summary.json").read_text())
    (folder / "model.npz").unlink()
    (folder / "summary.json").unlink()
    result = telar("train", "--resume", "run", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["test_accuracy"] == saved["test_accuracy"]
    assert summary["test_loss"] == pytest.approx(saved["test_loss"], rel=1e-12)
    assert summary["epochs"] == saved["epochs"] == 8
    assert abs(summary["test_loss"] - SCORES[run][1]) < 1e-6  # the model file's, in float32

"""Model files saved before the consolidation still load and score exactly as they did."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from synthetic_fmnist import write_synthetic_fmnist

FIXTURES = Path(__file__).parent / "fixtures" / "v1-runs"
# What `telar evaluate RUN --data data --json` printed with telar 0.1.0 (fixtures/README.md).
OLD_SCORES = {"seed": (0.28, 1.7617793012543592), "mlp": (0.52, 1.5063260985917295)}


@pytest.mark.parametrize("run", sorted(OLD_SCORES))
def test_a_model_file_from_before_the_consolidation_evaluates_to_the_same_scores(
        run: str, tmp_path: Path) -> None:
    data = write_synthetic_fmnist(tmp_path / "data", n_train=300, n_test=100)
    result = subprocess.run([sys.executable, "-m", "telar", "evaluate", str(FIXTURES / run),
                             "--data", str(data), "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    accuracy, loss = OLD_SCORES[run]
    assert scores["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    assert scores["loss"] == pytest.approx(loss, rel=1e-6)

"""examples/sklearn_vs_mlpclassifier.py, on a small subset of the real Fashion-MNIST."""

from __future__ import annotations

import re

import pytest
from helpers.examples import run_example

pytestmark = pytest.mark.realdata


def test_both_estimators_learn_the_same_subset_and_the_table_gives_accuracy_and_time(
        tmp_path, monkeypatch, capsys, fashion):
    run_example("sklearn_vs_mlpclassifier.py", tmp_path, monkeypatch,
                argv=["--train-size", "1000", "--test-size", "300", "--hidden", "32",
                      "--max-iter", "4"])
    out = capsys.readouterr().out
    assert "1000 training images, 300 test images, hidden layers (32,), 4 epochs" in out
    rows = dict((m.group(1), float(m.group(2))) for m in
                re.finditer(r"^(telar TelarClassifier|scikit-learn MLPClassifier) +"
                            r"([0-9.]+) +[0-9.]+$", out, re.MULTILINE))
    assert set(rows) == {"telar TelarClassifier", "scikit-learn MLPClassifier"}, out
    # chance is 0.10; both nets learn the same easy classes in 20 Adam steps
    assert min(rows.values()) > 0.5, out
    assert abs(rows["telar TelarClassifier"] - rows["scikit-learn MLPClassifier"]) < 0.15, out

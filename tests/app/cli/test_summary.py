"""``telar summary``: each saved kind of network's layers, and totals equal to its weights."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from helpers.cli_error import one_line_error

from telar.app.cli import main
from telar.io.model_file import load_model

RUNS = Path(__file__).resolve().parents[2] / "fixtures" / "main-runs"


@pytest.mark.parametrize("run, first_rows", [
    ("report", ["dense1 (Linear)", "relu1 (ReLU)", "dense2 (Linear)"]),
    ("mlp", ["(Flatten)", "(Linear)"]),
    ("layers", ["(Unflatten)", "(Conv2d)"]),
])
def test_summary_lists_the_layers_and_totals_the_models_weights(capsys, run, first_rows):
    assert main(["summary", str(RUNS / run)]) == 0
    out = capsys.readouterr().out
    model = load_model(RUNS / run / "model.npz")
    weights = sum(int(np.prod(a.shape)) for name, a in model.arrays.items()
                  if not re.search(r"running_|num_batches", name))
    assert f"Total params: {weights:,}" in out
    rows = [line for line in out.splitlines() if re.match(r"\S+ \(\w+\) +\(None", line)]
    for expected, row in zip(first_rows, rows, strict=False):
        assert expected in row
    assert "(None, 10)" in rows[-1]  # the last layer gives the ten class scores
    assert f"classes: {len(model.class_names)} (T-shirt/top" in out


def test_summary_of_a_folder_without_a_model_is_one_line(capsys, tmp_path):
    one_line_error(capsys, ["summary", str(tmp_path)], "model.npz")

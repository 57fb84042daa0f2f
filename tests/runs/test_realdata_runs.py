"""The default `telar train` on the real Fashion-MNIST (skipped when the data is absent)."""

from __future__ import annotations

import json

import pytest

from telar.app.cli import main

pytestmark = pytest.mark.realdata


def test_one_epoch_of_the_seed_preset_learns_fashion_mnist(real_data, tmp_path, capsys):
    out = tmp_path / "run"  # real_data (conftest) skips the test when the data is absent
    assert main(["train", "--no-progress", "--epochs", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    # Chance is 0.10 and a majority-class guess 0.10; one epoch of the report's network with
    # Adam reaches about 0.83. A trainer that does not update, or shuffles labels away from
    # their images, stays near 0.10.
    assert summary["test_accuracy"] > 0.80
    assert summary["parameters"] == 784 * 64 + 64 + 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == summary["test_accuracy"]

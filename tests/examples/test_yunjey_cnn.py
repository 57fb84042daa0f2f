"""examples/yunjey_cnn.py, yunjey/pytorch-tutorial's convolutional network (batch norm, max
pooling) with only its imports changed, runs on telar, shortened, on Fashion-MNIST images."""

from __future__ import annotations

import re

from helpers.examples import run_example
from helpers.fake_data import first_arrays, write_torchvision_raw

import telar


def test_yunjey_cnn_runs_unchanged_and_learns_in_eval_mode(tmp_path, monkeypatch, capsys,
                                                           fashion):
    write_torchvision_raw(tmp_path / "data", "MNIST", first_arrays(fashion, 2000, 500))
    g = run_example("yunjey_cnn.py", tmp_path / "a" / "b", monkeypatch,
                    replace=("num_epochs = 5", "num_epochs = 1"))
    out = capsys.readouterr().out
    printed = float(re.search(r"Test Accuracy of the model on the 10000 test images: ([\d.]+) %",
                              out).group(1))
    assert printed > 40  # 20 Adam steps; chance is 10
    assert not g["model"].training  # the script's model.eval() for batch norm's statistics
    state = telar.load(tmp_path / "a" / "b" / "model.ckpt")
    assert state["layer1.1.running_mean"].shape == (16,) and state["fc.weight"].shape == (10, 1568)

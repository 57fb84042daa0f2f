"""examples/yunjey_logistic_regression.py, yunjey/pytorch-tutorial's logistic regression with
only its imports changed, runs on telar (one epoch on Fashion-MNIST images in MNIST's files)."""

from __future__ import annotations

import re

from helpers.examples import run_example
from helpers.fake_data import first_arrays, write_torchvision_raw

import telar


def test_yunjey_logistic_regression_runs_unchanged_and_learns(tmp_path, monkeypatch, capsys,
                                                              fashion):
    write_torchvision_raw(tmp_path / "data", "MNIST", first_arrays(fashion, 10000, 500),
                          gz=("train",))
    g = run_example("yunjey_logistic_regression.py", tmp_path / "a" / "b", monkeypatch,
                    replace=("num_epochs = 5", "num_epochs = 1"))
    out = capsys.readouterr().out
    losses = [float(v) for v in re.findall(r"Step \[100/100\], Loss: ([\d.]+)", out)]
    assert len(losses) == 1 and losses[0] < 2.30  # below chance's log(10) = 2.303
    # `100 * correct / total` with `correct` a 0-d float32 tensor: formatted as its value
    # (PyTorch's __format__), digits of float32 included
    match = re.search(r"test images: ([\d.]+) %", out)
    assert match, out[-300:]
    printed = float(match.group(1))
    assert printed > 30
    state = telar.load(tmp_path / "a" / "b" / "model.ckpt")
    assert state["weight"].shape == (10, 784) and g["total"] == 500

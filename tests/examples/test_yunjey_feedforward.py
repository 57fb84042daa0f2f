"""examples/yunjey_feedforward.py, yunjey/pytorch-tutorial's feed-forward network with only its
imports changed, runs on telar (one epoch, Fashion-MNIST images in MNIST's files) and reports
the accuracy its saved checkpoint really has."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers.examples import run_example
from helpers.fake_data import first_arrays, write_torchvision_raw

import telar


def test_yunjey_feedforward_network_runs_unchanged_and_reports_its_true_accuracy(
        tmp_path, monkeypatch, capsys, fashion):
    n_test = 1000
    write_torchvision_raw(tmp_path / "data", "MNIST", first_arrays(fashion, 10000, n_test))
    g = run_example("yunjey_feedforward.py", tmp_path / "a" / "b", monkeypatch,
                    replace=("num_epochs = 5", "num_epochs = 1"))
    out = capsys.readouterr().out
    assert "Epoch [1/1], Step [100/100], Loss: " in out
    printed = float(re.search(r"test images: ([\d.]+) %", out).group(1))
    model = g["NeuralNet"](784, 500, 10)
    model.load_state_dict(telar.load(tmp_path / "a" / "b" / "model.ckpt"))
    x = fashion.test_images[:n_test].reshape(n_test, -1).astype(np.float32) / 255
    accuracy = (model(telar.tensor(x)).numpy().argmax(1) == fashion.test_labels[:n_test]).mean()
    assert printed == pytest.approx(100 * accuracy) and printed > 70

"""examples/mnist_main.py, PyTorch's MNIST CNN example with only its imports changed, runs on
telar, shortened, on Fashion-MNIST images written as MNIST's files."""

from __future__ import annotations

import re

import pytest
from helpers.examples import run_example
from helpers.fake_data import first_arrays, write_torchvision_raw

import telar


@pytest.mark.skipif(not hasattr(telar.nn, "Conv2d"), reason="needs nn.Conv2d (convolutions)")
def test_pytorch_examples_mnist_cnn_runs_unchanged(tmp_path, monkeypatch, capsys, fashion):
    # Fashion-MNIST images stand in for MNIST's (same files, same layout). PyTorch 2.13 on
    # this same shortened run (100 SGD steps) scored 216-233 of 500 over seeds 1-3.
    write_torchvision_raw(tmp_path / "data", "MNIST", first_arrays(fashion, 6400, 500),
                          gz=("test",))
    run_example("mnist_main.py", tmp_path / "work", monkeypatch,
                argv=["--epochs", "1", "--test-batch-size", "250", "--log-interval", "20"])
    out = capsys.readouterr().out
    match = re.search(r"Accuracy: (\d+)/500 \((\d+)%\)", out)
    assert match and int(match.group(1)) > 150, out[-400:]

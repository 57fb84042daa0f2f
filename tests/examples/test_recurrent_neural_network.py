"""examples/recurrent_neural_network.py, yunjey/pytorch-tutorial's LSTM on image rows with only
its imports changed, runs on telar, shortened (one epoch of 3,200 images), on Fashion-MNIST
images written as MNIST's files, and prints the accuracy its saved model really has."""

from __future__ import annotations

import re

import numpy as np
from helpers.examples import run_example
from helpers.fake_data import first_arrays, write_torchvision_raw

import telar


def test_yunjey_lstm_on_image_rows_runs_unchanged_and_learns(tmp_path, monkeypatch, capsys,
                                                             fashion):
    n_train, n_test = 3200, 500
    write_torchvision_raw(tmp_path / "data", "MNIST", first_arrays(fashion, n_train, n_test),
                          gz=("test",))
    # The script reads '../../data/'; the one change is its epoch count (2 -> 1).
    g = run_example("recurrent_neural_network.py", tmp_path / "a" / "b", monkeypatch,
                    replace=("num_epochs = 2", "num_epochs = 1"))
    out = capsys.readouterr().out
    match = re.search(r"Test Accuracy of the model on the 10000 test images: ([\d.]+) %", out)
    assert match, out[-400:]
    printed = float(match.group(1))
    # The printed accuracy is the saved checkpoint's, recomputed here with NumPy.
    model = g["RNN"](28, 128, 2, 10)
    model.load_state_dict(telar.load(tmp_path / "a" / "b" / "model.ckpt"))
    model.eval()
    x = fashion.test_images[:n_test].astype(np.float32) / 255
    with telar.no_grad():
        logits = model(telar.tensor(x)).numpy()
    accuracy = 100 * float((logits.argmax(1) == fashion.test_labels[:n_test]).mean())
    assert abs(printed - accuracy) < 1e-9
    # Ten classes (chance: 10%); this shortened run printed 50.8-58.6 here (seed 0, 32 Adam
    # steps; the BLAS thread count changes float32 rounding, and so the run).
    assert printed > 35

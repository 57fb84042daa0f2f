"""examples/quickstart_tutorial.py, PyTorch's quickstart with only its imports changed, runs
on telar and reports its true accuracy.

It runs from a temporary folder holding a subset of the real Fashion-MNIST written as IDX files
where torchvision keeps them (``<root>/<Name>/raw``), so the script finds it through its own
``root`` argument.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers.examples import run_example
from helpers.fake_data import first_arrays, write_torchvision_raw

import telar


def test_pytorch_quickstart_runs_unchanged_and_reports_its_true_accuracy(tmp_path, monkeypatch,
                                                                         capsys, fashion):
    n_train, n_test = 1280, 500
    write_torchvision_raw(tmp_path / "data", "FashionMNIST",
                          first_arrays(fashion, n_train, n_test), gz=("test",))
    g = run_example("quickstart_tutorial.py", tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert "Shape of X [N, C, H, W]:  telar.Size([64, 1, 28, 28])" in out
    losses = [float(v) for v in re.findall(r"loss: (\d\.\d+)  \[    0/ 1280\]", out)]
    assert len(losses) == 5 and losses[-1] < losses[0]  # the same first batch, each epoch
    printed = [float(v) for v in re.findall(r"Accuracy: ([\d.]+)%", out)]
    # The tutorial's accuracy line, recomputed with NumPy from the saved model file:
    model = g["NeuralNetwork"]()
    model.load_state_dict(telar.load(tmp_path / "model.pth"))
    x = fashion.test_images[:n_test].astype(np.float32)[:, None] / 255
    logits = model(telar.tensor(x)).numpy()
    accuracy = float((logits.argmax(1) == fashion.test_labels[:n_test]).mean())
    assert printed[-1] == pytest.approx(100 * accuracy, abs=0.051) and printed[-1] > 0
    assert re.search(r'Predicted: "[\w /-]+", Actual: "Ankle boot"', out)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                 torch.nn.Linear(512, 512), torch.nn.ReLU(),
                                 torch.nn.Linear(512, 10), torch.nn.ReLU())
    state = telar.load(tmp_path / "model.pth")
    theirs.load_state_dict({k.replace("linear_relu_stack.", ""): torch.from_numpy(v)
                            for k, v in state.items()})
    y = fashion.test_labels[:n_test].astype(np.int64)
    ref = torch.nn.CrossEntropyLoss()(theirs(torch.from_numpy(x.reshape(n_test, -1))),
                                      torch.from_numpy(y)).item()
    ours = g["loss_fn"](model(telar.tensor(x)), telar.tensor(y)).item()
    assert ours == pytest.approx(ref, rel=1e-5)

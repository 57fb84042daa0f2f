"""examples/tensorqs_tutorial.py, PyTorch's tensors tutorial with only its import changed, runs
on telar: ``matmul``/``mul`` into ``out=``, method forms, in-place ``add_`` and the memory it
shares with NumPy, PyTorch's printed shapes and dtypes."""

from __future__ import annotations

import numpy as np
from helpers.examples import run_example


def test_pytorch_tensors_tutorial_runs_unchanged_and_computes_what_it_says(tmp_path, monkeypatch,
                                                                           capsys):
    g = run_example("tensorqs_tutorial.py", tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert "Shape of tensor: telar.Size([3, 4])" in out
    assert "Datatype of tensor: telar.float32" in out and "Device tensor is stored on: cpu" in out
    assert "12.0 <class 'float'>" in out  # agg.item() of a 4x4 of ones with a zeroed column
    ones_with_a_zero_column = np.ones((4, 4), np.float32)
    ones_with_a_zero_column[:, 1] = 0
    # "y1, y2, y3 will have the same value", "z1, z2, z3 will have the same value"
    for name in ("y1", "y2", "y3"):
        np.testing.assert_array_equal(g[name].numpy(),
                                      ones_with_a_zero_column @ ones_with_a_zero_column.T)
    for name in ("z1", "z2", "z3"):
        np.testing.assert_array_equal(g[name].numpy(), ones_with_a_zero_column)
    np.testing.assert_array_equal(g["tensor"].numpy(), ones_with_a_zero_column + 5)
    assert g["t1"].shape == (4, 12)
    # the bridge with NumPy: changes on either side show on the other
    assert "t: tensor([2., 2., 2., 2., 2.])\nn: [2. 2. 2. 2. 2.]" in out
    assert out.rstrip().endswith("t: tensor([2., 2., 2., 2., 2.], dtype=telar.float64)\n"
                                 "n: [2. 2. 2. 2. 2.]")

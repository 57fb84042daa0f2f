"""``telar export``: the command writes the file and says so; bad input is one line, exit 2,
nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.cli_error import one_line_error
from helpers.onnx_run import run, session

from telar.app.cli import main
from telar.io.safetensors import load_safetensors

RUNS = Path(__file__).resolve().parents[2] / "fixtures" / "main-runs"


def test_export_onnx_writes_a_graph_onnx_runtime_runs(tmp_path, capsys):
    out = tmp_path / "model.onnx"
    assert main(["export", str(RUNS / "layers"), "--format", "onnx", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out} (onnx)\n"
    probabilities, _ = run(session(out.read_bytes()), np.zeros((3, 28, 28), np.uint8))
    np.testing.assert_allclose(probabilities.sum(1), 1, rtol=1e-6)


def test_export_safetensors_then_overwrite(tmp_path):
    out = tmp_path / "w.safetensors"
    argv = ["export", str(RUNS / "mlp"), "--format", "safetensors", "--out", str(out)]
    assert main(argv) == 0
    first = out.read_bytes()
    assert main(["export", str(RUNS / "report"), "--format", "safetensors", "--out", str(out),
                 "--overwrite"]) == 0
    assert out.read_bytes() != first and "weight0" in load_safetensors(out)


def test_a_run_without_a_model_is_one_line_and_writes_nothing(tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(RUNS / "mlp", run_dir)
    (run_dir / "model.npz").unlink()
    one_line_error(capsys, ["export", str(run_dir), "--format", "onnx", "--out",
                            str(tmp_path / "m.onnx")], "no model.npz in this run folder")
    assert not (tmp_path / "m.onnx").exists()


def test_an_existing_output_without_overwrite_is_one_line_and_kept(tmp_path, capsys):
    out = tmp_path / "m.onnx"
    out.write_bytes(b"keep me")
    one_line_error(capsys, ["export", str(RUNS / "mlp"), "--format", "onnx", "--out", str(out)],
                   f"{out}: exists (use --overwrite to replace it)")
    assert out.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--format", "tflite", "--out", "x"], "argument --format: invalid choice: 'tflite'"),
    (["--format", "onnx"], "the following arguments are required: --out"),
])
def test_bad_options_are_one_line(capsys, argv, fragment):
    one_line_error(capsys, ["export", str(RUNS / "mlp"), *argv], fragment)

"""A run's model exported: the ONNX graph gives what ``telar predict`` gives, from raw images,
for each family of network a run trains (the fixture runs of tests/fixtures/main-runs: a
``--layers`` network with every kind of layer, the ``mlp`` preset's dense network with batch
norm and dropout, the report's network on the hand-written engine); safetensors keep the
weights and say what they are."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers.onnx_run import run, session

from telar.app.export import export_model
from telar.app.inference import load_predictor
from telar.errors import TelarError
from telar.io.model_file import load_model
from telar.io.safetensors import load_safetensors, load_safetensors_metadata

RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "main-runs"
FAMILIES = ("layers", "mlp", "report")


def onnx_vs_telar(run_dir: Path, out: Path, images: np.ndarray) -> tuple[np.ndarray, ...]:
    """(onnx probabilities, telar's, onnx logits, telar's) for ``images``."""
    export_model(run_dir, "onnx", out)
    predictor = load_predictor(run_dir)
    x = predictor.preprocess(images)
    probabilities, logits = run(session(out.read_bytes()), images)
    return probabilities, predictor.probabilities(x), logits, predictor.logits(x)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_onnx_graph_of_a_run_gives_telars_probabilities(tmp_path, family):
    images = np.random.default_rng(0).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    p, want_p, z, want_z = onnx_vs_telar(RUNS / family, tmp_path / "m.onnx", images)
    np.testing.assert_allclose(z, want_z, rtol=1e-5, atol=1e-4 if family == "layers" else 1e-5)
    np.testing.assert_allclose(p, want_p, rtol=1e-5, atol=1e-5)
    model = onnx.load(tmp_path / "m.onnx")
    meta = {prop.key: prop.value for prop in model.metadata_props}
    assert json.loads(meta["class_names"]) == list(load_model(RUNS / family / "model.npz")
                                                   .class_names)


@pytest.mark.realdata
@pytest.mark.slow  # 10,000 images through the conv net in telar: about 20 s
@pytest.mark.parametrize("family", FAMILIES)
def test_on_the_real_test_set_onnx_runtime_agrees_with_telar(tmp_path, real_data, family):
    """The whole test set (10,000 real images) through both; the figures of the report's
    parity table are the maxima printed here (pytest -s)."""
    images = np.rint(real_data[2] * 255).astype(np.uint8).reshape(-1, 28, 28)
    p, want_p, z, want_z = onnx_vs_telar(RUNS / family, tmp_path / "m.onnx", images)
    print(f"\n{family}: max |dp| {np.abs(p - want_p).max():.3g}, "
          f"max |dz| {np.abs(z - want_z).max():.3g}")
    np.testing.assert_allclose(z, want_z, rtol=1e-5, atol=1e-4 if family == "layers" else 1e-5)
    np.testing.assert_allclose(p, want_p, rtol=1e-5, atol=1e-5)
    assert (p.argmax(1) == want_p.argmax(1)).mean() == 1.0


@pytest.mark.parametrize("family", FAMILIES)
def test_safetensors_hold_the_model_files_arrays_and_what_they_are(tmp_path, family):
    out = export_model(RUNS / family, "safetensors", tmp_path / "w.safetensors")
    model = load_model(RUNS / family / "model.npz")
    got = load_safetensors(out)
    assert set(got) == set(model.arrays)
    for name, array in model.arrays.items():
        np.testing.assert_array_equal(got[name], array)
    meta = load_safetensors_metadata(out)
    assert json.loads(meta["architecture"]) == model.architecture
    assert json.loads(meta["class_names"]) == list(model.class_names)


def test_a_model_file_is_exported_as_well_as_a_run_folder(tmp_path):
    out = export_model(RUNS / "report" / "model.npz", "onnx", tmp_path / "m.onnx")
    assert run(session(out.read_bytes()), np.zeros((2, 28, 28), np.uint8))[0].shape == (2, 10)


@pytest.mark.parametrize(("setup", "fragment"), [
    ("no model", "no model.npz in this run folder"),
    ("exists", "exists (use --overwrite to replace it)"),
    ("missing", "no such run folder or model file"),
    ("out is a folder", "is a folder; give the file to write"),
    ("out is the model", "is the model file being exported"),
])
def test_bad_exports_are_refused_before_anything_is_written(tmp_path, setup, fragment):
    run_dir = tmp_path / "run"
    shutil.copytree(RUNS / "mlp", run_dir)
    out = tmp_path / "m.onnx"
    if setup == "no model":
        (run_dir / "model.npz").unlink()
    elif setup == "exists":
        out.write_bytes(b"keep me")
    elif setup == "missing":
        run_dir = tmp_path / "nowhere"
    elif setup == "out is a folder":
        out.mkdir()
    elif setup == "out is the model":
        out = run_dir / "model.npz"
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(TelarError) as info:
        export_model(run_dir, "onnx", out, overwrite=setup == "out is the model")
    assert fragment in str(info.value)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_overwrite_replaces_the_file(tmp_path):
    out = tmp_path / "w.safetensors"
    out.write_bytes(b"old")
    export_model(RUNS / "report", "safetensors", out, overwrite=True)
    assert set(load_safetensors(out)) == {f"{k}{l}" for k in ("weight", "bias") for l in range(3)}


def test_an_unknown_format_is_refused():
    with pytest.raises(TelarError, match="--format: expected one of onnx, safetensors"):
        export_model(RUNS / "report", "pickle", "x.pkl")

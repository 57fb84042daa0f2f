"""Loading a model for inference: memory bounded by the file's weights, the arrays checked
against the architecture before any is read; telar.load_predictor, any model file or run
folder ready to predict on uint8 images; and telar.load on a model file points to it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from helpers.bounded import run_bounded

import telar
from telar.app import architectures
from telar.app.inference import load_predictor
from telar.errors import ModelFileError
from telar.io.model_file import save_model

PRE = {"input_shape": [28, 28], "scale": 1 / 255, "dtype": "float32"}
WIDE = {
    "handwritten": {"kind": "handwritten", "sizes": [784, 2048, 2048, 10]},
    "mlp": {"kind": "mlp", "input_size": 784, "hidden": [2048, 2048], "classes": 10},
    "layers": {"kind": "layers", "input_shape": [784],
               "layers": "linear(2048) relu linear(2048) relu linear(10)"},
}

# The child loads a tiny model first (every import and first-call allocation done), then
# caps its address space at what it uses now plus FACTOR times the big file's weights.
CHILD = """
import resource, sys
from telar.app.inference import load_predictor
load_predictor(sys.argv[1])
vm = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
room = int(float(sys.argv[4]) * int(sys.argv[3]))
resource.setrlimit(resource.RLIMIT_AS, (vm + room, vm + room))
predictor = load_predictor(sys.argv[2])
print("loaded", len(predictor.class_names))
"""


def save(path, architecture):
    network = architectures.build(architecture)
    arrays = network.arrays() if architecture["kind"] == "handwritten" else network.state_dict()
    save_model(path, architecture=architecture, arrays=arrays,
               class_names=[str(i) for i in range(10)], preprocessing=PRE, sidecar=False)
    return sum(a.nbytes for a in arrays.values())


@pytest.mark.parametrize("kind", sorted(WIDE))
def test_loading_a_model_file_takes_under_three_times_its_weights(tmp_path, kind):
    small = {**WIDE[kind]}
    if kind == "handwritten":
        small["sizes"] = [784, 8, 10]
    elif kind == "mlp":
        small["hidden"] = [8]
    else:
        small["layers"] = "linear(8) relu linear(10)"
    save(tmp_path / "small.npz", small)
    weights = save(tmp_path / "big.npz", WIDE[kind])  # about 23 MB
    result = run_bounded([sys.executable, "-c", CHILD, str(tmp_path / "small.npz"),
                          str(tmp_path / "big.npz"), str(weights), "3"], memory=1 << 40)
    assert result.returncode == 0 and "loaded 10" in result.stdout, result.stderr[-800:]


def test_a_file_holding_other_arrays_than_its_architecture_is_refused_before_reading_them(
        tmp_path):
    # 100 MB of stored arrays for a network of 7,960 numbers: refused from the manifest alone.
    architecture = {"kind": "mlp", "input_size": 784, "hidden": [10], "classes": 10}
    arrays = dict(architectures.build(architecture).state_dict())
    arrays["spare"] = np.zeros(25_000_000, np.float32)
    save_model(tmp_path / "model.npz", architecture=architecture, arrays=arrays,
               class_names=[str(i) for i in range(10)], preprocessing=PRE, sidecar=False)
    code = ("import sys\nfrom telar.app.inference import load_predictor\n"
            "try:\n    load_predictor(sys.argv[1])\nexcept Exception as e:\n"
            "    print(type(e).__name__, e)\n")
    result = run_bounded([sys.executable, "-c", code, str(tmp_path / "model.npz")],
                         memory=600 << 20)  # the imports take ~450 MiB; the arrays 100 MB more
    assert result.stdout.startswith("ModelFileError"), (result.stdout, result.stderr[-800:])
    assert "declare 7,960 numbers, the file holds 25,007,960" in result.stdout


def test_a_loaded_predictor_keeps_one_copy_of_the_weights(tmp_path):
    save(tmp_path / "model.npz", WIDE["mlp"])
    predictor = load_predictor(tmp_path / "model.npz")
    assert predictor.model_file.arrays == {}  # the network holds them
    assert predictor.network.num_parameters() > 5_000_000


def test_a_model_file_over_the_size_budget_is_one_model_file_error(tmp_path):
    from helpers.model_files import edit_meta, write_good

    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["architecture"].update(hidden=[65536, 2000]))
    with pytest.raises(ModelFileError, match=r"model\.npz: architecture: [\d,]+ parameters"):
        load_predictor(path)


@pytest.mark.parametrize("kind", ["mlp", "layers", "handwritten"])
def test_a_hundred_mutated_model_files_each_load_or_raise_model_file_error(tmp_path, kind):
    from helpers.model_files import mutated_files

    small = {"mlp": {"kind": "mlp", "input_size": 784, "hidden": [8], "classes": 10,
                     "batch_norm": True},
             "layers": {"kind": "layers", "input_shape": [784],
                        "layers": "unflatten(1,28,28) conv(2,3) bn relu maxpool(2) flatten "
                                  "linear(10)"},
             "handwritten": {"kind": "handwritten", "sizes": [784, 5, 10]}}[kind]
    save(tmp_path / "good.npz", small)
    refused = 0
    for how, path in mutated_files(tmp_path / "good.npz", tmp_path, 100, seed=len(kind)):
        try:
            load_predictor(path)
        except ModelFileError as exc:  # never KeyError, TypeError, ValueError...
            assert "\n" not in str(exc), (how, exc)
            refused += 1
    assert refused > 80


RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "main-runs"


@pytest.mark.parametrize("run", ["report", "mlp", "layers"])
def test_a_loaded_predictor_names_each_images_class_batch_or_single(run):
    model = telar.load_predictor(RUNS / run)
    images = np.random.default_rng(0).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    probs = model.predict_proba(images)
    assert probs.shape == (6, 10) and np.allclose(probs.sum(axis=1), 1)
    expected = model.probabilities(model.preprocess(images)).argmax(axis=1)
    assert model.predict(images) == [model.class_names[i] for i in expected]
    assert model.predict(images[2]) == model.class_names[expected[2]]  # one image: one name
    assert np.allclose(model.predict_proba(images[2]), probs[2])
    same = telar.load_predictor(RUNS / run / "model.npz")  # the file itself, or its folder
    assert same.predict(images) == model.predict(images)


def test_telar_load_on_a_model_file_names_the_function_that_reads_it():
    with pytest.raises(ModelFileError, match=r"a trained model .*telar\.load_predictor\(path\)"):
        telar.load(RUNS / "mlp" / "model.npz")

"""``telar.onnx.export``: raw images in, probabilities out, for every family of network telar
trains; checked by ONNX's own checker and run by ONNX Runtime; bad input refused in one line
with nothing written."""

from __future__ import annotations

import io
import json

import numpy as np
import onnx
import pytest
from helpers.onnx_run import exported, run, session, telar_outputs

import telar
from telar import nn
from telar.engine.activations import softmax_array
from telar.errors import ConfigError
from telar.handwritten import HandwrittenNetwork
from telar.nn.layer_net import on_flat_rows
from telar.onnx import IR_VERSION, OPSET, export

NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot"]


def raw_images(n: int = 7, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def telar_probabilities(model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What ``telar predict`` computes: rows of pixels / 255, logits, softmax."""
    x = images.reshape(len(images), -1).astype(np.float32)
    x *= np.float32(1 / 255)
    logits = telar_outputs(model, x)
    return softmax_array(logits.astype(np.float64), axis=1), logits


def networks() -> dict[str, object]:
    """One network of each family a run trains, as the run builds it (flat 784-pixel rows)."""
    cnn = nn.LayerNet({"layers": on_flat_rows("conv(4,3,padding=1) bn relu maxpool(2) "
                                              "conv(6,3) bn leaky_relu avgpool(2) flatten "
                                              "linear(12) gelu dropout(0.2) linear(10)"),
                       "input_shape": [784], "seed": 2})
    dense = nn.DenseNet({"hidden": [32, 16], "batch_norm": True, "dropout": 0.3, "seed": 1})
    return {"layers": cnn, "dense": dense, "handwritten": HandwrittenNetwork(seed=3)}


@pytest.mark.parametrize("family", ["layers", "dense", "handwritten"])
def test_raw_images_go_in_and_telars_probabilities_come_out(family):
    model = networks()[family]
    images = raw_images()
    proto, sess = exported(model, images[:1], class_names=NAMES)
    probabilities, logits = run(sess, images)
    want_p, want_z = telar_probabilities(model, images)
    np.testing.assert_allclose(logits, want_z, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(probabilities, want_p, rtol=1e-5, atol=1e-5)
    assert sess.get_inputs()[0].name == "images" and sess.get_inputs()[0].type == "tensor(uint8)"
    assert [o.name for o in sess.get_outputs()] == ["probabilities", "logits"]
    meta = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(meta["class_names"]) == NAMES
    assert json.loads(meta["preprocessing"])["scale"] == pytest.approx(1 / 255)


def test_the_graph_passes_onnxs_full_check_with_the_opset_and_ir_version_it_says(tmp_path):
    export(networks()["layers"], raw_images(1), tmp_path / "m.onnx", class_names=NAMES)
    model = onnx.load(tmp_path / "m.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == IR_VERSION
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert not list(tmp_path.glob("*.part"))


def test_any_batch_size_runs_after_exporting_on_one_image():
    model = networks()["dense"]
    _, sess = exported(model, raw_images(1))
    for n in (1, 3, 50):
        assert run(sess, raw_images(n, seed=n))[0].shape == (n, 10)


def test_training_mode_is_restored_and_dropout_is_left_out():
    model = networks()["dense"]
    model.train()
    images = raw_images(20)
    _, sess = exported(model, images[:1])
    assert model.training
    first, second = run(sess, images)[1], run(sess, images)[1]
    np.testing.assert_array_equal(first, second)  # no random mask in the graph
    np.testing.assert_allclose(first, telar_probabilities(model, images)[1], rtol=1e-5,
                               atol=1e-5)


def test_a_float_example_gives_a_graph_of_the_networks_own_input_and_logits():
    model = nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Sequential(nn.Conv2d(1, 2, 3, rng=0),
                          nn.Identity(), nn.Flatten()), nn.Linear(72, 4, rng=1),
                          nn.Softmax(dim=1))
    x = np.random.default_rng(0).normal(size=(5, 64)).astype(np.float32)
    _, sess = exported(model, telar.tensor(x[:2]), input_names=["pixels"],
                       output_names=["scores"])
    assert [i.name for i in sess.get_inputs()] == ["pixels"]
    (scores,) = run(sess, x)
    np.testing.assert_allclose(scores, telar_outputs(model, x), rtol=1e-5, atol=1e-5)


def test_normalisation_in_the_preprocessing_is_applied_after_scaling():
    model = nn.DenseNet({"hidden": [8], "seed": 0})
    images = raw_images(4)
    _, sess = exported(model, images[:1], preprocessing={"scale": 1 / 255, "mean": 0.2860,
                                                         "std": 0.3530})
    x = (images.reshape(4, -1).astype(np.float32) * np.float32(1 / 255) - np.float32(0.2860)) \
        / np.float32(0.3530)
    np.testing.assert_allclose(run(sess, images)[1], telar_outputs(model, x), rtol=1e-5,
                               atol=1e-5)


class Doubler(nn.Module):
    def forward(self, x):
        return x * 2


@pytest.mark.parametrize(("model", "example", "fragment"), [
    (nn.Sequential(nn.Linear(4, 3, rng=0), Doubler()), np.ones((1, 4), np.float32),
     "test_exporter.Doubler) in ONNX; exportable: AdaptiveAvgPool2d, AvgPool2d"),
    (Doubler(), np.ones((1, 4), np.float32), "cannot express layer 'Doubler'"),
    ("not a network", np.ones((1, 4), np.float32), "cannot express the model (builtins.str)"),
    (nn.Sequential(nn.Flatten(0), nn.Linear(4, 3)), np.ones((1, 4), np.float32),
     "reshapes the batch dimension"),
    (nn.Linear(4, 3), np.ones((1, 5), np.float32), "the example input does not fit layer"),
    (nn.Linear(4, 3), np.ones(4, np.float32), "must be a batch (batch first)"),
    (nn.Linear(4, 3), np.ones((1, 4), np.int32), "must be uint8 images or floats, got int32"),
    (nn.DenseNet({"hidden": [3]}), np.ones((1, 27, 27), np.uint8),
     "images of shape (27, 27) cannot become the network's input (784,)"),
])
def test_what_cannot_be_exported_is_refused_in_one_line_and_nothing_is_written(
        tmp_path, model, example, fragment):
    target = tmp_path / "m.onnx"
    with pytest.raises(ConfigError) as info:
        export(model, example, target)
    assert fragment in str(info.value) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_class_names_must_match_the_outputs_and_names_must_be_distinct():
    with pytest.raises(ConfigError, match="3 class names for a network with 10 outputs"):
        export(networks()["handwritten"], raw_images(1), io.BytesIO(), class_names="abc")
    with pytest.raises(ConfigError, match="distinct output names"):
        export(networks()["handwritten"], raw_images(1), io.BytesIO(),
               output_names=["x", "x"])
    with pytest.raises(ConfigError, match="preprocessing.std: expected a finite positive"):
        export(networks()["handwritten"], raw_images(1), io.BytesIO(),
               preprocessing={"std": 0})


def test_a_network_that_ends_on_images_is_refused():
    with pytest.raises(ConfigError, match=r"outputs of shape \(2, 3\) per sample"):
        export(nn.Sequential(nn.ReLU()), np.ones((1, 2, 3), np.float32), io.BytesIO())


def test_the_exported_file_runs_from_disk(tmp_path):
    path = tmp_path / "sub" / "m.onnx"
    export(networks()["handwritten"], raw_images(1), path)
    assert run(session(path.read_bytes()), raw_images(2))[0].shape == (2, 10)

"""The architecture registry: each kind's description checked, its parameters counted before
any array exists (and equal to what the built network has), and a model file whose
architecture does not fit the rest of the file refused before anything is built."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.bounded import python_bounded
from helpers.model_files import edit_meta, write_good

from telar import nn
from telar.app import architectures
from telar.app.architectures import (
    ARCHITECTURES,
    MAX_PARAMETERS,
    build,
    check_batch,
    check_fits,
    describe,
    parameters,
    rebuild,
)
from telar.engine import Tensor
from telar.errors import ConfigError, ModelFileError
from telar.handwritten import HandwrittenNetwork
from telar.io.model_file import load_model, save_model

CONV = "conv(4,3,pad=1) bn relu maxpool(2) flatten linear(10,bias=false) dropout(0.2) linear(3)"
DESCRIPTIONS = {
    "handwritten": {"kind": "handwritten", "sizes": [16, 8, 4, 3], "seed": 1},
    "mlp": {"kind": "mlp", "input_size": 16, "hidden": [8, 5], "classes": 3,
            "batch_norm": True, "dropout": 0.1, "seed": 2},
    "layers": {"kind": "layers", "layers": nn.parse_layers(f"unflatten(1,4,4) {CONV}"),
               "input_shape": [16], "seed": 3},
}


def built_parameters(network) -> int:
    if isinstance(network, HandwrittenNetwork):
        return network.num_parameters
    return network.num_parameters()


@pytest.mark.parametrize("kind", sorted(DESCRIPTIONS))
def test_each_kind_declares_the_parameters_its_built_network_has(kind):
    description = DESCRIPTIONS[kind]
    declared = parameters(description)
    assert declared == built_parameters(build(description)) > 0
    assert set(ARCHITECTURES) == {"handwritten", "mlp", "layers"}


def test_the_counts_follow_the_formulas():
    assert parameters(DESCRIPTIONS["handwritten"]) == 16 * 8 + 8 + 8 * 4 + 4 + 4 * 3 + 3
    assert parameters(DESCRIPTIONS["mlp"]) == 16 * 8 + 2 * 8 + 8 * 5 + 2 * 5 + 5 * 3 + 3
    assert parameters(DESCRIPTIONS["layers"]) == 4 * 9 + 4 + 2 * 4 + 16 * 10 + 10 * 3 + 3


def test_the_old_kind_seed_is_the_handwritten_network():
    entry, description = describe({"kind": "seed", "sizes": [784, 8, 10]})
    assert entry is ARCHITECTURES["handwritten"] and description["sizes"] == [784, 8, 10]


def test_a_dense_description_builds_the_dense_net_of_its_spec():
    spec = {k: v for k, v in DESCRIPTIONS["mlp"].items() if k != "kind"}
    built, direct = build(DESCRIPTIONS["mlp"]), nn.DenseNet(spec)
    assert isinstance(built, nn.DenseNet) and built.architecture() == direct.architecture()
    for (key, a), (other, b) in zip(built.state_dict().items(), direct.state_dict().items(),
                                    strict=True):
        assert key == other and np.array_equal(a, b)


@pytest.mark.parametrize("architecture, message", [
    ({"kind": "other"}, "architecture.kind: expected one of handwritten, mlp, layers, "
                        "got 'other'"),
    ({"sizes": [4, 2]}, "architecture.kind: expected one of handwritten, mlp, layers, got None"),
    ({"kind": "handwritten", "sizes": [784]},
     "architecture.sizes: expected a list of 2 or more layer widths"),
    ({"kind": "handwritten"}, "architecture: needs 'sizes'"),
    ({"kind": "mlp", "dropout": 1.0},
     "architecture.dropout: expected a probability in [0, 1), got 1.0"),
    ({"kind": "mlp", "hiden": [3]}, "architecture: unknown key 'hiden'"),
    ({"kind": "layers", "layers": "flatten dropout(1.5)", "input_shape": [4]},
     "layer 2 'dropout(1.5)': p: expected a probability in [0, 1), got 1.5"),
    ({"kind": "layers", "layers": "conv(4,3) linear(3)", "input_shape": [1, 4, 4]},
     "layer 2 'linear(3)': linear needs flat features"),
])
def test_a_bad_description_is_one_line_naming_the_key(architecture, message):
    with pytest.raises(ConfigError) as info:
        describe(architecture)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


HUGE = {
    "handwritten": {"kind": "handwritten", "sizes": [16, 16_000_000, 16_000_000, 3]},
    "mlp": {"kind": "mlp", "input_size": 16, "hidden": [65536, 65536], "classes": 3},
    "layers": {"kind": "layers", "layers": "unflatten(1,4,4) conv(65536,3,pad=1) "
                                           "conv(65536,3,pad=1) flatten linear(3)",
               "input_shape": [16]},
}


@pytest.mark.parametrize("kind", sorted(HUGE))
def test_a_description_over_the_size_budget_is_refused_before_anything_is_built(kind):
    arrays = {"w": np.zeros(15, np.float32)}
    declared = parameters(HUGE[kind])
    assert declared > 10**9  # built, tens of gigabytes
    with pytest.raises(ConfigError, match=rf"^architecture: {declared:,} parameters .*; "
                                          rf"telar's limit is {MAX_PARAMETERS:,}"):
        check_fits(HUGE[kind], arrays, input_shape=[4, 4], classes=3)
    with pytest.raises(ConfigError, match="telar's limit"):
        build(HUGE[kind])


@pytest.mark.parametrize("kind", sorted(DESCRIPTIONS))
def test_a_file_must_hold_exactly_the_numbers_its_architecture_declares(kind):
    network = build(DESCRIPTIONS[kind])
    arrays = network.arrays() if kind == "handwritten" else network.state_dict()
    stored = sum(a.size for a in arrays.values())
    shapes = {name: a.shape for name, a in arrays.items()}
    check_fits(DESCRIPTIONS[kind], shapes, input_shape=None, classes=3)  # shapes alone do
    extra = {**arrays, "spare": np.zeros(7, np.float32)}
    with pytest.raises(ConfigError, match=rf"^architecture does not fit its weights: its layer "
                                          rf"shapes declare {stored:,} numbers, the file "
                                          rf"holds {stored + 7:,}$"):
        check_fits(DESCRIPTIONS[kind], extra, input_shape=None, classes=3)


def test_activations_per_image_and_per_batch_are_budgeted():
    wide = {"kind": "layers", "layers": "unflatten(1,28,28) conv(8192,3) flatten linear(3)",
            "input_shape": [784]}
    assert parameters(wide) < MAX_PARAMETERS  # few weights, but 8192 x 26 x 26 per image
    with pytest.raises(ConfigError, match="activation values through the network"):
        build(wide)
    small = {"kind": "mlp", "input_size": 784, "hidden": [1000], "classes": 3}
    check_batch(small, 128, "--batch-size")
    with pytest.raises(ConfigError, match=r"^--full-batch: 1,000,000 images at once"):
        check_batch(small, 1_000_000, "--full-batch")


def test_widths_that_differ_from_the_preprocessing_or_the_class_names_are_refused():
    arrays = build(DESCRIPTIONS["layers"]).state_dict()
    with pytest.raises(ConfigError, match=r"takes 16 inputs, the preprocessing makes 784 "
                                          r"\(28 x 28\)"):
        check_fits(DESCRIPTIONS["layers"], arrays, input_shape=[28, 28], classes=3)
    with pytest.raises(ConfigError, match="the architecture has 3 outputs for 10 class names"):
        check_fits(DESCRIPTIONS["layers"], arrays, input_shape=[4, 4], classes=10)
    check_fits(DESCRIPTIONS["layers"], arrays, input_shape=None, classes=3)


@pytest.mark.parametrize("kind", sorted(DESCRIPTIONS))
def test_rebuild_loads_the_arrays_and_scores_like_the_network_in_evaluation_mode(kind):
    original = build(DESCRIPTIONS[kind])
    arrays = original.arrays() if kind == "handwritten" else original.state_dict()
    network, logits = rebuild(DESCRIPTIONS[kind] | {"seed": 99}, arrays, input_shape=[4, 4],
                              classes=3)
    x = np.random.default_rng(0).random((5, 16)).astype(np.float32)
    if kind == "handwritten":
        expected = original.logits(x)
    else:
        original.eval()
        expected = original(Tensor(x)).array
    np.testing.assert_allclose(logits(x), expected, rtol=1e-6)
    assert not getattr(network, "training", False)


def test_a_hostile_layer_list_in_a_model_file_is_refused_before_anything_is_built(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, architecture=HUGE["layers"], arrays={"w": np.zeros(15, np.float32)},
               class_names=["a", "b", "c"], preprocessing={"input_shape": [4, 4]},
               sidecar=False)
    code = "import sys; from telar.app.inference import load_predictor; load_predictor(sys.argv[1])"
    result = python_bounded(code, str(path))  # built, 300 GB of weights; the child has 1 GiB
    assert "MemoryError" not in result.stderr, result.stderr[-500:]
    assert "ModelFileError" in result.stderr and str(path) in result.stderr
    assert "parameters (154.6 GB as float32); telar's limit is 100,000,000" in result.stderr, \
        result.stderr[-800:]


def test_the_registry_is_the_one_inference_and_runs_use():
    from telar.app import inference
    from telar.app.runs import build as runs_build

    assert inference.rebuild is architectures.rebuild
    assert runs_build.architectures is architectures


@pytest.mark.parametrize("kind", ["mlp", "layers"])
def test_a_built_network_describes_itself_as_the_kind_and_description_it_was_built_from(kind):
    network = build(DESCRIPTIONS[kind])
    assert network.architecture()["kind"] == kind
    assert describe(network.architecture()) == describe(DESCRIPTIONS[kind])


LOAD_PREDICTOR = ("import sys; from telar.app.inference import load_predictor; "
                  "load_predictor(sys.argv[1])")


def refused_by_the_architecture_registry(path, *fragments):
    """The architecture is the application's to check (telar.app.architectures), before it
    builds anything: load_predictor refuses the file, naming it, in one line."""
    from telar.app.inference import load_predictor

    load_model(path)  # the container itself is fine
    with pytest.raises(ModelFileError) as info:
        load_predictor(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_a_hundred_million_wide_layer_is_refused_before_anything_is_built(tmp_path):
    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["architecture"].update(hidden=[100_000_000]))
    refused_by_the_architecture_registry(
        path, "architecture.hidden: expected a list of layer widths, each an integer in "
              "[1, 65536], got [100000000]")


def test_layers_wider_than_the_file_holds_weights_for_are_refused_before_anything_is_built(
        tmp_path):
    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["architecture"].update(hidden=[65536, 65536]))
    # Built, this is 17 GB of weights: the child, capped at 1 GiB, shows nothing was.
    result = python_bounded(LOAD_PREDICTOR, str(path))
    assert "MemoryError" not in result.stderr, result.stderr[-500:]
    assert "ModelFileError" in result.stderr, result.stderr[-800:]
    assert "architecture: 4,295,557,123 parameters (17.2 GB as float32); telar's limit is " \
           "100,000,000" in result.stderr, result.stderr[-800:]


def test_an_architecture_whose_input_size_differs_from_the_input_shape_is_refused(tmp_path):
    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["architecture"].update(input_size=784))
    refused_by_the_architecture_registry(path, "takes 784 inputs, the preprocessing makes 4")

"""The layer grammar: text and TOML/JSON list forms, inferred sizes, canonical round trips,
one-line errors that point at the bad layer, and the built network's behaviour."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest

import telar
from telar import nn
from telar.errors import ConfigError
from telar.nn.spec import LAYERS, build_sequential, layers_to_text, normalise_layers, parse_layers

STANDARD = ("conv(32,3,pad=1) bn relu maxpool(2) conv(64,3,pad=1) bn relu maxpool(2) flatten "
            "linear(128) relu dropout(0.3) linear(10)")
IMAGE = (1, 28, 28)


def test_the_standard_cnn_parses_to_the_canonical_list():
    layers = parse_layers(STANDARD)
    assert layers[0] == {"layer": "conv", "out": 32, "kernel": 3, "padding": 1}
    assert layers[1:4] == [{"layer": "bn"}, {"layer": "relu"}, {"layer": "maxpool", "kernel": 2}]
    assert layers[-2:] == [{"layer": "dropout", "p": 0.3}, {"layer": "linear", "out": 10}]
    assert json.loads(json.dumps(layers)) == layers


def test_sizes_are_inferred_and_the_standard_cnns_flatten_gives_3136():
    model = build_sequential(STANDARD, IMAGE, seed=0)
    assert model.shapes[8] == (3136,)
    assert model[9].in_features == 3136 and model[4].in_channels == 32
    assert isinstance(model[1], nn.BatchNorm2d) and model[1].num_features == 32
    assert model.shapes[-1] == (10,)
    out = model(telar.tensor(np.zeros((2, *IMAGE), np.float32)))
    assert out.shape == (2, 10) and out.dtype == np.float32


def test_bn_picks_batchnorm1d_after_flatten_and_2d_on_images():
    model = build_sequential("conv(4,3) bn flatten linear(8) bn", (1, 6, 6))
    assert type(model[1]) is nn.BatchNorm2d and type(model[4]) is nn.BatchNorm1d


def test_the_toml_list_form_builds_the_same_network_as_the_text(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text("""
layers = [
  {layer = "conv", out = 32, kernel = 3, padding = 1}, "bn", "relu", "maxpool(2)",
  {layer = "conv2d", out_channels = 64, kernel_size = [3, 3], pad = 1}, {layer = "bn"}, "relu",
  {layer = "max_pool", kernel = 2}, "flatten", {layer = "dense", units = 128}, "relu",
  {layer = "dropout", p = 0.3}, "linear(10)",
]
""")
    layers = tomllib.loads(path.read_text())["layers"]
    assert normalise_layers(layers) == parse_layers(STANDARD)
    a, b = build_sequential(layers, IMAGE, seed=3), build_sequential(STANDARD, IMAGE, seed=3)
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert np.array_equal(p, q), name


def test_canonical_text_round_trips_and_leaves_defaults_out():
    text = ("conv2d(16, 5x3, stride=2, padding=same, dilation=1) leaky_relu(0.2) "
            "avgpool(3,1,1,count_include_pad=false) gap(2) dropout2d(0.1) flatten fc(10,bias=false)"
            " gelu(approximate=tanh) elu")
    with pytest.raises(ConfigError, match="stride 1"):  # 'same' needs stride 1
        build_sequential(text, (3, 16, 16))
    text = text.replace("stride=2, ", "")
    canonical = layers_to_text(text)
    assert canonical.startswith("conv(16,5x3,padding=same) leaky_relu(0.2) avgpool(3,1,1,false)")
    assert parse_layers(canonical) == parse_layers(text)
    model = build_sequential(canonical, (3, 16, 16))
    assert model.shapes[0] == (16, 16, 16) and model.shapes[3] == (16, 2, 2)
    assert model.shapes[-1] == (10,) and model[6].bias is None


def test_unflatten_lets_a_cnn_take_flat_784_pixel_rows():
    model = build_sequential("reshape(1,28,28) conv(4,3) gap flatten linear(10)", (784,))
    assert model.shapes[0] == IMAGE
    assert model(telar.tensor(np.ones((3, 784), np.float32))).shape == (3, 10)
    with pytest.raises(ConfigError, match=r"layer 1 'unflatten\(1,27,28\)': cannot reshape"):
        build_sequential("unflatten(1,27,28) flatten", (784,))


def test_the_same_seed_builds_the_same_weights_and_another_seed_others():
    a, b, c = (build_sequential(STANDARD, IMAGE, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a[0].weight.data, b[0].weight.data)
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)
    assert a[11].generator is a.generator
    assert build_sequential(STANDARD, IMAGE, dtype="float64")[0].weight.dtype == np.float64


def test_every_activation_of_the_registry_is_a_layer():
    for name in nn.ACTIVATIONS:
        assert name in LAYERS
        assert isinstance(build_sequential(name, (3,))[0], nn.ACTIVATIONS[name])


@pytest.mark.parametrize("text, message", [
    ("convv(32,3) relu",
     r"^layer 1 'convv\(32,3\)': unknown layer 'convv' \(did you mean conv\?\)$"),
    ("conv(8,3) relu maxpool(2) flatten maxpool(2)",
     r"^layer 5 'maxpool\(2\)': maxpool needs image input \(C, H, W\), got shape \(1352,\)"),
    ("conv(8,3) maxpool(30)", r"^layer 2 'maxpool\(30\)': kernel 30x30 does not fit the input "
                              r"26x26"),
    ("conv(8)", r"^layer 1 'conv\(8\)': conv needs 'kernel'"),
    ("conv(8,3,pda=1)", r"^layer 1 'conv\(8,3,pda=1\)': conv has no argument 'pda' "
                        r"\(did you mean pad\?\)"),
    ("conv(8,3,pad=1,padding=2)", r"argument 'padding' given twice"),
    ("conv(8,3) linear(10)", r"^layer 2 'linear\(10\)': linear needs flat features, got shape "
                             r"\(8, 26, 26\) \(add 'flatten' before it\)$"),
    ("flatten dropout(1.5)", r"^layer 2 'dropout\(1.5\)': p must be a probability in \[0, 1\)"),
    ("conv(0,3)", r"out must be a positive integer, got 0"),
    ("conv(2.5,3)", r"out must be a positive integer, got 2.5"),
    ("relu(3)", r"^layer 1 'relu\(3\)': relu takes no arguments$"),
    ("conv(8,3,init=glorot)", r"init must be one of"),
    ("conv(8,3,bias=yes)", r"bias must be true or false, got 'yes'"),
    ("conv(8,3,pad=1 relu", r"unbalanced or nested parentheses"),
    ("conv(8, 3) ; relu", r"cannot read the layer list at ';"),
    ("maxpool(3,padding=2)", r"^layer 1 'maxpool\(3,padding=2\)': MaxPool2d: padding \(2, 2\) "
                             r"must be at most half the kernel \(3, 3\)$"),
    ("", r"the layer list is empty"),
])
def test_bad_layer_strings_give_one_line_errors_naming_the_layer(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        build_sequential(text, IMAGE)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("layers, message", [
    ([{"out": 3}], r"^layer 1 .*needs a 'layer' key"),
    (["relu", 3], r"^layer 2 '3': each layer must be a table"),
    (["relu", "relu tanh"], r"^layer 2 'relu tanh': one layer per list item$"),
    ([{"layer": "conv", "out": 8, "kernel": [3, 3, 3]}], r"kernel must be one integer or two"),
    ([{"layer": "linear", "out": True}], r"out must be a positive integer, got True"),
])
def test_bad_list_items_give_one_line_errors(layers, message):
    with pytest.raises(ConfigError, match=message):
        build_sequential(layers, IMAGE)


def test_bad_input_shapes_and_dtypes_are_config_errors():
    with pytest.raises(ConfigError, match="input shape"):
        build_sequential("relu", (0, 28))
    with pytest.raises(ConfigError, match="dtype"):
        build_sequential("relu", (3,), dtype="int8")

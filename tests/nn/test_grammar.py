"""The layer grammar: text and TOML/JSON list forms, canonical round trips, and one-line
errors that point at the bad layer and say what its argument expected."""

from __future__ import annotations

import json
import tomllib

import pytest

from telar.errors import ConfigError
from telar.nn import build_sequential
from telar.nn.grammar import layers_to_text, normalise_layers, parse_layers

STANDARD = ("conv(32,3,pad=1) bn relu maxpool(2) conv(64,3,pad=1) bn relu maxpool(2) flatten "
            "linear(128) relu dropout(0.3) linear(10)")
IMAGE = (1, 28, 28)


def test_the_standard_cnn_parses_to_the_canonical_list():
    layers = parse_layers(STANDARD)
    assert layers[0] == {"layer": "conv", "out": 32, "kernel": 3, "padding": 1}
    assert layers[1:4] == [{"layer": "bn"}, {"layer": "relu"}, {"layer": "maxpool", "kernel": 2}]
    assert layers[-2:] == [{"layer": "dropout", "p": 0.3}, {"layer": "linear", "out": 10}]
    assert json.loads(json.dumps(layers)) == layers


def test_the_toml_list_form_gives_the_same_canonical_list_as_the_text(tmp_path):
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


def test_canonical_text_round_trips_and_leaves_defaults_out():
    text = ("conv2d(16, 5x3, padding=same, dilation=1) leaky_relu(0.2) "
            "avgpool(3,1,1,count_include_pad=false) gap(2) dropout2d(0.1) flatten fc(10,bias=false)"
            " gelu(approximate=tanh) elu")
    canonical = layers_to_text(text)
    assert canonical.startswith("conv(16,5x3,padding=same) leaky_relu(0.2) avgpool(3,1,1,false)")
    assert canonical.endswith("flatten linear(10,false) gelu(tanh) elu")
    assert parse_layers(canonical) == parse_layers(text)


@pytest.mark.parametrize("text, message", [
    ("convv(32,3) relu",
     r"^layer 1 'convv\(32,3\)': unknown layer 'convv' \(did you mean conv\?\)$"),
    ("conv(8)", r"^layer 1 'conv\(8\)': conv needs 'kernel'"),
    ("conv(8,3,pda=1)", r"^layer 1 'conv\(8,3,pda=1\)': conv has no argument 'pda' "
                        r"\(did you mean pad\?\)"),
    ("conv(8,3,pad=1,padding=2)", r"argument 'padding' given twice"),
    ("flatten dropout(1.5)",
     r"^layer 2 'dropout\(1.5\)': p: expected a probability in \[0, 1\), got 1.5$"),
    ("flatten dropout2d(1)",
     r"^layer 2 'dropout2d\(1\)': p: expected a probability in \[0, 1\), got 1$"),
    ("conv(0,3)", r"^layer 1 'conv\(0,3\)': out: expected an integer in \[1, 65536\], got 0$"),
    ("conv(2.5,3)", r"out: expected an integer in \[1, 65536\], got 2.5$"),
    ("linear(70000)", r"out: expected an integer in \[1, 65536\], got 70000$"),
    ("relu(3)", r"^layer 1 'relu\(3\)': relu takes no arguments$"),
    ("conv(8,3,init=glorot)", r"init: expected one of xavier_report, .*, got 'glorot'$"),
    ("conv(8,3,bias=yes)", r"bias: expected true or false, got 'yes'$"),
    ("conv(8,3,pad=-1)", r"padding: expected 'same' or an integer >= 0, or two of them"),
    ("bn(momentum=1)", r"momentum: expected a number in \[0, 1\), got 1$"),
    ("conv(8,3,pad=1 relu", r"unbalanced or nested parentheses"),
    ("conv(8, 3) ; relu", r"cannot read the layer list at ';"),
    ("", r"the layer list is empty"),
])
def test_bad_layer_strings_give_one_line_errors_naming_the_layer(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_layers(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("layers, message", [
    ([{"out": 3}], r"^layer 1 .*needs a 'layer' key"),
    (["relu", 3], r"^layer 2 '3': each layer must be a table"),
    (["relu", "relu tanh"], r"^layer 2 'relu tanh': one layer per list item$"),
    ([{"layer": "conv", "out": 8, "kernel": [3, 3, 3]}],
     r"kernel: expected an integer >= 1, or two of them \(HxW\), got \[3, 3, 3\]$"),
    ([{"layer": "linear", "out": True}], r"out: expected an integer in \[1, 65536\], got True"),
])
def test_bad_list_items_give_one_line_errors(layers, message):
    with pytest.raises(ConfigError, match=message):
        normalise_layers(layers)


def test_a_layer_list_is_checked_before_anything_is_built_too():
    with pytest.raises(ConfigError, match=r"^layer 2 'dropout\(1.5\)': p: expected"):
        build_sequential("flatten dropout(1.5)", IMAGE)

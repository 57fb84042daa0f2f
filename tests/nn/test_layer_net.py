"""LayerNet: a layer list planned (shapes and parameter counts, nothing allocated), then
built; inferred sizes, seeds, and one-line errors naming the layer whose shape does not fit."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import nn
from telar.errors import ConfigError
from telar.nn.layer_net import (
    build_sequential,
    count_parameters,
    infer_shapes,
    on_flat_rows,
    plan_layers,
)

STANDARD = ("conv(32,3,pad=1) bn relu maxpool(2) conv(64,3,pad=1) bn relu maxpool(2) flatten "
            "linear(128) relu dropout(0.3) linear(10)")
IMAGE = (1, 28, 28)


def test_sizes_are_inferred_and_the_standard_cnns_flatten_gives_3136():
    model = build_sequential(STANDARD, IMAGE, seed=0)
    assert model.shapes[8] == (3136,)
    assert model[9].in_features == 3136 and model[4].in_channels == 32
    assert isinstance(model[1], nn.BatchNorm2d) and model[1].num_features == 32
    assert model.shapes[-1] == (10,)
    out = model(telar.tensor(np.zeros((2, *IMAGE), np.float32)))
    assert out.shape == (2, 10) and out.dtype == np.float32


def test_the_plan_gives_the_built_networks_shapes_and_parameter_counts():
    text = ("conv(16,5x3,padding=same) bn leaky_relu(0.2) avgpool(3,1,1) gap(2) dropout2d(0.1) "
            "flatten linear(10,bias=false) bn(affine=false) gelu")
    model = build_sequential(text, (3, 16, 16))
    plans = plan_layers(text, (3, 16, 16))
    assert [p.shape for p in plans] == model.shapes == infer_shapes(text, (3, 16, 16))
    for plan, module in zip(plans, model, strict=True):
        assert plan.parameters == sum(p.array.size for p in module.parameters()), plan.source
    assert count_parameters(text, (3, 16, 16)) == model.num_parameters() == \
        16 * 3 * 5 * 3 + 16 + 2 * 16 + 16 * 2 * 2 * 10


def test_planning_a_huge_network_allocates_nothing():
    layers = "flatten linear(65536) linear(65536) linear(65536) linear(10)"
    assert count_parameters(layers, (784,)) == 784 * 65536 + 2 * 65536 ** 2 + 65536 * 10 + \
        3 * 65536 + 10  # 8.6e9 parameters: built, 34 GB


def test_bn_picks_batchnorm1d_after_flatten_and_2d_on_images():
    model = build_sequential("conv(4,3) bn flatten linear(8) bn", (1, 6, 6))
    assert type(model[1]) is nn.BatchNorm2d and type(model[4]) is nn.BatchNorm1d


def test_the_toml_list_form_builds_the_same_network_as_the_text():
    layers = [{"layer": "conv", "out": 8, "kernel": 3, "padding": 1}, "relu", "maxpool(2)",
              "flatten", {"layer": "dense", "units": 10}]
    a = build_sequential(layers, IMAGE, seed=3)
    b = build_sequential("conv(8,3,pad=1) relu maxpool(2) flatten linear(10)", IMAGE, seed=3)
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert np.array_equal(p, q), name


def test_unflatten_lets_a_cnn_take_flat_784_pixel_rows():
    model = build_sequential("reshape(1,28,28) conv(4,3) gap flatten linear(10)", (784,))
    assert model.shapes[0] == IMAGE
    assert model(telar.tensor(np.ones((3, 784), np.float32))).shape == (3, 10)
    with pytest.raises(ConfigError, match=r"layer 1 'unflatten\(1,27,28\)': cannot reshape"):
        build_sequential("unflatten(1,27,28) flatten", (784,))


def test_on_flat_rows_puts_an_unflatten_first_only_for_networks_that_start_on_images():
    assert on_flat_rows("conv(4,3) flatten linear(10)")[0] == \
        {"layer": "unflatten", "shape": [1, 28, 28]}
    assert on_flat_rows("linear(10)") == [{"layer": "linear", "out": 10}]
    with pytest.raises(ConfigError, match=r"^layer 2 'maxpool\(30\)'"):
        on_flat_rows("conv(8,3) maxpool(30)")


def test_the_same_seed_builds_the_same_weights_and_another_seed_others():
    a, b, c = (build_sequential(STANDARD, IMAGE, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a[0].weight.array, b[0].weight.array)
    assert not np.array_equal(a[0].weight.array, c[0].weight.array)
    assert a[11].generator is a.generator
    assert build_sequential(STANDARD, IMAGE, dtype="float64")[0].weight.dtype == np.float64


@pytest.mark.parametrize("text, message", [
    ("conv(8,3) relu maxpool(2) flatten maxpool(2)",
     r"^layer 5 'maxpool\(2\)': maxpool needs image input \(C, H, W\), got shape \(1352,\)"),
    ("conv(8,3) maxpool(30)", r"^layer 2 'maxpool\(30\)': kernel 30x30 does not fit the input "
                              r"26x26"),
    ("conv(8,3) linear(10)", r"^layer 2 'linear\(10\)': linear needs flat features, got shape "
                             r"\(8, 26, 26\) \(add 'flatten' before it\)$"),
    ("maxpool(3,padding=2)", r"^layer 1 'maxpool\(3,padding=2\)': MaxPool2d: padding \(2, 2\) "
                             r"must be at most half the kernel \(3, 3\)$"),
    ("conv(16,5,stride=2,padding=same)", r"^layer 1 .*padding=same needs stride 1"),
])
def test_layers_that_do_not_fit_their_input_give_one_line_errors_naming_the_layer(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        plan_layers(text, IMAGE)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match=message):
        build_sequential(text, IMAGE)


def test_bad_specs_input_shapes_and_dtypes_are_config_errors_naming_the_key():
    with pytest.raises(ConfigError, match=r"^spec.input_shape: expected a list of 1 to 4 "):
        build_sequential("relu", (0, 28))
    with pytest.raises(ConfigError, match=r"^spec.dtype: expected one of float32, float64, "
                                          r"got 'int8'$"):
        build_sequential("relu", (3,), dtype="int8")
    with pytest.raises(ConfigError, match=r"^spec.seed: expected an integer >= 0, got -1$"):
        build_sequential("relu", (3,), seed=-1)
    with pytest.raises(ConfigError, match=r"^spec: needs 'input_shape'$"):
        nn.LayerNet({"layers": "relu"})
    with pytest.raises(ConfigError, match=r"^spec: unknown key 'depth'"):
        nn.LayerNet({"layers": "relu", "input_shape": [3], "depth": 2})

"""The dense shorthand: a dense spec expands to a layer list, and the network it builds is bit
for bit the ``DenseNet`` of before (weights, state_dict keys, dropout masks).

``tests/fixtures/dense-net/before.npz`` holds :func:`record` of each spec in :data:`SPECS`, made
with ``nn.DenseNet`` at commit 606f194, before the dense network became a layer list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import telar
from telar import nn
from telar.errors import ConfigError

BEFORE = Path(__file__).parents[1] / "fixtures" / "dense-net" / "before.npz"

#: Specs covering every branch of the old builder: plain, batch norm + dropout, PyTorch's init
#: (which also draws biases), float64, one hidden layer, none at all.
SPECS: list[dict[str, Any]] = [
    {"input_size": 12, "hidden": [5, 4], "classes": 3, "seed": 3},
    {"input_size": 12, "hidden": [6, 5], "classes": 4, "batch_norm": True, "dropout": 0.3,
     "init": "he_normal", "activation": "gelu", "seed": 7},
    {"input_size": 10, "hidden": [7], "classes": 3, "dropout": 0.5, "init": "pytorch",
     "activation": "tanh", "dtype": "float64", "seed": 1},
    {"input_size": 9, "hidden": [], "classes": 2, "init": "xavier_uniform", "seed": 11},
    {"input_size": 12, "hidden": [8, 8, 8], "classes": 5, "dropout": 0.2, "seed": 0,
     "activation": "leaky_relu", "init": "he_uniform"},
]


def record(spec: dict[str, Any]) -> dict[str, np.ndarray]:
    """Everything of ``DenseNet(spec)`` that must not change: each state_dict array (by key),
    two training-mode outputs (BatchNorm's batch statistics and two dropout masks in a row),
    then one evaluation-mode output on a fixed input."""
    model = nn.DenseNet(spec)
    out = {f"state.{key}": np.array(value) for key, value in model.state_dict().items()}
    dtype = np.dtype(spec.get("dtype", "float32"))
    x = np.random.default_rng(100).random((6, spec["input_size"])).astype(dtype)
    model.train()
    with telar.no_grad():
        out["train0"] = model(telar.tensor(x)).array.copy()
        out["train1"] = model(telar.tensor(x)).array.copy()
        model.eval()
        out["eval"] = model(telar.tensor(x)).array.copy()
    return out


def save_records(path: Path) -> None:
    """Write :func:`record` of every spec of :data:`SPECS` (``spec<i>.<name>``) to ``path``."""
    arrays = {f"spec{i}.{name}": value for i, spec in enumerate(SPECS)
              for name, value in record(spec).items()}
    np.savez(path, **arrays)


@pytest.mark.parametrize("index", range(len(SPECS)))
def test_a_dense_spec_builds_the_weights_keys_and_dropout_masks_it_built_before(index):
    with np.load(BEFORE, allow_pickle=False) as saved:
        before = {k.split(".", 1)[1]: saved[k] for k in saved.files
                  if k.startswith(f"spec{index}.")}
    now = record(SPECS[index])
    assert list(now) == list(before)  # the same state_dict keys, in the same order
    for name, value in before.items():
        assert now[name].dtype == value.dtype, name
        np.testing.assert_array_equal(now[name], value, err_msg=name)


def test_a_dense_spec_expands_to_the_layer_list_it_stands_for():
    spec = {"input_size": 12, "hidden": [6, 5], "classes": 4, "batch_norm": True,
            "dropout": 0.3, "init": "he_normal", "activation": "gelu"}
    assert nn.dense_layers(spec) == [
        {"layer": "flatten"},
        {"layer": "linear", "out": 6, "bias": False, "init": "he_normal"}, {"layer": "bn"},
        {"layer": "gelu"}, {"layer": "dropout", "p": 0.3},
        {"layer": "linear", "out": 5, "bias": False, "init": "he_normal"}, {"layer": "bn"},
        {"layer": "gelu"}, {"layer": "dropout", "p": 0.3},
        {"layer": "linear", "out": 4, "init": "he_normal"},
    ]
    assert nn.dense_layers({"hidden": []}) == [
        {"layer": "flatten"}, {"layer": "linear", "out": 10, "init": "xavier_report"}]


def test_a_dense_net_is_the_layer_net_of_its_expansion_and_keeps_the_compact_spec():
    spec = SPECS[1]
    dense = nn.DenseNet(spec)
    layered = nn.LayerNet(nn.dense.layer_net_spec(spec))
    assert isinstance(dense, nn.LayerNet) and dense.layers == layered.layers
    for (key, a), (other, b) in zip(dense.state_dict().items(), layered.state_dict().items(),
                                    strict=True):
        assert key == other and np.array_equal(a, b)
    assert dense.architecture() == {"kind": "mlp", **nn.normalise_spec(spec)}
    assert dense.spec["dropout"] == 0.3 and dense.spec["seed"] == 7
    assert nn.build_mlp(spec).architecture() == dense.architecture()


def test_build_mlp_lays_out_the_layers_the_spec_names():
    model = nn.build_mlp({"hidden": [16, 8], "activation": "elu", "batch_norm": True,
                          "dropout": 0.1})
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Flatten", "Linear", "BatchNorm1d", "ELU", "Dropout",
                     "Linear", "BatchNorm1d", "ELU", "Dropout", "Linear"]
    assert model[1].bias is None  # BatchNorm's shift makes the bias redundant
    assert model.num_parameters() == 784 * 16 + 2 * 16 + 16 * 8 + 2 * 8 + 8 * 10 + 10


def test_report_network_from_the_default_spec_has_the_reports_size():
    model = nn.build_mlp({})
    assert model.num_parameters() == (784 * 64 + 64) + (64 * 32 + 32) + (32 * 16 + 16) + 170
    assert model.spec["hidden"] == [64, 32, 16] and model.spec["init"] == "xavier_report"


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (nn.build_mlp({"hidden": [5], "seed": s}) for s in (3, 3, 4))
    np.testing.assert_array_equal(a[1].weight.array, b[1].weight.array)
    assert not np.array_equal(a[1].weight.array, c[1].weight.array)


def test_a_model_rebuilds_from_its_json_spec_and_state_dict():
    import json

    model = nn.build_mlp({"hidden": [12], "activation": "gelu", "seed": 7})
    rebuilt = nn.build_mlp(json.loads(json.dumps(model.spec)) | {"seed": 99})
    rebuilt.load_state_dict(model.state_dict())
    x = telar.tensor(np.random.default_rng(0).random((3, 28, 28), dtype=np.float32))
    np.testing.assert_array_equal(model(x).array, rebuilt(x).array)
    assert model(x).shape == (3, 10)


@pytest.mark.parametrize("spec, message", [
    ({"activation": "swish"}, r"^spec.activation: expected one of relu, .*, got 'swish'$"),
    ({"hidden": [10, 0]}, r"^spec.hidden: expected a list of layer widths, each an integer in "
                          r"\[1, 65536\], got \[10, 0\]$"),
    ({"dropout": 1.0}, r"^spec.dropout: expected a probability in \[0, 1\), got 1.0$"),
    ({"hiden": [3]}, r"^spec: unknown key 'hiden'; known: input_size, hidden, classes"),
    ({"hidden": ["a"]}, r"^spec.hidden: expected a list of layer widths.*, got \['a'\]$"),
    ({"batch_norm": "yes"}, r"^spec.batch_norm: expected true or false, got 'yes'$"),
])
def test_bad_network_specs_are_config_errors_naming_the_value(spec, message):
    with pytest.raises(ConfigError, match=message):
        nn.build_mlp(spec)

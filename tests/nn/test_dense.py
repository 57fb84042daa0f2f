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
        out["train0"] = model(telar.tensor(x)).data.copy()
        out["train1"] = model(telar.tensor(x)).data.copy()
        model.eval()
        out["eval"] = model(telar.tensor(x)).data.copy()
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

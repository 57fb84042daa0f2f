"""Modules: registration, modes, state dicts, layers against PyTorch, init, build_mlp."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import nn
from telar.engine import functional as F
from telar.errors import ConfigError, ModelFileError


class TwoLayers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Linear(4, 3, rng=0)
        self.act = nn.Tanh()
        self.second = nn.Linear(3, 2, bias=False, rng=1)
        self.scale = nn.Parameter(np.ones(2, dtype=np.float32))

    def forward(self, x):
        return self.second(self.act(self.first(x))) * self.scale


def test_module_registers_parameters_and_submodules_in_order():
    model = TwoLayers()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "first.weight", "first.bias", "second.weight"]
    assert model.num_parameters() == 2 + 12 + 3 + 6


def test_gradients_reach_every_parameter_of_a_custom_module():
    model = TwoLayers().to_dtype(np.float64)
    x = telar.tensor(np.random.default_rng(0).normal(size=(5, 4)))
    names, params = zip(*model.named_parameters(), strict=True)
    report = telar.gradcheck(lambda: F.cross_entropy(model(x), np.array([0, 1, 1, 0, 1])), [],
                             wrt=params, names=names)
    assert report, report.table()


def test_train_and_eval_switch_every_submodule():
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_dropout_is_identity_in_eval_mode_and_random_in_training():
    layer = nn.Dropout(0.5, rng=0)
    x = telar.tensor(np.ones((4, 100), dtype=np.float32))
    assert (layer(x).data == 0).any()
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x.data)


def test_state_dict_round_trip_restores_outputs_including_running_statistics():
    spec = {"hidden": [8], "input_size": 6, "batch_norm": True, "seed": 1}
    a, b = nn.build_mlp(spec), nn.build_mlp({**spec, "seed": 2})
    x = telar.tensor(np.random.default_rng(0).normal(size=(10, 6)).astype(np.float32))
    a(x)  # moves the running statistics
    a.eval()
    b.load_state_dict(a.state_dict())
    b.eval()
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert "2.running_mean" in a.state_dict()


def test_state_dict_holds_copies_not_views_of_the_parameters():
    model = nn.Linear(2, 2, rng=0)
    state = model.state_dict()
    state["weight"][...] = 99.0
    assert not (model.weight.data == 99.0).any()


def test_load_state_dict_names_missing_unexpected_and_misshapen_keys():
    model = nn.build_mlp({"hidden": [4], "input_size": 3})
    state = model.state_dict()
    state["3.weight"] = np.zeros((10, 5), dtype=np.float32)
    del state["1.bias"]
    state["extra"] = np.zeros(1)
    with pytest.raises(ModelFileError) as err:
        model.load_state_dict(state)
    message = str(err.value)
    assert "missing keys ['1.bias']" in message and "unexpected keys ['extra']" in message
    assert "'3.weight' has shape (10, 5)" in message and "(10, 4)" in message


def test_load_state_dict_keeps_parameter_identity_for_the_optimiser():
    model = nn.Linear(3, 2, rng=0)
    weight = model.weight
    model.load_state_dict({"weight": np.full((2, 3), 0.5), "bias": np.zeros(2)})
    assert model.weight is weight and weight.dtype == np.float32
    np.testing.assert_array_equal(weight.data, np.full((2, 3), 0.5))


@pytest.mark.parametrize("name, variance", [
    ("xavier_report", 2 / (300 + 200)), ("xavier_uniform", 2 / (300 + 200)),
    ("he_normal", 2 / 300), ("he_uniform", 2 / 300), ("pytorch", 1 / (3 * 300)),
])
def test_initialisers_have_the_variance_their_formula_gives(name, variance):
    w = nn.Linear(300, 200, init=name, rng=0).weight.data
    assert abs(w.mean()) < 0.01 * np.sqrt(variance) * 10
    assert w.var() == pytest.approx(variance, rel=0.03)
    if "uniform" in name or name == "pytorch":
        assert np.abs(w).max() <= np.sqrt(3 * variance) + 1e-6


def test_report_xavier_is_the_reports_formula_on_the_same_generator():
    rng = np.random.default_rng(5)
    expected = rng.standard_normal((64, 784)) * np.sqrt(2 / (784 + 64))
    w = nn.Linear(784, 64, init="xavier_report", rng=np.random.default_rng(5)).weight.data
    np.testing.assert_allclose(w, expected.astype(np.float32))


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (nn.build_mlp({"hidden": [5], "seed": s}) for s in (3, 3, 4))
    np.testing.assert_array_equal(a[1].weight.data, b[1].weight.data)
    assert not np.array_equal(a[1].weight.data, c[1].weight.data)


def test_unknown_initialiser_is_a_config_error_naming_the_choices():
    with pytest.raises(ConfigError, match="unknown initialiser 'glorot'.*he_normal"):
        nn.Linear(2, 2, init="glorot")


def test_batchnorm_matches_pytorch_in_training_and_evaluation():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours, theirs = nn.BatchNorm1d(4, dtype=np.float64), torch.nn.BatchNorm1d(4).double()
    ours.weight.data[...] = theirs.weight.data.numpy()[...] = rng.uniform(0.5, 2, 4)
    for _ in range(3):
        x = rng.normal(2, 3, size=(6, 4))
        np.testing.assert_allclose(ours(telar.tensor(x)).data,
                                   theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(ours(telar.tensor(x)).data,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)


def test_linear_matches_pytorch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(5, 3, rng=0, dtype=np.float64)
    theirs = torch.nn.Linear(5, 3).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(4, 5))
    np.testing.assert_allclose(ours(telar.tensor(x)).data,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


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


def test_a_model_rebuilds_from_its_json_spec_and_state_dict():
    import json

    model = nn.build_mlp({"hidden": [12], "activation": "gelu", "seed": 7})
    rebuilt = nn.build_mlp(json.loads(json.dumps(model.spec)) | {"seed": 99})
    rebuilt.load_state_dict(model.state_dict())
    x = telar.tensor(np.random.default_rng(0).random((3, 28, 28), dtype=np.float32))
    np.testing.assert_array_equal(model(x).data, rebuilt(x).data)
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


def test_dropout_refuses_a_probability_it_cannot_train_with_naming_the_layer():
    for cls in (nn.Dropout, nn.Dropout2d):
        with pytest.raises(ConfigError, match=rf"^{cls.__name__} p: expected a probability in "
                                              r"\[0, 1\), got 1$"):
            cls(1)
    assert nn.Dropout(0).p == 0.0 and type(nn.Dropout(0).p) is float

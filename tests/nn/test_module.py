"""Module: parameters and submodules registered in order, traversal and apply, modes, and
state dicts that round-trip and name what does not fit."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import nn
from telar.engine import functional as F
from telar.errors import ModelFileError


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


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        self.head = nn.Linear(3, 2)
        self.register_buffer("scale", telar.tensor([2.0]))

    def forward(self, x, *, double=False):
        out = self.head(self.body(x)) * self.scale
        return out * 2 if double else out


def test_module_traversal_apply_buffers_and_keyword_arguments_in_forward():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert not isinstance(net.parameters(), list) and len(list(net.parameters())) == 4
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Sequential", "Linear", "ReLU",
                                                         "Linear"]
    assert [type(m).__name__ for m in net.children()] == ["Sequential", "Linear"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "head"]
    assert "scale" in net.state_dict() and list(net.buffers())[0].tolist() == [2.0]
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Sequential", "Linear", "Net"]
    x = telar.ones(1, 4)
    np.testing.assert_allclose(net(x, double=True).data, 2 * net(x).data)
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.to("cpu") is net and net.load_state_dict(net.state_dict()).missing_keys == []


def test_load_state_dict_without_strict_returns_unexpected_keys_as_pytorch_does():
    model = nn.build_mlp({"hidden": [4], "input_size": 3, "batch_norm": True})
    state = model.state_dict()
    state["2.num_batches_tracked"] = np.array(7)  # what a PyTorch BatchNorm1d adds
    state["1.weight"] = np.full((4, 3), 0.5, np.float32)
    result = model.load_state_dict(state, strict=False)
    assert result.unexpected_keys == ["2.num_batches_tracked"] and result.missing_keys == []
    np.testing.assert_array_equal(model.state_dict()["1.weight"], 0.5)
    with pytest.raises(ModelFileError, match="unexpected keys"):
        model.load_state_dict(state)

"""model.summary(): traced output shapes equal the shapes the layer planner predicts, the
parameter counts add up to the network's, and tracing leaves the module as it was."""

from __future__ import annotations

import numpy as np
import pytest

from telar import nn
from telar.nn.layer_net import build_sequential, count_parameters, infer_shapes, on_flat_rows
from telar.nn.summary import trace_layers

CNN = ("conv(8,3,padding=1) bn relu maxpool(2) conv(16,3) relu maxpool(2) flatten "
       "linear(32) relu dropout(0.2) linear(10)")


def test_a_layer_lists_rows_have_the_planned_shapes_and_parameter_counts():
    layers = on_flat_rows(CNN)
    net = build_sequential(layers, (784,))
    rows = trace_layers(net, input_size=(784,))
    assert [r.output_shape for r in rows] == infer_shapes(layers, (784,))
    assert [r.kind for r in rows][:5] == ["Unflatten", "Conv2d", "BatchNorm2d", "ReLU",
                                          "MaxPool2d"]
    assert sum(r.parameters for r in rows) == count_parameters(layers, (784,)) \
        == net.num_parameters()
    assert rows[1].parameters == 8 * 1 * 9 + 8


def test_tracing_restores_the_modules_mode_forward_and_fused_order():
    net = build_sequential(on_flat_rows(CNN), (784,))
    order = list(net._order)
    net.train()
    trace_layers(net, input_size=(784,))
    assert net.training and all(m.training for m in net.modules())
    assert all("forward" not in m.__dict__ for m in net.modules())
    assert [type(m) for m in net._order] == [type(m) for m in order]  # still fused


class TwoBranch(nn.Module):
    """A user module whose forward calls its children itself (not a Sequential)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 4)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 3, bias=False)
        self.scale = nn.Parameter(np.ones(3, np.float32), requires_grad=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_a_user_modules_children_are_traced_in_call_order_with_its_own_parameters():
    rows = trace_layers(TwoBranch(), input_size=(6,))
    assert [(r.name, r.kind, r.output_shape, r.parameters) for r in rows] == [
        ("fc1", "Linear", (4,), 28), ("act", "Tanh", (4,), 0), ("fc2", "Linear", (3,), 12),
        ("(model)", "TwoBranch", (3,), 3)]
    assert rows[-1].trainable == 0


def test_summary_prints_keras_table_and_totals(capsys):
    TwoBranch().summary((6,))
    out = capsys.readouterr().out
    assert 'Model: "TwoBranch"' in out and "Layer (type)" in out and "Param #" in out
    assert "fc1 (Linear)" in out and "(None, 4)" in out
    assert "Total params: 43" in out and "Trainable params: 40" in out
    assert "Non-trainable params: 3" in out


def test_summary_without_an_input_size_says_what_it_needs():
    with pytest.raises(TypeError, match="needs input_size"):
        TwoBranch().summary()

"""The network and optimiser TelarClassifier trains: MLPClassifier's layers, images from flat
rows, and alpha as weight decay on the weights only."""

from __future__ import annotations

import numpy as np
import pytest

from telar.errors import ConfigError
from telar.sklearn.network import (
    build_network,
    build_optimizer,
    image_shape,
    mlp_layers,
    network_spec,
)


def test_mlp_layers_put_an_activation_after_each_hidden_layer_and_none_for_identity():
    assert [layer["layer"] for layer in mlp_layers([8, 4], "logistic", 3)] == \
        ["linear", "sigmoid", "linear", "sigmoid", "linear"]
    assert [layer["layer"] for layer in mlp_layers([8], "identity", 2)] == ["linear", "linear"]
    assert mlp_layers([], "relu", 5)[-1]["out"] == 5


def test_a_square_width_becomes_one_channel_images_and_other_widths_need_input_shape():
    assert image_shape(784, None) == (1, 28, 28)
    assert image_shape(48, (3, 4, 4)) == (3, 4, 4)
    with pytest.raises(ConfigError, match="not a square number"):
        image_shape(50, None)
    with pytest.raises(ConfigError, match="expected 50 values per sample"):
        image_shape(50, (1, 7, 7))
    spec = network_spec(layers="conv(2,3) flatten linear(4)", hidden=[], activation="relu",
                        n_features=64, n_classes=4, input_shape=None, seed=0)
    assert spec["layers"][0] == {"layer": "unflatten", "shape": [1, 8, 8]}
    assert spec["input_shape"] == [64]


def test_alpha_is_weight_decay_alpha_over_batch_size_on_the_weights_and_not_the_biases():
    spec = network_spec(layers=None, hidden=[5], activation="relu", n_features=3, n_classes=2,
                        input_shape=None, seed=0)
    model = build_network(spec)
    optimizer = build_optimizer(model, solver="sgd", learning_rate=0.1, alpha=0.5, batch_size=10,
                                momentum=0.0, nesterov=True, betas=(0.9, 0.999), epsilon=1e-8)
    weights, biases = optimizer.param_groups
    assert weights["weight_decay"] == 0.05 and biases["weight_decay"] == 0.0
    assert all(p.ndim == 2 for p in weights["params"]) and all(p.ndim == 1
                                                               for p in biases["params"])
    # one step with a zero gradient: only the decay moves the weights, w -= lr * alpha/B * w
    w = weights["params"][0]
    before, bias = w.data.copy(), biases["params"][0].data.copy()
    for p in model.parameters():
        p.grad = np.zeros_like(p.data)
    optimizer.step()
    np.testing.assert_allclose(w.data, before * (1 - 0.1 * 0.05), rtol=1e-6)
    np.testing.assert_array_equal(biases["params"][0].data, bias)

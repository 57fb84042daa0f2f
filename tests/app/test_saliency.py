"""Saliency maps: d logit_c / d input, by autodiff and by the hand-written chain rule."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from telar.app.saliency import (
    dense_relu_input_gradient,
    input_gradient,
    module_input_gradient,
    saliency_png,
    save_saliency_png,
)
from telar.errors import TelarError
from telar.nn import BatchNorm1d, Dropout, Linear, ReLU, Sequential, Tanh


def random_layers(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(0, 1 / np.sqrt(a), (a, b)), rng.normal(0, 0.1, b))
            for a, b in zip(sizes[:-1], sizes[1:], strict=True)]


def as_module(layers) -> Sequential:
    """The same network in telar.nn: Linear keeps W as (out, in), so it gets W.T."""
    modules = []
    for l, (w, b) in enumerate(layers):
        linear = Linear(w.shape[0], w.shape[1], dtype=np.float64)
        linear.weight.data[...] = w.T
        linear.bias.data[...] = b
        modules.append(linear)
        if l < len(layers) - 1:
            modules.append(ReLU())
    return Sequential(*modules)


def dense_logits(layers, x):
    a = x
    for l, (w, b) in enumerate(layers):
        a = a @ w + b
        if l < len(layers) - 1:
            a = np.maximum(a, 0)
    return a


def central_differences(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = eps
        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def test_a_linear_models_saliency_is_the_weight_row_of_its_class():
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(784, 10)), rng.normal(size=10)
    x = rng.random((5, 784))
    grad, logits = dense_relu_input_gradient([(w, b)], x)
    predicted = (x @ w + b).argmax(axis=1)
    np.testing.assert_allclose(logits, x @ w + b)
    np.testing.assert_allclose(grad, w[:, predicted].T)
    chosen = [3, 3, 0, 9, 1]
    grad, _ = module_input_gradient(as_module([(w, b)]), x, chosen)
    np.testing.assert_allclose(grad, w[:, chosen].T, rtol=1e-12)


def test_the_hand_written_gradient_equals_the_autodiff_engines_on_the_same_weights():
    layers = random_layers([784, 64, 32, 16, 10])
    x = np.random.default_rng(2).random((8, 784))
    classes = np.arange(8) % 10
    by_hand, logits = dense_relu_input_gradient(layers, x, classes)
    by_autodiff, module_logits = module_input_gradient(as_module(layers), x, classes)
    np.testing.assert_allclose(logits, module_logits, rtol=1e-12)
    np.testing.assert_allclose(by_hand, by_autodiff, rtol=1e-10, atol=1e-14)
    assert np.abs(by_hand).max() > 1e-3  # not trivially zero


def test_the_hand_written_gradient_matches_central_differences():
    layers = random_layers([20, 12, 8, 5], seed=3)
    x = np.random.default_rng(4).random((1, 20))
    h = x @ layers[0][0] + layers[0][1]
    assert np.abs(h).min() > 1e-4  # no ReLU kink within the step
    c = int(dense_logits(layers, x).argmax())
    grad, _ = dense_relu_input_gradient(layers, x)
    numeric = central_differences(lambda v: dense_logits(layers, v)[0, c], x)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_the_autodiff_saliency_runs_in_eval_mode_and_matches_central_differences():
    rng = np.random.default_rng(5)
    model = Sequential(Linear(12, 9, dtype=np.float64, rng=0), BatchNorm1d(9, dtype=np.float64),
                       Tanh(), Dropout(0.5, rng=1), Linear(9, 4, dtype=np.float64, rng=2))
    bn = model[1]
    bn.running_mean[...] = rng.normal(size=9)
    bn.running_var[...] = rng.random(9) + 0.5
    model.train()
    x = rng.random((3, 12))
    grad, logits = module_input_gradient(model, x, [0, 1, 2])
    assert model.training  # left as it was
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    from telar.engine import Tensor

    def logit(v, row, c):
        return model(Tensor(v)).data[row, c]

    for row, c in enumerate([0, 1, 2]):
        numeric = central_differences(lambda v, row=row, c=c: logit(v, row, c), x)
        np.testing.assert_allclose(grad[row], numeric[row], rtol=1e-6, atol=1e-9)
        assert np.abs(numeric[[r for r in range(3) if r != row]]).max() == 0
    np.testing.assert_allclose(logits, model(Tensor(x)).data)
    again, _ = module_input_gradient(model, x, [0, 1, 2])
    np.testing.assert_array_equal(grad, again)  # dropout off: the same every time


def test_input_gradient_picks_the_engine_from_what_a_model_file_rebuilds():
    from telar.train import HandwrittenLearner

    learner = HandwrittenLearner.from_spec({"kind": "handwritten", "sizes": [16, 8, 4]}, seed=3,
                                           dtype=np.float64)
    x = np.random.default_rng(6).random((2, 16))
    net = learner.network
    layers = list(zip(net.weights, net.biases, strict=True))
    expected, _ = dense_relu_input_gradient(layers, x)
    for holder in (learner, net):
        grad, logits = input_gradient(holder, x)
        np.testing.assert_array_equal(grad, expected)
        np.testing.assert_allclose(logits, learner.logits(x))

    class Holder:  # today's inference wrapper keeps the module as `.model`
        model = as_module(layers)

    grad, _ = input_gradient(Holder(), x)
    np.testing.assert_allclose(grad, expected, rtol=1e-10)
    with pytest.raises(TelarError, match="no saliency map"):
        input_gradient(object(), x)


def test_the_saliency_png_shows_the_input_and_the_map(tmp_path):
    image = np.zeros((28, 28), np.uint8)
    image[7:21, 4:24] = 200
    saliency = np.zeros(784)
    saliency[:392] = 1.0  # the top half raises the score
    saliency[392:] = -0.5
    path = tmp_path / "out" / "shoe.saliency.png"
    save_saliency_png(path, image, saliency, title="Sneaker 0.91")
    with Image.open(path) as png:
        assert png.format == "PNG" and png.width > 300 and png.height > 150
        rgb = np.asarray(png.convert("RGB")).astype(int)
    reds = (rgb[..., 0] - rgb[..., 2] > 80).sum()
    blues = (rgb[..., 2] - rgb[..., 0] > 80).sum()
    assert reds > 500 and blues > 500  # both signs are drawn
    assert [p.name for p in path.parent.iterdir()] == ["shoe.saliency.png"]  # no temp files
    blank = saliency_png(image, np.zeros(784))  # an all-zero map still draws
    assert Image.open(io.BytesIO(blank)).format == "PNG"

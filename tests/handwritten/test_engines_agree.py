"""The report's hand-written backpropagation and the autodiff engine give the same gradients.

Same weights, same batch, float64: every weight and bias gradient agrees to a relative error
below 1e-9. The first test ties the engine to the report's equations written out here; the
second ties it to ``telar.handwritten.HandwrittenNetwork``, the hand-written engine.
"""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import nn
from telar.engine.functional import cross_entropy

SIZES = (784, 64, 32, 16, 10)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-300))


def report_gradients(weights, biases, x, y):
    """The report's backprop: ``delta = (p - onehot(y)) / N``, then
    ``delta_hidden = (delta @ W^T) * relu'(h)``, ``dW = a^T delta``, ``db = sum(delta)``."""
    activations, pre = [x], []
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = activations[-1] @ w + b
        pre.append(h)
        activations.append(np.maximum(h, 0) if i < len(weights) - 1 else h)
    z = activations[-1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = p.copy()
    delta[np.arange(len(y)), y] -= 1
    delta /= len(y)
    grads_w, grads_b = [], []
    for i in reversed(range(len(weights))):
        grads_w.insert(0, activations[i].T @ delta)
        grads_b.insert(0, delta.sum(axis=0))
        if i:
            delta = (delta @ weights[i].T) * (pre[i - 1] > 0)
    return grads_w, grads_b


def autodiff_gradients(weights, biases, x, y):
    """The same network as a telar model (``Linear`` stores ``W^T``), gradients by backward()."""
    model = nn.build_mlp({"hidden": list(SIZES[1:-1]), "dtype": "float64"})
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for layer, w, b in zip(linears, weights, biases, strict=True):
        layer.weight.data[...] = w.T
        layer.bias.data[...] = b
    cross_entropy(model(telar.tensor(x)), y).backward()
    return [layer.weight.grad.T for layer in linears], [layer.bias.grad for layer in linears]


def batch_and_weights(seed: int = 0, n: int = 32):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((a, b)) * np.sqrt(2 / (a + b))
               for a, b in zip(SIZES, SIZES[1:], strict=False)]
    biases = [rng.normal(scale=0.1, size=b) for b in SIZES[1:]]
    return weights, biases, rng.random((n, SIZES[0])), rng.integers(0, 10, size=n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_autodiff_gives_the_reports_handwritten_gradients(seed):
    weights, biases, x, y = batch_and_weights(seed)
    ref_w, ref_b = report_gradients(weights, biases, x, y)
    got_w, got_b = autodiff_gradients(weights, biases, x, y)
    for a, b in zip(ref_w + ref_b, got_w + got_b, strict=True):
        assert a.shape == b.shape
        assert relative_error(a, b) < 1e-9


def test_autodiff_gives_the_seed_networks_gradients():
    seed_module = pytest.importorskip("telar.handwritten")
    net = seed_module.HandwrittenNetwork(SIZES, seed=3, dtype=np.float64)
    _, _, x, y = batch_and_weights(4)
    # HandwrittenNetwork keeps W as (n_in, n_out), the report's x @ W layout.
    weights = [np.array(w, dtype=np.float64) for w in net.weights]
    biases = [np.array(b, dtype=np.float64).reshape(-1) for b in net.biases]
    assert [w.shape for w in weights] == list(zip(SIZES, SIZES[1:], strict=False))
    net.forward(x)
    seed_w, seed_b = net.backward(y)
    got_w, got_b = autodiff_gradients(weights, biases, x, y)
    for a, b in zip(list(seed_w) + list(seed_b), got_w + got_b, strict=True):
        a = np.asarray(a).reshape(b.shape)
        assert relative_error(a, b) < 1e-9

"""Activations and softmax: gradients against central differences, values against PyTorch,
probabilities even from huge logits."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.engine import FAST, SEEDS, SHAPES, away_from_zero, check, leaf
from hypothesis import given
from hypothesis import strategies as st

import telar
from telar.engine import functional as F


@FAST
@given(SHAPES, SEEDS, st.sampled_from(["relu", "leaky_relu", "elu", "sigmoid", "tanh",
                                       "gelu", "gelu_tanh"]))
def test_activation_gradients_match_central_differences(shape, seed, name):
    fn = {"relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
          "elu": lambda x: F.elu(x, 0.7), "sigmoid": F.sigmoid, "tanh": F.tanh,
          "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, "tanh")}[name]
    check(fn, away_from_zero(shape, seed))


@FAST
@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 1), SEEDS)
def test_softmax_and_log_softmax_gradients(n, c, axis, seed):
    x = leaf((n, c), seed, -3, 3)
    check(lambda x: F.softmax(x, axis=axis), x)
    check(lambda x: F.log_softmax(x, axis=axis), x)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "elu", "leaky_relu", "sigmoid"])
def test_activation_values_match_pytorch(name):
    torch = pytest.importorskip("torch")
    x = np.linspace(-6, 6, 41)
    ours = {"gelu": F.gelu, "gelu_tanh": lambda t: F.gelu(t, "tanh"),
            "elu": lambda t: F.elu(t, 0.7), "leaky_relu": lambda t: F.leaky_relu(t, 0.2),
            "sigmoid": F.sigmoid}[name](telar.tensor(x)).data
    tf = torch.nn.functional
    theirs = {"gelu": tf.gelu, "gelu_tanh": lambda t: tf.gelu(t, approximate="tanh"),
              "elu": lambda t: tf.elu(t, 0.7), "leaky_relu": lambda t: tf.leaky_relu(t, 0.2),
              "sigmoid": torch.sigmoid}[name](torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_softmax_gives_probabilities_even_with_huge_logits():
    p = F.softmax(telar.tensor(np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]))).data
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0], [1, 0, 0])
    np.testing.assert_allclose(p[1], [1 / 3] * 3)

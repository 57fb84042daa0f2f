"""Initialisers: each has its formula's spread (the report's Xavier, He, PyTorch's), the
in-place ``nn.init`` functions included, and an unknown name is refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from telar import nn
from telar.errors import ConfigError


@pytest.mark.parametrize("name, variance", [
    ("xavier_report", 2 / (300 + 200)), ("xavier_uniform", 2 / (300 + 200)),
    ("he_normal", 2 / 300), ("he_uniform", 2 / 300), ("pytorch", 1 / (3 * 300)),
])
def test_initialisers_have_the_variance_their_formula_gives(name, variance):
    w = nn.Linear(300, 200, init=name, rng=0).weight.array
    assert abs(w.mean()) < 0.01 * np.sqrt(variance) * 10
    assert w.var() == pytest.approx(variance, rel=0.03)
    if "uniform" in name or name == "pytorch":
        assert np.abs(w).max() <= np.sqrt(3 * variance) + 1e-6


def test_report_xavier_is_the_reports_formula_on_the_same_generator():
    rng = np.random.default_rng(5)
    expected = rng.standard_normal((64, 784)) * np.sqrt(2 / (784 + 64))
    w = nn.Linear(784, 64, init="xavier_report", rng=np.random.default_rng(5)).weight.array
    np.testing.assert_allclose(w, expected.astype(np.float32))


def test_unknown_initialiser_is_a_config_error_naming_the_choices():
    with pytest.raises(ConfigError, match="unknown initialiser 'glorot'.*he_normal"):
        nn.Linear(2, 2, init="glorot")


def test_init_weights_through_apply_as_d2l_does():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))

    def init_weights(m):
        if type(m) == nn.Linear:  # noqa: E721 - the book's idiom
            nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    assert net[1].weight.array.std() == pytest.approx(0.01, rel=0.02)
    assert net[1].weight.dtype == np.float32


@pytest.mark.parametrize("fn,kw,expected_std", [
    (nn.init.kaiming_uniform_, {}, math.sqrt(2 / 2000) * 1),  # leaky_relu a=0: gain sqrt 2
    (nn.init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 2000)),
    (nn.init.xavier_uniform_, {}, math.sqrt(2 / (2000 + 500))),
    (nn.init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / (2000 + 500))),
    (nn.init.uniform_, {"a": -1.0, "b": 1.0}, 1 / math.sqrt(3)),
    (nn.init.normal_, {"mean": 1.0, "std": 0.5}, 0.5),
])
def test_in_place_initialisers_draw_with_pytorchs_spread(fn, kw, expected_std):
    w = nn.Parameter(np.zeros((500, 2000), dtype=np.float32))
    assert fn(w, **kw) is w
    assert w.array.std() == pytest.approx(expected_std, rel=0.02)


def test_constant_initialisers_and_gain():
    w = nn.Parameter(np.ones((3, 4), dtype=np.float32))
    assert nn.init.zeros_(w).array.sum() == 0 and nn.init.ones_(w).array.sum() == 12
    assert nn.init.constant_(w, 0.5).array.mean() == 0.5
    assert nn.init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))

"""Linear, Dropout, BatchNorm1d and Flatten: PyTorch's initialisation and values, modes, and
the probabilities dropout refuses."""

from __future__ import annotations

import math

import numpy as np
import pytest

import telar
from telar import nn
from telar.errors import ConfigError


def test_linear_defaults_to_pytorchs_initialisation_weights_and_bias():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight.array, layer.bias.array):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.95 * bound
        assert p.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    named = nn.Linear(400, 300, init="xavier_report", rng=0)
    assert not named.bias.array.any()
    assert named.weight.array.std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)


def test_linear_matches_pytorch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(5, 3, rng=0, dtype=np.float64)
    theirs = torch.nn.Linear(5, 3).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).normal(size=(4, 5))
    np.testing.assert_allclose(ours(telar.tensor(x)).array,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_dropout_is_identity_in_eval_mode_and_random_in_training():
    layer = nn.Dropout(0.5, rng=0)
    x = telar.tensor(np.ones((4, 100), dtype=np.float32))
    assert (layer(x).array == 0).any()
    layer.eval()
    np.testing.assert_array_equal(layer(x).array, x.array)


def test_dropout_refuses_a_probability_it_cannot_train_with_naming_the_layer():
    for cls in (nn.Dropout, nn.Dropout2d):
        with pytest.raises(ConfigError, match=rf"^{cls.__name__} p: expected a probability in "
                                              r"\[0, 1\), got 1$"):
            cls(1)
    assert nn.Dropout(0).p == 0.0 and type(nn.Dropout(0).p) is float


def test_batchnorm_matches_pytorch_in_training_and_evaluation():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours, theirs = nn.BatchNorm1d(4, dtype=np.float64), torch.nn.BatchNorm1d(4).double()
    ours.weight.array[...] = theirs.weight.data.numpy()[...] = rng.uniform(0.5, 2, 4)
    for _ in range(3):
        x = rng.normal(2, 3, size=(6, 4))
        np.testing.assert_allclose(ours(telar.tensor(x)).array,
                                   theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(ours(telar.tensor(x)).array,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)


def test_flatten_merges_the_dimensions_pytorch_would():
    x = telar.tensor(np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(start_dim=0)(x).shape == (120,)
    assert np.array_equal(nn.Flatten()(x).array, x.array.reshape(2, 60))
    flat = telar.tensor(np.zeros((2, 784), np.float32))
    assert nn.Unflatten(1, (1, 28, 28))(flat).shape == (2, 1, 28, 28)


def test_linear_takes_pytorchs_arguments_in_pytorchs_order_and_telars_by_keyword_only():
    torch = pytest.importorskip("torch")

    class Scaled(nn.Linear):  # a subclass that passes PyTorch's arguments on, positionally
        def __init__(self, n_in, n_out, bias=True, device=None, dtype=None):
            super().__init__(n_in, n_out, bias, device, dtype)

    class TheirScaled(torch.nn.Linear):
        def __init__(self, n_in, n_out, bias=True, device=None, dtype=None):
            super().__init__(n_in, n_out, bias, device, dtype)

    ours, theirs = Scaled(4, 3, False, "cpu", telar.float64), \
        TheirScaled(4, 3, False, "cpu", torch.float64)
    assert ours.bias is None and theirs.bias is None
    assert str(ours.weight.dtype) == str(theirs.weight.dtype).replace("torch.", "telar.")
    keyword = nn.Linear(in_features=4, out_features=3, bias=True, device=None, dtype=None)
    assert keyword.weight.dtype == telar.float32 and keyword.bias is not None
    assert nn.Linear(4, 3, init="he_normal", rng=0).bias.array.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(TypeError):
        nn.Linear(4, 3, True, None, None, "he_normal")  # telar's init is keyword-only

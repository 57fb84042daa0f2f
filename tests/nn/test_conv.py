"""Convolutional modules: PyTorch's initialisation, BatchNorm2d statistics against PyTorch,
Dropout2d, state dicts, and a small CNN's gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import telar
from telar import nn
from telar.engine import functional as F
from telar.errors import ConfigError


def test_conv2d_default_init_is_pytorchs_kaiming_uniform_bound():
    conv = nn.Conv2d(4, 50, (3, 5), rng=0)
    bound = 1 / math.sqrt(4 * 3 * 5)
    assert conv.weight.shape == (50, 4, 3, 5) and conv.weight.dtype == np.float32
    assert conv.bias.shape == (50,)
    for values in (conv.weight.array, conv.bias.array):
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.8 * bound  # uniform over the whole interval
    assert np.array_equal(conv.weight.array, nn.Conv2d(4, 50, (3, 5), rng=0).weight.array)
    other = nn.Conv2d(4, 8, 3, init="he_normal", bias=True, rng=0, dtype=np.float64)
    assert other.bias.array.dtype == np.float64 and not other.bias.array.any()


def test_conv2d_module_matches_torch_with_the_same_weights():
    torch = pytest.importorskip("torch")
    conv = nn.Conv2d(3, 5, 3, stride=2, padding=1, dilation=1, rng=1)
    ref = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(conv.weight.array))
        ref.bias.copy_(torch.from_numpy(conv.bias.array))
    x = np.random.default_rng(2).normal(size=(2, 3, 9, 8)).astype(np.float32)
    out = conv(telar.tensor(x))
    np.testing.assert_allclose(out.array, ref(torch.from_numpy(x)).detach().numpy(), atol=1e-5)
    assert conv.output_shape((3, 9, 8)) == out.shape[1:]


@pytest.mark.parametrize("bad", [dict(kernel_size=0), dict(stride=0), dict(padding=-1),
                                 dict(groups=2), dict(kernel_size=(1, 2, 3))])
def test_conv2d_rejects_bad_arguments_with_a_config_error(bad):
    with pytest.raises(ConfigError):
        nn.Conv2d(2, 3, **{"kernel_size": 3, **bad})


def test_batchnorm2d_training_and_eval_match_pytorch_and_state_dict_round_trips():
    torch = pytest.importorskip("torch")
    bn, ref = nn.BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = (rng.normal(size=(4, 3, 5, 6)) * 3 + 2).astype(np.float32)
        np.testing.assert_allclose(bn(telar.tensor(x)).array,
                                   ref(torch.from_numpy(x)).detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(bn.running_mean, ref.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, ref.running_var.numpy(), rtol=1e-5)
    bn.eval()
    ref.eval()
    x = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(bn(telar.tensor(x)).array,
                               ref(torch.from_numpy(x)).detach().numpy(), atol=1e-5)
    state = bn.state_dict()
    assert set(state) == {"weight", "bias", "running_mean", "running_var"}
    fresh = nn.BatchNorm2d(3)
    fresh.load_state_dict(state)
    fresh.eval()
    assert np.array_equal(fresh(telar.tensor(x)).array, bn(telar.tensor(x)).array)


def test_dropout2d_module_is_identity_in_eval_and_reproducible_with_a_seed():
    x = telar.tensor(np.ones((4, 6, 3, 3), np.float32))
    a, b = nn.Dropout2d(0.5, rng=7), nn.Dropout2d(0.5, rng=7)
    assert np.array_equal(a(x).array, b(x).array)
    a.eval()
    assert a(x) is x


def small_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, rng=0), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, stride=1, rng=1), nn.AvgPool2d(2, 1), nn.Dropout2d(0.2, rng=0),
        nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(16, 3, rng=2))


def test_a_small_cnns_parameter_gradients_match_central_differences():
    model = small_cnn().to_dtype(np.float64)
    x = telar.tensor(np.random.default_rng(4).normal(size=(3, 1, 9, 8)))
    y = np.array([0, 2, 1])
    names, params = zip(*model.named_parameters(), strict=True)

    def loss():
        model[6].generator = np.random.default_rng(0)  # the same dropout mask every call
        return F.cross_entropy(model(x), y)

    report = telar.gradcheck(loss, [], wrt=params, names=names, atol=1e-7, rtol=1e-5)
    assert report, report.table()


def test_a_cnns_state_dict_round_trips_through_npz(tmp_path):
    model = small_cnn()
    x = telar.tensor(np.random.default_rng(5).normal(size=(4, 1, 9, 8)).astype(np.float32))
    model(x)  # moves the running statistics
    np.savez(tmp_path / "m.npz", **model.state_dict())
    with np.load(tmp_path / "m.npz", allow_pickle=False) as saved:
        state = dict(saved)
    assert "1.running_mean" in state and state["0.weight"].shape == (3, 1, 3, 3)
    copy = small_cnn()
    copy.load_state_dict(state)
    model.eval()
    copy.eval()
    assert np.array_equal(model(x).array, copy(x).array)


def test_dropout2d_on_a_2d_input_drops_single_values_and_warns_as_pytorch():
    torch = pytest.importorskip("torch")
    telar.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = nn.Dropout2d(0.5), torch.nn.Dropout2d(0.5)
    for layer, x in ((ours, telar.ones(64, 32)), (theirs, torch.ones(64, 32))):
        with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d") as record:
            y = layer(x)
            out = y.numpy() if isinstance(y, telar.Tensor) else y.detach().numpy()
        assert len(record) >= 1
        assert set(np.unique(out)) == {0.0, 2.0}
        # per value, not per row: rows mix kept and dropped values, about half of each
        assert ((out == 0).any(axis=1) & (out == 2).any(axis=1)).all()
        assert 0.4 < (out == 0).mean() < 0.6
    ours.eval()
    with pytest.warns(UserWarning):
        assert ours(telar.ones(2, 3)).numpy().tolist() == [[1.0] * 3] * 2

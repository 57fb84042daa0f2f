"""Every layer kind telar can train, exported and run by ONNX Runtime: the same outputs as
telar's, within rtol 1e-5 and atol 1e-5 (1e-4 after a convolution), in evaluation mode.

Each case is a small network on random weights (batch norm with random running statistics,
so the graph must use them and not the batch's) fed random images of 12x12 pixels; the
inputs are spread around zero so that pooling windows hold negative values (max pooling's
padding must never win, average pooling must count or skip the padding as telar does)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers.onnx_run import exported, run, telar_outputs

from telar import nn
from telar.handwritten import HandwrittenNetwork
from telar.nn.activation import ACTIVATIONS
from telar.onnx.layers import CONVERTERS, adaptive_matrix

IMAGE = (2, 12, 12)

#: name -> (layer list on IMAGE, absolute tolerance)
CASES: dict[str, tuple[str, float]] = {
    "linear": ("flatten linear(7)", 1e-5),
    "linear_no_bias": ("flatten linear(7,bias=false)", 1e-5),
    "conv": ("conv(4,3) flatten linear(5)", 1e-4),
    "conv_stride_padding_dilation": ("conv(3,3,stride=2,padding=2,dilation=2) flatten "
                                     "linear(5)", 1e-4),
    "conv_same_no_bias": ("conv(3,5,padding=same,bias=false) flatten linear(5)", 1e-4),
    "maxpool": ("conv(3,3) maxpool(2) flatten linear(5)", 1e-4),
    "maxpool_padding_stride": ("maxpool(3,stride=2,padding=1) flatten linear(5)", 1e-5),
    "avgpool_counting_padding": ("avgpool(3,stride=2,padding=1) flatten linear(5)", 1e-5),
    "avgpool_skipping_padding": ("avgpool(3,stride=2,padding=1,count_include_pad=false) "
                                 "flatten linear(5)", 1e-5),
    "avgpool_rectangular": ("avgpool(2x3,stride=1x2) flatten linear(5)", 1e-5),
    "gap_global": ("conv(4,3) gap flatten linear(5)", 1e-4),
    "gap_uneven_bins": ("gap(5x3) flatten linear(5)", 1e-5),
    "batchnorm_2d": ("conv(4,3) bn relu flatten linear(5)", 1e-4),
    "batchnorm_2d_no_affine": ("bn(affine=false,eps=0.001) flatten linear(5)", 1e-5),
    "batchnorm_1d": ("flatten linear(8,bias=false) bn relu linear(5)", 1e-5),
    "dropout": ("flatten linear(8) dropout(0.5) linear(5)", 1e-5),
    "dropout2d": ("dropout2d(0.5) flatten linear(5)", 1e-5),
    **{f"activation_{name}": (f"flatten linear(9) {name} linear(5)", 1e-5)
       for name in ACTIVATIONS},
    "activation_gelu_tanh": ("flatten linear(9) gelu(approximate=tanh) linear(5)", 1e-5),
    "activation_leaky_relu_slope": ("flatten linear(9) leaky_relu(0.3) linear(5)", 1e-5),
    "activation_elu_alpha": ("flatten linear(9) elu(0.5) linear(5)", 1e-5),
}


def randomised(net: nn.Module, seed: int) -> nn.Module:
    """Batch norms given random scale, shift and running statistics (not 0 and 1)."""
    rng = np.random.default_rng(seed)
    for module in net.modules():
        if isinstance(module, nn.BatchNorm1d):
            c = module.num_features
            module.running_mean[...] = rng.normal(0, 0.5, c)
            module.running_var[...] = rng.uniform(0.5, 2.0, c)
            if module.weight is not None:
                module.weight.data[...] = rng.uniform(0.5, 1.5, c)
                module.bias.data[...] = rng.normal(0, 0.3, c)
    return net


def images(n: int = 6, shape: tuple[int, ...] = IMAGE, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, (n, *shape)).astype(np.float32)


def outputs(layers: str, x: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(ONNX Runtime's outputs, telar's) of one case on the batch ``x``."""
    net = randomised(nn.build_sequential(layers, x.shape[1:], seed=seed), seed)
    _, sess = exported(net, x[:1])
    (onnx_out,) = run(sess, x)
    return onnx_out, telar_outputs(net, x)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_layer_kind_gives_telars_outputs_in_onnx_runtime(case):
    layers, atol = CASES[case]
    onnx_out, ours = outputs(layers, images())
    assert onnx_out.shape == ours.shape == (6, 5 if "linear(5)" in layers else 7)
    np.testing.assert_allclose(onnx_out, ours, rtol=1e-5, atol=atol)


@pytest.mark.realdata
def test_each_layer_kind_agrees_on_real_test_images(real_data):
    """Every case on 1,000 real test images (1 x 28 x 28, pixels / 255, as telar feeds them);
    prints the parity table of the report (pytest -s): max |onnx - telar| per layer kind."""
    x = real_data[2][:1000].reshape(-1, 1, 28, 28)
    rows = []
    for case in sorted(CASES):
        layers, atol = CASES[case]
        layers = layers.replace("bn(affine", "conv(2,3) bn(affine")  # 1 channel -> 2
        onnx_out, ours = outputs(layers, x)
        np.testing.assert_allclose(onnx_out, ours, rtol=1e-5, atol=atol, err_msg=case)
        rows.append(f"{case:32s} {np.abs(onnx_out - ours).max():.2e}  "
                    f"(max |output| {np.abs(ours).max():.2g})")
    print("\nmax |onnx - telar| on 1,000 real test images\n" + "\n".join(rows))


def test_the_cases_cover_every_layer_the_registry_builds():
    built = {type(m) for layers, _ in CASES.values()
             for m in nn.build_sequential(layers, IMAGE).modules()}
    missing = {c.__name__ for c in CONVERTERS} - {c.__name__ for c in built}
    # Unflatten starts every --layers network a run trains (tests/onnx/test_exporter.py);
    # Identity and Softmax are not in the registry (test_exporter.py: a Sequential of them).
    assert missing == {"Unflatten", "Identity", "Softmax"}


def test_batch_norm_uses_the_running_statistics_not_the_batch():
    net = randomised(nn.build_sequential("flatten linear(4) bn", IMAGE), 3)
    x = images()
    _, sess = exported(net, x[:1])
    (onnx_out,) = run(sess, x)
    batch_normalised = (onnx_out - onnx_out.mean(0)) / onnx_out.std(0)
    assert not np.allclose(onnx_out, batch_normalised, atol=1e-2)
    np.testing.assert_allclose(onnx_out, telar_outputs(net, x), rtol=1e-5, atol=1e-5)


def test_max_pool_padding_never_wins_over_negative_values():
    net = nn.Sequential(nn.MaxPool2d(3, 2, 1), nn.Flatten())
    x = -1 - np.abs(images(2, (1, 5, 5)))  # every value below zero
    _, sess = exported(net, x[:1])
    (onnx_out,) = run(sess, x)
    assert (onnx_out < 0).all()
    np.testing.assert_array_equal(onnx_out, telar_outputs(net, x))


def test_average_pool_counts_the_padding_only_when_told():
    ones = np.ones((1, 1, 4, 4), np.float32)
    corners = []
    for include in (True, False):
        net = nn.Sequential(nn.AvgPool2d(3, 2, 1, count_include_pad=include), nn.Flatten())
        _, sess = exported(net, ones)
        corners.append(run(sess, ones)[0][0, 0])
    assert corners == pytest.approx([4 / 9, 1.0])


def test_adaptive_bins_are_pytorchs_overlapping_bins():
    a = adaptive_matrix(5, 3)  # bins [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(a, [[.5, .5, 0, 0, 0], [0, 1 / 3, 1 / 3, 1 / 3, 0],
                                   [0, 0, 0, .5, .5]])


def test_the_hand_written_network_gives_its_logits():
    net = HandwrittenNetwork((20, 6, 5, 3), seed=4)
    x = images(5, (20,))
    _, sess = exported(net, x[:1])
    (onnx_out,) = run(sess, x)
    np.testing.assert_allclose(onnx_out, net.logits(x), rtol=1e-5, atol=1e-5)

"""The plain im2col convolution is the oracle for the tuned one, and PyTorch for the plain one.

:func:`telar.engine.cpu.conv.conv2d` (chunks, threads, channels-last memory, a transposed
path for inputs of at most two channels, the bias folded into small GEMMs, two input-gradient
algorithms) must give the values and the gradients of :func:`telar.engine.reference.conv.conv2d`
on every geometry; the reference itself is held to ``torch.nn.functional.conv2d`` and to
central differences.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers.oracle import assert_close, leaves, run

from telar.engine import conv as public
from telar.engine.cpu import conv as tuned
from telar.engine.cpu import scratch, workers
from telar.engine.gradcheck import gradcheck
from telar.engine.reference import conv as reference

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5}
H, W, OUT_CHANNELS = 9, 11, 4  # fits a 3x5 kernel dilated by 2 without padding

# Every combination: channels (1 takes the transposed im2col path), bias, stride, padding,
# dilation, kernel (height, width), batch.
GEOMETRIES = list(itertools.product((1, 3), (True, False), (1, 2), (0, 1, 2), (1, 2),
                                    ((1, 1), (3, 3), (3, 5)), (1, 7)))


def geometry_id(case: tuple) -> str:
    c, bias, s, p, d, (kh, kw), n = case
    return f"n{n}-c{c}-k{kh}x{kw}-s{s}-p{p}-d{d}-{'bias' if bias else 'nobias'}"


def conv_arrays(n: int, c: int, kh: int, kw: int, bias: bool, dtype: type, seed: int = 0,
                h: int = H, w: int = W) -> list[np.ndarray | None]:
    """Random ``x (n, c, h, w)``, ``weight (O, c, kh, kw)`` and ``bias (O,)`` (or None)."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(n, c, h, w)).astype(dtype),
            rng.normal(size=(OUT_CHANNELS, c, kh, kw)).astype(dtype),
            rng.normal(size=OUT_CHANNELS).astype(dtype) if bias else None]


def assert_conv_matches_reference(arrays: list, stride: tuple, padding: tuple,
                                  dilation: tuple, tol: float,
                                  requires_grad: list[bool] | None = None) -> None:
    """The tuned kernel's output and x, weight, bias gradients are the reference's."""
    geometry = (stride, padding, dilation)
    got, got_grads = run(tuned.conv2d, arrays, *geometry, requires_grad=requires_grad)
    want, want_grads = run(reference.conv2d, arrays, *geometry, requires_grad=requires_grad)
    assert_close(got, want, tol, "output")
    for name, g, r in zip(("x", "weight", "bias"), got_grads, want_grads, strict=True):
        assert_close(g, r, tol, f"gradient of {name}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", GEOMETRIES, ids=geometry_id)
def test_tuned_conv2d_matches_the_reference_im2col_values_and_gradients(case, dtype):
    c, bias, s, p, d, (kh, kw), n = case
    arrays = conv_arrays(n, c, kh, kw, bias, dtype)
    assert_conv_matches_reference(arrays, (s, s), (p, p), (d, d), TOLERANCE[dtype])


@pytest.mark.parametrize(("stride", "padding", "dilation"), [
    ((2, 1), (1, 2), (1, 2)), ((1, 2), (2, 0), (2, 1)), ((1, 1), (0, 2), (1, 1))])
def test_tuned_conv2d_matches_the_reference_with_different_height_and_width_settings(
        stride, padding, dilation):
    arrays = conv_arrays(3, 2, 3, 2, True, np.float64, seed=1)
    assert_conv_matches_reference(arrays, stride, padding, dilation, 1e-10)


@pytest.mark.parametrize("channels", [2, 3])
def test_tuned_conv2d_on_a_channels_last_input_matches_the_reference(channels):
    """A tuned convolution returns channels-last memory, which the next one reads."""
    x, weight, bias = conv_arrays(5, channels, 3, 3, True, np.float64, seed=2)
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert not x.flags.c_contiguous
    assert_conv_matches_reference([x, weight, bias], (1, 1), (1, 1), (1, 1), 1e-10)


@pytest.mark.parametrize("requires_grad", [
    [True, False, False], [False, True, False], [False, False, True], [True, False, True]],
    ids=["x-only", "weight-only", "bias-only", "x-and-bias"])
@pytest.mark.parametrize("stride", [1, 2])
def test_tuned_conv2d_matches_the_reference_when_only_some_inputs_need_gradients(
        requires_grad, stride):
    arrays = conv_arrays(4, 3, 3, 3, True, np.float64, seed=3)
    assert_conv_matches_reference(arrays, (stride, stride), (1, 1), (1, 1), 1e-10,
                                  requires_grad=requires_grad)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("stride", [1, 2])
def test_tuned_conv2d_in_many_uneven_chunks_on_two_threads_matches_the_reference(
        monkeypatch, channels, stride):
    monkeypatch.setattr(scratch, "CHUNK_BYTES", 3000)  # a sample or two per chunk
    monkeypatch.setattr(workers, "WORKERS", 2)
    arrays = conv_arrays(7, channels, 3, 3, True, np.float64, seed=4)
    assert_conv_matches_reference(arrays, (stride, stride), (1, 1), (1, 1), 1e-10)


@pytest.mark.parametrize(("channels", "kernel", "dilation"), [
    (1, (3, 3), 1), (3, (3, 5), 1), (3, (1, 1), 1), (1, (3, 5), 2), (3, (3, 3), 2)])
def test_public_conv2d_with_same_padding_keeps_the_size_and_matches_the_reference(
        channels, kernel, dilation):
    kh, kw = kernel
    arrays = conv_arrays(3, channels, kh, kw, True, np.float64, seed=5)
    got, got_grads = run(lambda x, w, b: public.conv2d(x, w, b, padding="same",
                                                       dilation=dilation), arrays)
    padding = (dilation * (kh - 1) // 2, dilation * (kw - 1) // 2)
    want, want_grads = run(reference.conv2d, arrays, (1, 1), padding, (dilation, dilation))
    assert got.shape == (3, OUT_CHANNELS, H, W)
    assert_close(got, want, 1e-10, "output")
    for name, g, r in zip(("x", "weight", "bias"), got_grads, want_grads, strict=True):
        assert_close(g, r, 1e-10, f"gradient of {name}")


@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding", "dilation", "bias"), [
    ((2, 3, 6, 5), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), True),
    ((1, 1, 9, 11), (2, 1, 3, 5), (2, 1), (1, 2), (2, 1), True),
    ((3, 2, 7, 7), (3, 2, 2, 3), (2, 2), (2, 1), (1, 2), False),
    ((2, 4, 5, 6), (5, 4, 1, 1), (1, 2), (0, 0), (1, 1), True),
    ((1, 2, 8, 9), (2, 2, 3, 3), (1, 1), (2, 2), (2, 2), False),
])
def test_reference_conv2d_matches_torch_values_and_gradients(x_shape, w_shape, stride,
                                                               padding, dilation, bias):
    rng = np.random.default_rng(6)
    arrays = [rng.normal(size=x_shape), rng.normal(size=w_shape),
              rng.normal(size=w_shape[0]) if bias else None]
    got, got_grads = run(reference.conv2d, arrays, stride, padding, dilation)

    inputs = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.conv2d(inputs[0], inputs[1], inputs[2], stride=stride, padding=padding,
                   dilation=dilation)
    r = np.random.default_rng(0).normal(size=tuple(out.shape))  # the projection run() uses
    (out * torch.tensor(r)).sum().backward()
    assert_close(got, out.detach().numpy(), 1e-10, "output")
    for name, g, t in zip(("x", "weight", "bias"), got_grads, inputs, strict=True):
        assert_close(g, None if t is None else t.grad.numpy(), 1e-10, f"gradient of {name}")


@pytest.mark.parametrize(("stride", "padding", "dilation"), [
    ((1, 1), (1, 0), (1, 1)), ((2, 1), (1, 2), (1, 2))])
def test_reference_conv2d_backward_agrees_with_central_differences(stride, padding, dilation):
    arrays = conv_arrays(2, 2, 2, 3, True, np.float64, seed=7, h=5, w=6)
    report = gradcheck(lambda x, w, b: reference.conv2d(x, w, b, stride, padding, dilation),
                       leaves(arrays), names=["x", "weight", "bias"])
    assert report.passed, "\n" + report.table()

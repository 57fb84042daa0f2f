"""The plain max-pool loop is the oracle for the tiled one, and PyTorch for the plain one.

:func:`telar.engine.cpu.pooling.max_pool_tiled` (winner codes in one byte, chunks, threads,
an optional ReLU in the same pass) must give exactly the values and gradients of
:func:`telar.engine.reference.pooling.max_pool2d` over the same tiles: both send ``g`` to the
first maximum of each window in row-major order, so ties (integers, zeros after a ReLU) must
route identically, bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers.oracle import assert_close, assert_same, leaves, run

from telar.engine.activations import relu
from telar.engine.cpu import scratch, workers
from telar.engine.cpu.pooling import max_pool_tiled
from telar.engine.gradcheck import gradcheck
from telar.engine.reference import pooling as reference

torch = pytest.importorskip("torch")


def continuous(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    return rng.normal(size=shape)


def integers(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Small integers: most windows hold a tie for their maximum."""
    return rng.integers(-2, 3, size=shape).astype(np.float64)


def after_relu(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """``relu`` of normal values: half are 0, and windows of zeros tie everywhere."""
    return np.maximum(rng.normal(size=shape), 0.0)


def constant(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Every value equal: every window is one big tie."""
    return np.full(shape, 1.5)


INPUTS = [continuous, integers, after_relu, constant]
# (input shape, kernel): divisible, and not (floor mode drops the last rows/columns).
SHAPES = [((2, 3, 6, 8), (2, 2)), ((1, 2, 7, 5), (2, 2)), ((3, 1, 9, 9), (3, 3)),
          ((2, 2, 8, 7), (2, 3)), ((1, 4, 5, 6), (3, 1)), ((2, 2, 4, 4), (1, 1)),
          ((5, 3, 11, 13), (4, 5))]


def shape_id(case: tuple) -> str:
    (n, c, h, w), (kh, kw) = case
    return f"{n}x{c}x{h}x{w}-k{kh}x{kw}"


def tiled(kh: int, kw: int, relu_too: bool):
    """The tuned kernel over ``kh x kw`` tiles, floor mode."""
    def pool(x):
        return max_pool_tiled(x, kh, kw, x.shape[2] // kh, x.shape[3] // kw, relu=relu_too)
    return pool


def plain(kh: int, kw: int, relu_too: bool):
    """The reference over the same tiles (stride = kernel, no padding), then a ReLU."""
    def pool(x):
        out = reference.max_pool2d(x, (kh, kw), (kh, kw), (0, 0))
        return relu(out) if relu_too else out
    return pool


def assert_tiled_matches_reference(x: np.ndarray, kernel: tuple[int, int],
                                   relu_too: bool) -> None:
    kh, kw = kernel
    got, (got_grad,) = run(tiled(kh, kw, relu_too), [x])
    want, (want_grad,) = run(plain(kh, kw, relu_too), [x])
    assert got.shape == (x.shape[0], x.shape[1], x.shape[2] // kh, x.shape[3] // kw)
    assert_same(got, want, "output")
    assert_same(got_grad, want_grad, "gradient of x")


@pytest.mark.parametrize("relu_too", [False, True], ids=["pool", "pool-relu"])
@pytest.mark.parametrize("values", INPUTS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", SHAPES, ids=shape_id)
def test_tiled_max_pool_matches_the_reference_loop_exactly_ties_included(case, values,
                                                                         relu_too):
    shape, kernel = case
    x = values(shape, np.random.default_rng(0))
    assert_tiled_matches_reference(x, kernel, relu_too)


@pytest.mark.parametrize("relu_too", [False, True], ids=["pool", "pool-relu"])
def test_tiled_max_pool_sends_the_gradient_of_a_tie_to_the_first_maximum_in_row_major_order(
        relu_too):
    x = np.array([[[[0.0, 2.0, 2.0, 2.0],
                    [2.0, 1.0, 2.0, 2.0],
                    [-1.0, 0.0, -3.0, -1.0],
                    [0.0, -1.0, -1.0, -2.0]]]])
    got, (grad,) = run(tiled(2, 2, relu_too), [x])
    r = np.random.default_rng(0).normal(size=(1, 1, 2, 2))  # run()'s projection
    expected = np.zeros_like(x)
    expected[0, 0, 0, 1], expected[0, 0, 0, 2] = r[0, 0, 0, 0], r[0, 0, 0, 1]
    if not relu_too:  # a window of zeros and negatives: relu(max) = 0 sends nothing back
        expected[0, 0, 2, 1], expected[0, 0, 2, 3] = r[0, 0, 1, 0], r[0, 0, 1, 1]
    np.testing.assert_array_equal(grad, expected)
    assert_tiled_matches_reference(x, (2, 2), relu_too)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("relu_too", [False, True], ids=["pool", "pool-relu"])
def test_tiled_max_pool_on_channels_last_float32_or_float64_matches_the_reference(dtype,
                                                                                  relu_too):
    """A tuned convolution returns channels-last memory: the pool's usual input."""
    x = integers((3, 4, 7, 6), np.random.default_rng(1)).astype(dtype)
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert_tiled_matches_reference(x, (2, 2), relu_too)


@pytest.mark.parametrize("relu_too", [False, True], ids=["pool", "pool-relu"])
def test_tiled_max_pool_in_many_uneven_chunks_on_two_threads_matches_the_reference(
        monkeypatch, relu_too):
    monkeypatch.setattr(scratch, "CHUNK_BYTES", 400)  # a sample or two per chunk
    monkeypatch.setattr(workers, "WORKERS", 2)
    x = after_relu((7, 3, 9, 8), np.random.default_rng(2))
    assert_tiled_matches_reference(x, (2, 2), relu_too)


# The reference on its own, for the windows the tiled kernel does not take.
TORCH_CASES = [  # (input shape, kernel, stride, padding)
    ((2, 3, 7, 6), (3, 3), (2, 2), (1, 1)),
    ((1, 2, 5, 7), (2, 3), (1, 2), (0, 1)),
    ((2, 2, 8, 8), (3, 3), (1, 1), (1, 1)),
    ((3, 1, 9, 6), (4, 2), (3, 1), (2, 1)),
    ((1, 3, 6, 6), (2, 2), (2, 2), (0, 0)),
]


@pytest.mark.parametrize("values", INPUTS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), TORCH_CASES)
def test_reference_max_pool2d_matches_torch_on_overlapping_and_padded_windows(
        shape, kernel, stride, padding, values):
    x = values(shape, np.random.default_rng(3))
    got, (got_grad,) = run(reference.max_pool2d, [x], kernel, stride, padding)

    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(xt, kernel, stride, padding)
    r = np.random.default_rng(0).normal(size=tuple(out.shape))  # run()'s projection
    (out * torch.tensor(r)).sum().backward()
    assert_same(got, out.detach().numpy(), "output")
    assert_close(got_grad, xt.grad.numpy(), 1e-12, "gradient of x")


@pytest.mark.parametrize(("kernel", "stride", "padding"), [
    ((2, 2), (2, 2), (0, 0)), ((3, 2), (1, 2), (1, 1))])
def test_reference_max_pool2d_backward_agrees_with_central_differences(kernel, stride,
                                                                      padding):
    x = leaves([np.random.default_rng(4).normal(size=(2, 2, 6, 5))])  # no ties
    report = gradcheck(lambda t: reference.max_pool2d(t, kernel, stride, padding), x)
    assert report.passed, "\n" + report.table()

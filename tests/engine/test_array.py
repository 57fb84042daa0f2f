"""The array module: per-array dispatch, the generic path (the one a GPU array takes) held to
the CPU kernels on NumPy, and a handful of operations on ``array_api_strict`` arrays, which
have no NumPy-only methods, so a NumPy-only call in their code path fails here.

The whole op and layer suite also runs on the generic path with
``TELAR_GENERIC_PATH=1 pytest tests/engine tests/nn`` (docs/how-to/gpu.md).
"""

from __future__ import annotations

import array_api_strict as strict
import numpy as np
import pytest

import telar
from telar.engine import Tensor, constant, gradcheck
from telar.engine import functional as F
from telar.engine.array import (
    GENERIC_PATH_VARIABLE,
    array_module,
    copy,
    cuda_problem,
    fast_kernels,
    generic_path,
    generic_path_enabled,
    to_host,
    writeable,
)
from telar.engine.cpu import conv as tuned_conv
from telar.engine.cpu import pooling as tuned_pooling
from telar.nn import build_sequential
from telar.optim import SGD, Adam, AdamW, RMSprop


# ----------------------------------------------------------------------------- dispatch
def test_array_module_is_numpy_for_numpy_arrays_scalars_and_numbers():
    assert array_module(np.ones(2)) is np
    assert array_module(np.float32(1.0), 3, None, 2.5) is np
    assert array_module() is np


def test_array_module_is_the_arrays_own_namespace_for_an_array_api_array():
    a = strict.asarray([1.0, 2.0])
    assert array_module(np.ones(2), a).__name__ == "array_api_strict"


def test_fast_kernels_only_for_numpy_arrays_outside_the_generic_path():
    a = np.ones(2)
    outer = generic_path_enabled()  # True when the suite runs with TELAR_GENERIC_PATH=1
    with generic_path(False):
        assert fast_kernels(a) and not fast_kernels(a, strict.asarray([1.0]))
        with generic_path():
            assert generic_path_enabled() and not fast_kernels(a)
        assert fast_kernels(a) and not generic_path_enabled()
    assert generic_path_enabled() == outer


def test_the_generic_path_variable_is_documented_by_its_name():
    assert GENERIC_PATH_VARIABLE == "TELAR_GENERIC_PATH"


def test_copy_and_writeable_work_on_arrays_without_numpy_methods():
    a = strict.asarray([1.0, 2.0])
    b = copy(a)
    assert b is not a and strict.all(b == a)
    assert not writeable(a)  # cannot tell: callers copy
    assert writeable(np.ones(2)) and not writeable(np.broadcast_to(np.ones(1), (3,)))


def test_to_host_leaves_host_arrays_alone():
    a = np.ones(3)
    assert to_host(a) is a


# ----------------------------------------------------------------------------- generic vs CPU
def _conv_inputs(seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((3, 2, 7, 6)), rng.standard_normal((4, 2, 3, 3)),
            rng.standard_normal(4), rng.standard_normal((3, 4, 7, 6)))


def _conv_results(x0: np.ndarray, w0: np.ndarray, b0: np.ndarray, g: np.ndarray,
                  **geometry: object) -> list[np.ndarray]:
    x, w, b = (Tensor(v, requires_grad=True) for v in (x0, w0, b0))
    out = F.conv2d(x, w, b, **geometry)
    (out * Tensor(g[:, :, :out.shape[2], :out.shape[3]])).sum().backward()
    return [out.array, x.grad, w.grad, b.grad]


@pytest.mark.parametrize("geometry", [{}, {"padding": 1}, {"stride": 2, "padding": 1},
                                      {"dilation": 2}])
def test_conv2d_gives_the_same_values_and_gradients_on_the_generic_path(geometry):
    with generic_path(False):
        fast = _conv_results(*_conv_inputs(), **geometry)
    with generic_path():
        generic = _conv_results(*_conv_inputs(), **geometry)
    for a, b in zip(fast, generic, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_the_generic_path_never_calls_the_tuned_kernels(monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a tuned CPU kernel ran on the generic path")

    monkeypatch.setattr(tuned_conv, "conv2d", refuse)
    monkeypatch.setattr("telar.engine.pooling.max_pool_tiled", refuse)
    monkeypatch.setattr("telar.engine.arithmetic.split_matmul", refuse)
    x = Tensor(np.random.default_rng(1).standard_normal((2, 1, 6, 6)), requires_grad=True)
    with generic_path():
        y = F.max_pool2d_relu(F.conv2d(x, Tensor(np.ones((2, 1, 3, 3)))), 2)
        z = F.linear(y.reshape(2, -1), Tensor(np.ones((3, 8))))
        z.sum().backward()
    assert x.grad.shape == x.shape
    with generic_path(False), pytest.raises(AssertionError, match="tuned CPU kernel"):
        F.conv2d(x, Tensor(np.ones((2, 1, 3, 3))))  # outside: the tuned kernel is taken
    assert tuned_pooling.max_pool_tiled is not refuse  # only the name the engine uses changed


@pytest.mark.parametrize("relu", [False, True])
def test_max_pool_tiles_give_the_same_values_and_gradients_on_the_generic_path(relu):
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    x0[0, 0, :2, :2] = 0.0  # a tie: the first maximum takes the gradient on both paths
    pool = F.max_pool2d_relu if relu else F.max_pool2d

    def run() -> tuple[np.ndarray, np.ndarray]:
        x = Tensor(x0, requires_grad=True)
        out = pool(x, 2)
        (out * Tensor(np.arange(out.array.size, dtype=np.float32).reshape(out.shape))).sum() \
            .backward()
        return out.array, x.grad

    with generic_path(False):
        fast = run()
    with generic_path():
        generic = run()
    for a, b in zip(fast, generic, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fn", [
    lambda x, w: F.conv2d(x, w, padding=1),
    lambda x, w: F.max_pool2d(F.conv2d(x, w), 2),
    lambda x, w: F.max_pool2d_relu(F.conv2d(x, w, stride=2), 2),
    lambda x, w: F.avg_pool2d(F.conv2d(x, w), 2),
])
def test_gradients_on_the_generic_path_match_central_differences(fn):
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 2, 6, 6)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    with generic_path():
        report = gradcheck(fn, [x, w], max_entries=40)
    assert report.passed, report.table()


# No bias right before a batch norm: its gradient is 0 up to rounding, which Adam would
# blow up to a full step of either sign.
CNN = "conv(4,3,padding=1,bias=false) bn relu maxpool(2) conv(6,3) relu avgpool(2) flatten " \
      "linear(16) gelu dropout(0.2) linear(5)"
MLP = "linear(24,bias=false) bn leakyrelu dropout(0.1) linear(12) tanh linear(12) sigmoid " \
      "linear(5)"


@pytest.mark.parametrize("layers,shape", [(CNN, (1, 10, 10)), (MLP, (20,))])
@pytest.mark.parametrize("optimiser", [Adam, AdamW, SGD, RMSprop])
def test_training_steps_on_the_generic_path_equal_those_of_the_cpu_kernels(layers, shape,
                                                                          optimiser):
    """Every layer kind, the losses and each optimiser's update: three steps from the same
    weights on both paths give the same weights (float32, the CPU kernels' summation order
    differs from the plain one's)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, *shape)).astype(np.float32)
    y = rng.integers(0, 5, 8)

    def train() -> dict[str, np.ndarray]:
        net = build_sequential(layers, shape, seed=5)
        opt = optimiser(net.parameters(), lr=0.01)
        for _ in range(3):
            logits = net(Tensor(x))
            loss = F.cross_entropy(logits, y, label_smoothing=0.1) + \
                0.1 * F.mse_loss(F.softmax(logits, 1), Tensor(np.full((8, 5), 0.2, np.float32)))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return net.state_dict()

    with generic_path(False):
        fast = train()
    with generic_path():
        generic = train()
    assert fast.keys() == generic.keys()
    for name in fast:
        np.testing.assert_allclose(generic[name], fast[name], rtol=1e-4, atol=1e-5,
                                   err_msg=name)


# ----------------------------------------------------------------------------- array-API arrays
def _strict_leaf(values: np.ndarray) -> Tensor:
    t = constant(strict.asarray(values))
    t.requires_grad = True
    return t


UNARY = [("exp", F.exp, np.exp), ("log", F.log, np.log), ("tanh", F.tanh, np.tanh),
         ("sqrt", F.sqrt, np.sqrt), ("sigmoid", F.sigmoid, lambda v: 1 / (1 + np.exp(-v))),
         ("neg", F.neg, np.negative)]


@pytest.mark.parametrize("name,op,reference", UNARY, ids=[u[0] for u in UNARY])
def test_unary_operations_and_their_gradients_run_on_array_api_strict_arrays(name, op,
                                                                              reference):
    values = np.random.default_rng(6).uniform(0.5, 2.0, (3, 4))
    x = _strict_leaf(values)
    out = op(x)
    F.sum(out).backward()
    assert array_module(out.array).__name__ == "array_api_strict"
    np.testing.assert_allclose(np.asarray(out.array), reference(values), rtol=1e-12)
    numpy_x = Tensor(values, requires_grad=True)
    F.sum(op(numpy_x)).backward()
    np.testing.assert_allclose(np.asarray(x.grad), numpy_x.grad, rtol=1e-12)


@pytest.mark.parametrize("op", [F.add, F.sub, F.mul, F.div])
def test_broadcasting_arithmetic_sums_gradients_back_on_array_api_strict_arrays(op):
    rng = np.random.default_rng(7)
    a0, b0 = rng.uniform(1, 2, (3, 4)), rng.uniform(1, 2, (1, 4))
    a, b = _strict_leaf(a0), _strict_leaf(b0)
    F.mean(op(a, b)).backward()
    na, nb = Tensor(a0, requires_grad=True), Tensor(b0, requires_grad=True)
    F.mean(op(na, nb)).backward()
    assert tuple(b.grad.shape) == (1, 4)
    np.testing.assert_allclose(np.asarray(a.grad), na.grad, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(b.grad), nb.grad, rtol=1e-12)


def test_log_softmax_and_its_gradient_run_on_array_api_strict_arrays():
    values = np.random.default_rng(8).standard_normal((4, 5)) * 30  # large logits: stable
    x = _strict_leaf(values)
    out = F.log_softmax(x, 1)
    F.sum(out * constant(strict.asarray(np.eye(4, 5)))).backward()
    nx = Tensor(values, requires_grad=True)
    F.sum(F.log_softmax(nx, 1) * Tensor(np.eye(4, 5))).backward()
    np.testing.assert_allclose(np.asarray(out.array), F.log_softmax(Tensor(values), 1).array,
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(x.grad), nx.grad, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- CUDA (CuPy)
needs_cuda = pytest.mark.skipif(cuda_problem() is not None,
                                reason=f"no CUDA here: {cuda_problem()}")


@needs_cuda
def test_a_cuda_tensor_computes_what_a_cpu_tensor_computes():
    values = np.random.default_rng(9).standard_normal((4, 3)).astype(np.float32)
    x = telar.tensor(values, device="cuda", requires_grad=True)
    assert x.is_cuda and str(x.device) == "cuda:0"
    (x.exp() * x).sum().backward()
    expected = Tensor(values, requires_grad=True)
    (expected.exp() * expected).sum().backward()
    np.testing.assert_allclose(x.grad.get(), expected.grad, rtol=1e-5)
    np.testing.assert_allclose(x.cpu().numpy(), values)


@needs_cuda
def test_mixing_devices_raises_pytorchs_error():
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but "
                                           "found at least two devices, cuda:0 and cpu!"):
        telar.ones(2, device="cuda") + telar.ones(2)


@needs_cuda
def test_numpy_of_a_cuda_tensor_names_cpu():
    x = telar.ones(2).cuda()
    with pytest.raises(TypeError, match=r"Tensor\.cpu\(\)"):
        np.asarray(x)
    with pytest.raises(TypeError, match=r"Tensor\.cpu\(\)"):
        x.numpy()

"""Devices: "cpu" always, "cuda" where CuPy and a GPU are (telar.engine.array); without them
every query answers truthfully and asking for "cuda" says what is missing."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar.engine.array import CudaUnavailableError, cuda_problem
from telar.engine.devices import CPU, as_device, check_same_device, device, to_arguments
from telar.errors import TelarError

no_cuda = pytest.mark.skipif(cuda_problem() is None, reason="this machine has CUDA")


@no_cuda
def test_devices_answer_truthfully_without_a_gpu_backend():
    assert telar.cuda.is_available() is False and telar.accelerator.is_available() is False
    assert telar.backends.mps.is_available() is False
    assert str(telar.device("cpu")) == "cpu" and telar.device("cpu") == "cpu"
    assert telar.ones(2).device == telar.device("cpu")
    with pytest.raises(RuntimeError):
        telar.zeros(2, device="cuda")


def test_as_device_reads_names_devices_and_none():
    assert as_device(None) is None
    assert as_device("cpu") == CPU and as_device(device("cpu")) == CPU
    with pytest.raises(RuntimeError, match="'tpu' is not supported"):
        as_device("tpu")
    with pytest.raises(TypeError, match="expected a device"):
        as_device(2.5)


@no_cuda
def test_asking_for_cuda_without_it_says_what_is_missing_and_how_to_install():
    for ask in ("cuda", "cuda:1", 0, device("cuda")):
        with pytest.raises(CudaUnavailableError) as info:
            as_device(ask)
        assert isinstance(info.value, TelarError) and isinstance(info.value, RuntimeError)
        assert "CUDA is not available" in str(info.value) and "[cuda]" in str(info.value)
    with pytest.raises(CudaUnavailableError):
        telar.ones(2).cuda()
    with pytest.raises(CudaUnavailableError):
        telar.nn.Linear(2, 3, device="cuda")


def test_to_arguments_gives_the_device_and_the_dtype_asked_for():
    x = telar.ones(2, dtype=telar.float64)
    assert to_arguments(("cpu",), {}) == (CPU, None)
    assert to_arguments((telar.float64,), {}) == (None, telar.float64)
    assert to_arguments(("cpu", telar.int64), {}) == (CPU, telar.int64)
    assert to_arguments((), {"device": "cpu", "dtype": telar.float32}) == (CPU, telar.float32)
    assert to_arguments((x,), {}) == (CPU, np.dtype("float64"))  # another tensor's
    with pytest.raises(TypeError, match="unexpected arguments"):
        to_arguments((), {"memory_format": 1})


def test_arrays_on_one_device_pass_the_same_device_check():
    a = np.ones(3)
    check_same_device(a, a[1:], np.float32(1.0))  # types differ, the device is the same
    x = telar.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    check_same_device(x.array, x.grad)  # a gradient array and a plain one


def test_moving_to_the_cpu_keeps_tensors_and_modules_as_they_are():
    x = telar.ones(2, requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x and x.to(device="cpu") is x
    layer = telar.nn.Linear(3, 2, device="cpu")
    weight = layer.weight.array
    assert layer.to("cpu") is layer and layer.cpu() is layer and layer.weight.array is weight
    assert all(type(v) is np.ndarray for v in layer.state_dict().values())

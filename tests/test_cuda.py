"""``telar.cuda``: True only where CuPy imports and finds a GPU; without, it says so and every
query answers without raising."""

from __future__ import annotations

import pytest

import telar
from telar.engine.array import cuda_problem

HAS_CUDA = cuda_problem() is None


@pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")
def test_without_cupy_or_a_gpu_cuda_is_unavailable_and_says_why():
    assert telar.cuda.is_available() is False and telar.cuda.device_count() == 0
    assert telar.accelerator.is_available() is False
    assert telar.accelerator.current_accelerator() is None
    telar.cuda.manual_seed(0), telar.cuda.manual_seed_all(0), telar.cuda.synchronize()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        telar.cuda.current_device()


@pytest.mark.skipif(not HAS_CUDA, reason=f"no CUDA here: {cuda_problem()}")
def test_with_a_gpu_cuda_is_available_and_names_it():
    assert telar.cuda.is_available() and telar.cuda.device_count() >= 1
    assert telar.cuda.current_device() == 0 and telar.cuda.get_device_name()
    assert telar.accelerator.current_accelerator() == telar.device("cuda")

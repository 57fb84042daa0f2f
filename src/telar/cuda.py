"""``telar.cuda``: PyTorch's CUDA queries, answered through CuPy (the optional ``cuda`` extra).

``is_available()`` is True only where CuPy imports and finds a CUDA GPU; CuPy is imported on
the first query, never by ``import telar``. Random draws stay on the host (initial weights,
dropout masks), so ``manual_seed`` here has nothing of its own to seed: ``telar.manual_seed``
gives the same numbers on the CPU and on the GPU.

>>> device = "cuda" if telar.cuda.is_available() else "cpu"
"""

from __future__ import annotations

from telar.engine.array import cuda_device_count, cuda_problem, require_cuda


def is_available() -> bool:
    """True where CuPy and a CUDA GPU are present."""
    return cuda_problem() is None


def device_count() -> int:
    """The number of CUDA GPUs (0 without CuPy or a GPU)."""
    return cuda_device_count()


def current_device() -> int:
    """The index of the current GPU (raises where CUDA is not available)."""
    return int(require_cuda().cuda.Device().id)


def get_device_name(device: int | None = None) -> str:
    """The GPU's name, as ``torch.cuda.get_device_name`` gives it."""
    cupy = require_cuda()
    index = 0 if device is None else int(device)
    name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize() -> None:
    """Wait for the GPU's queued work to finish (for timing); nothing to do without CUDA."""
    if is_available():
        require_cuda().cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    """Accepted and ignored: draws are made on the host (``telar.manual_seed`` seeds them)."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored (as :func:`manual_seed`)."""

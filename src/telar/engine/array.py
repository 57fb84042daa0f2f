"""The array module: the one place where the engine meets NumPy (and CuPy, on a GPU).

Every engine module computes with ``xp`` (``xp.exp``, ``xp.matmul``, ``xp.zeros``...), never
with ``numpy`` directly. ``xp`` is NumPy; an operation whose inputs may live on a GPU asks
:func:`array_module` for the module of *its* arrays (CuPy's ``get_array_module``, as DeZero
does it), so one code path serves both::

    xp = array_module(x.array)        # numpy for a NumPy array, cupy for a CuPy array
    out = xp.zeros(x.array.shape)     # created where x lives

``host`` is NumPy whatever the arrays are: it draws initial weights and dropout masks (so a
seed gives the same numbers on any device), names dtypes, and prints arrays. The CPU kernels
(:mod:`telar.engine.cpu`) are the only other engine modules that use NumPy itself: they rely
on its memory layout (strides, scratch buffers, threads). An operation takes them only when
:func:`fast_kernels` says so: for NumPy arrays, outside :func:`generic_path`. Otherwise it
runs the *generic path*, the plain kernels of :mod:`telar.engine.reference`, which is what a
GPU array takes. ``with generic_path():`` (or ``TELAR_GENERIC_PATH=1`` in the environment)
makes NumPy arrays take it too, so the tests run the GPU's code path on a CPU-only machine.

CuPy is optional (``pip install -e '.[cuda]'``): it is imported only when a CUDA device is
asked for or probed (:func:`cuda_problem`), never by importing telar.

>>> from telar.engine.array import xp, array_module
>>> float(xp.exp(0.0)), array_module(xp.ones(2)) is xp
(1.0, True)
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy

from telar.errors import TelarError

#: The module whose functions compute on host arrays (NumPy); see :func:`array_module`.
xp: ModuleType = numpy
#: NumPy, for what stays on the host: random draws, dtype objects, printing.
host: ModuleType = numpy
#: The type of the engine's host arrays, for type hints.
Array = numpy.ndarray
#: A random generator on the host (``numpy.random.Generator``).
RandomGenerator = numpy.random.Generator

#: The environment variable that starts the process on the generic path (tests, CI).
GENERIC_PATH_VARIABLE = "TELAR_GENERIC_PATH"
_generic = os.environ.get(GENERIC_PATH_VARIABLE, "") not in ("", "0")


def is_host_array(a: Any) -> bool:
    """Whether ``a`` is a NumPy array or scalar (memory the CPU kernels can use)."""
    return isinstance(a, numpy.ndarray | numpy.generic)


def _is_cupy(a: Any) -> bool:
    # The type's module, not isinstance: checking must not import CuPy.
    return type(a).__module__.startswith("cupy")


def array_module(*arrays: Any) -> ModuleType:
    """The module that computes on ``arrays``: CuPy for a CuPy array, the array's own
    namespace for another array-API array (``array_api_strict``), else NumPy.

    The first array that is not NumPy's decides; Python numbers and ``None`` are skipped.
    """
    for a in arrays:
        if a is None or type(a) is numpy.ndarray or isinstance(a, numpy.generic | int | float):
            continue
        if isinstance(a, numpy.ndarray):  # a subclass (a gradient array)
            continue
        if _is_cupy(a):
            return _cupy()
        namespace = getattr(a, "__array_namespace__", None)
        if namespace is not None:
            return namespace()
    return numpy


#: NumPy's one-letter dtype kinds, and the array API's names for them (``isdtype``).
_KINDS = (("b", "bool"), ("f", "real floating"), ("c", "complex floating"),
          ("i", "signed integer"), ("u", "unsigned integer"))


def dtype_kind(a: Any) -> str:
    """NumPy's kind of ``a``'s dtype (``"f"``, ``"i"``, ``"u"``, ``"b"``, ``"c"``) for an array
    of any namespace: NumPy's and CuPy's dtypes say it, an array-API dtype is asked."""
    kind = getattr(a.dtype, "kind", None)
    if kind is not None:
        return kind
    module = array_module(a)
    return next((k for k, name in _KINDS if module.isdtype(a.dtype, name)), "?")


def astype(a: Any, dtype: Any) -> Any:
    """``a`` cast to ``dtype`` (a copy), by the method NumPy and CuPy arrays have or the array
    API's ``astype`` function."""
    method = getattr(a, "astype", None)
    return method(dtype) if method is not None else array_module(a).astype(a, dtype)


def fast_kernels(*arrays: Any) -> bool:
    """Whether the CPU kernels (chunks on threads, scratch buffers, split products) may run on
    ``arrays``: all NumPy arrays, and not inside :func:`generic_path`."""
    if _generic:
        return False
    return all(isinstance(a, numpy.ndarray) for a in arrays)


def generic_path_enabled() -> bool:
    """Whether NumPy arrays take the generic path now (:func:`generic_path`)."""
    return _generic


@contextlib.contextmanager
def generic_path(enabled: bool = True) -> Iterator[None]:
    """Inside the block NumPy arrays take the generic path, the one a GPU array takes (plain
    reference kernels, no CPU threads or scratch buffers): how the tests run the GPU's code
    on a CPU. Process-wide while it lasts (a test switch, not a setting)."""
    global _generic
    outer = _generic
    _generic = enabled
    try:
        yield
    finally:
        _generic = outer


def writeable(a: Any) -> bool:
    """Whether ``a`` owns writable memory of its own (False for NumPy's read-only broadcast
    views; for a device array we cannot tell, so False: the caller copies)."""
    flags = getattr(a, "flags", None)
    return bool(getattr(flags, "writeable", False))


def copy(a: Any) -> Any:
    """A copy of ``a`` with memory of its own (NumPy's and CuPy's ``.copy()``; an array-API
    array has no such method)."""
    method = getattr(a, "copy", None)
    return method() if method is not None else array_module(a).asarray(a, copy=True)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` where an index used twice adds twice (unbuffered):
    NumPy's ``add.at``, CuPy's ``cupyx.scatter_add``."""
    if _is_cupy(target):
        import cupyx  # with CuPy (the `cuda` extra), only ever for a CuPy array

        cupyx.scatter_add(target, index, values)
    else:
        array_module(target).add.at(target, index, values)


# ----------------------------------------------------------------------------- devices
def device_of(a: Any) -> tuple[str, int | None]:
    """``("cpu", None)`` for a host array, ``("cuda", index)`` for a CuPy array."""
    if _is_cupy(a):
        return "cuda", int(a.device.id)
    return "cpu", None


def to_host(a: Any) -> Any:
    """``a`` as a NumPy array (copied from the GPU), or ``a`` itself when it is on the host."""
    if _is_cupy(a):
        return a.get()
    return a


def to_device(a: Any, kind: str, index: int | None = None) -> Any:
    """``a`` on device ``kind`` (``"cpu"`` or ``"cuda"``, GPU ``index``); ``a`` itself when it
    is there already. Moving to the GPU needs CuPy and a GPU (:func:`require_cuda`)."""
    if kind == "cpu":
        return to_host(a)
    cupy = require_cuda()
    index = 0 if index is None else index
    if _is_cupy(a) and a.device.id == index:
        return a
    with cupy.cuda.Device(index):
        return cupy.asarray(a)


def _cupy() -> ModuleType:
    import cupy  # the optional `cuda` extra; only ever imported for a CUDA device

    return cupy


def cuda_problem() -> str | None:
    """Why CUDA cannot be used here, in one sentence (None when it can): CuPy missing, CuPy
    unable to load CUDA, or no GPU."""
    try:
        cupy = _cupy()
    except ImportError:
        return ("CUDA is not available: CuPy is not installed (install it with "
                "pip install -e '.[cuda]' from a clone of telar)")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver or runtime missing: CuPy raises its own types
        return f"CUDA is not available: CuPy is installed but finds no CUDA GPU ({error})"
    if count < 1:
        return "CUDA is not available: CuPy is installed but this machine has no CUDA GPU"
    return None


def cuda_device_count() -> int:
    """Number of CUDA GPUs CuPy sees (0 without CuPy)."""
    return 0 if cuda_problem() is not None else int(_cupy().cuda.runtime.getDeviceCount())


class CudaUnavailableError(TelarError, RuntimeError):
    """A CUDA device was asked for where CuPy or a GPU is missing (a one-line error on the
    command line, a ``RuntimeError`` as in PyTorch without CUDA)."""


def require_cuda() -> ModuleType:
    """CuPy, or :class:`CudaUnavailableError` saying what is missing and how to install it."""
    problem = cuda_problem()
    if problem is not None:
        raise CudaUnavailableError(problem)
    return _cupy()


def out_of_memory_errors() -> tuple[type[BaseException], ...]:
    """The exception types of a GPU out of memory (CuPy's, when CuPy is loaded), for
    ``except`` clauses around training; empty when CuPy was never imported."""
    cupy = sys.modules.get("cupy")
    if cupy is None:
        return ()
    return (cupy.cuda.memory.OutOfMemoryError,)


__all__ = ["xp", "host", "Array", "RandomGenerator", "array_module", "dtype_kind", "astype",
           "fast_kernels",
           "generic_path", "generic_path_enabled", "is_host_array", "writeable", "copy",
           "scatter_add", "device_of", "to_host", "to_device", "cuda_problem",
           "cuda_device_count", "require_cuda", "CudaUnavailableError",
           "out_of_memory_errors", "GENERIC_PATH_VARIABLE"]

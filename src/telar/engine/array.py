"""The array module: the one place where the engine meets NumPy.

Every engine module computes with ``xp`` (``xp.exp``, ``xp.matmul``, ``xp.zeros``...), never
with ``numpy`` directly, so a backend with NumPy's interface (CuPy on a GPU) plugs in here, the
way DeZero and CuPy's own ``get_array_module`` do it. ``host`` is NumPy whatever ``xp`` is: it
draws initial weights and dropout masks (so a seed gives the same numbers on any backend),
names dtypes, and prints arrays. The CPU kernels (:mod:`telar.engine.cpu`) are the only engine
modules that use NumPy itself: they rely on its memory layout (strides, scratch buffers).

>>> from telar.engine.array import xp
>>> float(xp.exp(0.0))
1.0
"""

from __future__ import annotations

from types import ModuleType

import numpy

#: The module whose functions compute on the engine's arrays (NumPy; CuPy would go here).
xp: ModuleType = numpy
#: NumPy, for what stays on the host: random draws, dtype objects, printing.
host: ModuleType = numpy
#: The type of the engine's arrays, for type hints.
Array = numpy.ndarray
#: A random generator on the host (``numpy.random.Generator``).
RandomGenerator = numpy.random.Generator

__all__ = ["xp", "host", "Array", "RandomGenerator"]

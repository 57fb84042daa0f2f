"""The array-module shim: every array operation goes through ``xp``.

NumPy today; a CuPy backend can later swap in here without touching the layers,
the same way DeZero and CuPy's own ``get_array_module`` do it.
"""

from types import ModuleType

import numpy

xp: ModuleType = numpy


def get_array_module(*arrays: object) -> ModuleType:
    """Return the array module (``numpy`` or, later, ``cupy``) that owns ``arrays``."""
    return numpy

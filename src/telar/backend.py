"""The array-module shim: every array operation goes through ``xp``.

The autodiff engine (``functional.py``, ``functional_conv.py``, ``autograd.py``), the
optimisers and their kernels (``optim/``) and the hand-written network (``handwritten/``) all
compute with ``xp.…``; NumPy names remain only in type hints and for the host-side random
draws of initial weights (so a seed gives the same weights on any backend). NumPy today; a
CuPy backend changes this one module, the way DeZero and CuPy's own ``get_array_module`` do it.
"""

from types import ModuleType

import numpy

xp: ModuleType = numpy


def get_array_module(*arrays: object) -> ModuleType:
    """Return the array module (``numpy`` or, later, ``cupy``) that owns ``arrays``."""
    return numpy

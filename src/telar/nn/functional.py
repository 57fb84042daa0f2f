"""``telar.nn.functional``: PyTorch's ``torch.nn.functional``, the engine's operations.

Every name is :mod:`telar.engine.functional`'s (where each operation is listed with the module
that defines it, forward beside backward); this module only gives them PyTorch's path.
"""

from telar.engine.functional import *  # noqa: F403
from telar.engine.functional import __all__  # noqa: F401

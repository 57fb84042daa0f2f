"""telar: neural networks written from scratch on NumPy, for Fashion-MNIST and its kin.

Its surface speaks PyTorch: ``import telar as torch`` runs most CPU training scripts for
(Fashion-)MNIST unchanged (see docs/coming-from-pytorch.md).
"""

__version__ = "0.1.0"

import importlib as _importlib  # noqa: E402
from typing import Any as _Any  # noqa: E402

from telar.autograd import Tensor, enable_grad, is_grad_enabled, no_grad, tensor  # noqa: E402
from telar.device import device  # noqa: E402
from telar.factories import *  # noqa: E402,F403
from telar.factories import DTYPES as _DTYPES  # noqa: E402
from telar.gradcheck import gradcheck  # noqa: E402
from telar.random import (  # noqa: E402
    Generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from telar.serialization import load, save  # noqa: E402

# Sub-packages PyTorch scripts reach as attributes (`torch.nn.Linear`, `torch.utils.data...`),
# imported on first use so `import telar` stays light.
_LAZY = ("nn", "optim", "utils", "datasets", "transforms", "cuda", "accelerator", "backends",
         "data", "functional", "random")


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        return _importlib.import_module(f"telar.{name}")
    raise AttributeError(f"module 'telar' has no attribute {name!r}")


__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck",
           "device", "manual_seed", "seed", "initial_seed", "Generator", "get_rng_state",
           "set_rng_state", "save", "load", "__version__", *_DTYPES]

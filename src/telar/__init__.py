"""telar: neural networks written from scratch on NumPy, for Fashion-MNIST and its kin.

Its surface speaks PyTorch: ``import telar as torch`` runs most CPU training scripts for
(Fashion-)MNIST unchanged (see the README's "Coming from PyTorch").

Every name here is imported on first use (PEP 562), so ``import telar`` (and the ``telar``
command's start, which must react to Ctrl-C at once) does not wait for NumPy.
"""

__version__ = "0.1.0"

import importlib as _importlib
from typing import Any as _Any

#: name -> the module that defines it
_FROM = {
    **dict.fromkeys(("Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled"),
                    "telar.autograd"),
    "device": "telar.devices",
    "gradcheck": "telar.gradient_check",
    **dict.fromkeys(("Generator", "get_rng_state", "initial_seed", "manual_seed", "seed",
                     "set_rng_state"), "telar.random"),
    "load": "telar.serialization", "save": "telar.serialization",
}
# Sub-packages PyTorch scripts reach as attributes (`torch.nn.Linear`, `torch.utils.data...`).
_LAZY = ("nn", "optim", "utils", "datasets", "transforms", "cuda", "accelerator", "backends",
         "data", "functional", "random")
# PyTorch's dtype names, defined in telar.factories with the tensor factories (zeros, ...).
_DTYPES = ("float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32",
           "int", "int16", "short", "int8", "uint8", "bool")


def __getattr__(name: str) -> _Any:
    if name in _FROM:
        value = getattr(_importlib.import_module(_FROM[name]), name)
    elif name in _LAZY:
        value = _importlib.import_module(f"telar.{name}")
    else:
        factories = _importlib.import_module("telar.factories")
        if name.startswith("_") or not hasattr(factories, name):
            raise AttributeError(f"module 'telar' has no attribute {name!r}")
        value = getattr(factories, name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck",
           "device", "manual_seed", "seed", "initial_seed", "Generator", "get_rng_state",
           "set_rng_state", "save", "load", "__version__", *_DTYPES]

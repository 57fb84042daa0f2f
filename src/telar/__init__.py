"""telar: neural networks written from scratch on NumPy, for Fashion-MNIST and its kin.

Its surface speaks PyTorch: ``import telar as torch`` runs most CPU training scripts for
(Fashion-)MNIST unchanged (see the README's "Coming from PyTorch"). This module is that
surface's top level: each name is a thin re-export, looked up on first use (PEP 562), so
``import telar`` (and the ``telar`` command's start, which must react to Ctrl-C at once) does
not wait for NumPy.

Where things live: ``telar.engine`` (tensors and every operation), ``telar.nn``,
``telar.optim``, ``telar.train``, ``telar.data``, ``telar.app`` (runs, evaluation, reports,
the command); the README's "Architecture" section draws the layers.
"""

import importlib as _importlib
from typing import Any as _Any

from telar.version import __version__

#: name -> the module that defines it
_FROM = {
    **dict.fromkeys(("Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "device",
                     "gradcheck", "Generator", "get_rng_state", "initial_seed", "manual_seed",
                     "seed", "set_rng_state"), "telar.engine"),
    "load": "telar.serialization", "save": "telar.serialization",
    **dict.fromkeys(("save_safetensors", "load_safetensors"), "telar.io.safetensors"),
    "load_predictor": "telar.app.inference",  # a trained model file, ready to predict
}
#: Sub-packages and modules reached as attributes (``torch.nn.Linear``, ``torch.utils.data``...).
_MODULES = {name: f"telar.{name}" for name in (
    "nn", "optim", "utils", "datasets", "transforms", "cuda", "accelerator", "backends", "data",
    "engine", "train", "handwritten", "app", "evaluation", "onnx", "sklearn")}
_MODULES["functional"] = "telar.engine.functional"  # telar.functional: every operation
_MODULES["random"] = "telar.engine.random"
#: Modules whose public names are telar's top-level names: dtypes (``telar.float32``), tensor
#: factories (``telar.zeros``) and PyTorch's top-level functions (``telar.cat``).
_SURFACE = ("telar.engine.dtypes", "telar.factories", "telar.tensor_functions")


def __getattr__(name: str) -> _Any:
    if name in _FROM:
        value = getattr(_importlib.import_module(_FROM[name]), name)
    elif name in _MODULES:
        value = _importlib.import_module(_MODULES[name])
    else:
        for module_name in _SURFACE:
            module = _importlib.import_module(module_name)
            if not name.startswith("_") and name in getattr(module, "__all__", ()):
                value = getattr(module, name)
                break
        else:
            raise AttributeError(f"module 'telar' has no attribute {name!r}")
    globals()[name] = value  # the next lookup is a plain attribute
    return value


__all__ = [*_FROM, "__version__", "float32", "float", "float64", "double", "float16", "half",
           "int64", "long", "int32", "int", "int16", "short", "int8", "uint8", "bool"]

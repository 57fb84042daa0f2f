"""Optuna and Dask, imported only when a sweep needs them, with a one-line error when missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from telar.errors import TelarError

INSTALL = "pip install -e '.[sweep]' from a clone of telar"


def optional(module: str, what: str) -> ModuleType:
    """``import module``, or a :class:`TelarError` naming the ``sweep`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TelarError(f"{what} needs {module.split('.')[0]}, which is not installed: "
                         f"{INSTALL}") from None


def optuna() -> ModuleType:
    """The ``optuna`` package (quiet: telar reports the trials itself)."""
    module = optional("optuna", "telar sweep")
    module.logging.set_verbosity(module.logging.WARNING)
    return module


def distributed() -> ModuleType:
    """Dask's ``distributed`` package (``Client``, ``LocalCluster``)."""
    return optional("distributed", "telar sweep --dask")

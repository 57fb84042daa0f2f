"""Files telar writes and reads, safely.

- :mod:`~telar.io.atomic`: atomic writes (a temporary file, then a rename);
- :mod:`~telar.io.telar_file`: the one file format (``.npz`` arrays + JSON metadata, never
  pickle) for model files, checkpoints and ``telar.save``;
- :mod:`~telar.io.text`: text from files and users made inert before it is printed.

torchvision's ``io.read_image`` and ``io.ImageReadMode`` are reached here too
(``from telar.io import read_image``); they live in :mod:`telar.image_io`, a module of the
PyTorch-named surface above the engine, so this foundation package names them without importing
them (PEP 562, as ``telar/__init__.py`` does for the top-level names).
"""

import importlib as _importlib
from typing import Any as _Any

#: name -> the module above this package that defines it (imported on first use)
_SURFACE_NAMES = {"read_image": "telar.image_io", "ImageReadMode": "telar.image_io"}


def __getattr__(name: str) -> _Any:
    if name in _SURFACE_NAMES:
        return getattr(_importlib.import_module(_SURFACE_NAMES[name]), name)
    raise AttributeError(f"module 'telar.io' has no attribute {name!r}")

"""A trained run's model, exported: ONNX for ONNX Runtime, safetensors for PyTorch.

``export_model(RUN, "onnx", OUT)`` loads the run's ``model.npz`` (or a model file given
directly) as :func:`telar.app.inference.load_predictor` does, then writes

- ``onnx``: :func:`telar.onnx.export` of the network with the file's preprocessing (raw uint8
  images ``(batch, 28, 28)`` in, ``probabilities`` and ``logits`` out) and the class names in
  ``metadata_props``;
- ``safetensors``: the model file's arrays as they are (telar's state dict: PyTorch's names
  for layer and dense networks, ``weight0``/``bias0``... for the hand-written network), with
  the architecture, class names and preprocessing as JSON text in ``__metadata__``.

Every check comes before anything is written: the output must not exist unless
``overwrite``, the run must hold a model; the file itself is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from telar.app.inference import load_predictor
from telar.app.run_folder import RunFolder
from telar.errors import ConfigError, TelarError
from telar.io.safetensors import save_safetensors
from telar.version import __version__

FORMATS = ("onnx", "safetensors")


def model_path_of(target: Path) -> Path:
    """The model file of ``target`` (a run folder or a model file); TelarError if none."""
    if target.is_dir():
        path = RunFolder(target).model_path
        if not path.is_file():
            raise TelarError(f"{target}: no {RunFolder.MODEL} in this run folder (has the "
                             f"run finished?)")
        return path
    if not target.is_file():
        raise TelarError(f"{target}: no such run folder or model file")
    return target


def export_model(target: str | Path, fmt: str, out: str | Path, *,
                 overwrite: bool = False) -> Path:
    """Write the model of ``target`` to ``out`` in ``fmt`` (:data:`FORMATS`); ``out``."""
    target, out = Path(target), Path(out)
    if fmt not in FORMATS:
        raise ConfigError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if out.is_dir():
        raise TelarError(f"{out}: is a folder; give the file to write")
    if out.exists() and not overwrite:
        raise TelarError(f"{out}: exists (use --overwrite to replace it)")
    model = model_path_of(target)
    if out.resolve() == model.resolve():
        raise TelarError(f"{out}: is the model file being exported")
    predictor = load_predictor(model)
    model_file = predictor.model_file
    if fmt == "onnx":
        import numpy as np

        from telar.onnx import export

        shape = [int(d) for d in model_file.preprocessing.get("input_shape", [28, 28])]
        scale = model_file.preprocessing.get("scale", 1 / 255)
        export(predictor.network, np.zeros((1, *shape), np.uint8), out,
               class_names=predictor.class_names, preprocessing={"scale": scale})
    else:
        from telar.io.model_file import load_model

        # the file's own arrays (a loaded predictor lets its copy go once the network has them)
        save_safetensors(load_model(model).arrays, out, metadata={
            "producer": "telar", "telar_version": __version__,
            "architecture": json.dumps(model_file.architecture),
            "class_names": json.dumps(list(model_file.class_names)),
            "preprocessing": json.dumps(model_file.preprocessing)})
    return out

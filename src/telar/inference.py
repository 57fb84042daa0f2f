"""Rebuild a trained network from a model file, without the code that trained it.

The architecture in the file's metadata picks the builder: ``{"kind": "mlp", …}`` goes to
``telar.nn.build_mlp`` (then ``load_state_dict``), ``{"kind": "seed", "sizes": […]}`` to the
report's :class:`telar.seed.SeedNetwork`. Only arrays and JSON are read (no pickle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from telar.checkpoint import ModelFile, load_model
from telar.errors import TelarError


class Predictor:
    """A loaded model: ``logits(x)`` for inputs prepared as ``preprocess(images)`` says."""

    def __init__(self, model_file: ModelFile, network: Any) -> None:
        self.model_file = model_file
        self.network = network
        self.class_names = model_file.class_names

    def logits(self, x: np.ndarray) -> np.ndarray:
        return self.network.logits(x)

    def preprocess(self, images: np.ndarray) -> np.ndarray:
        """uint8 images ``(n, 28, 28)`` -> float32 rows, as the model was trained."""
        pre = self.model_file.preprocessing
        shape = tuple(pre.get("input_shape", images.shape[1:]))
        if tuple(images.shape[1:]) != shape:
            raise TelarError(f"{self.model_file.path}: the model takes images of shape "
                             f"{shape}, got {tuple(images.shape[1:])}")
        x = images.reshape(len(images), -1).astype(pre.get("dtype", "float32"))
        x *= np.asarray(pre.get("scale", 1 / 255), dtype=x.dtype)
        return x


def load_predictor(path: str | Path) -> Predictor:
    """Load ``path`` and rebuild its network; ModelFileError if the file or its contents are bad."""
    model_file = load_model(path)
    return Predictor(model_file, rebuild(model_file))


def rebuild(model_file: ModelFile) -> Any:
    """The network described by ``model_file.architecture``, with its weights loaded."""
    from telar.errors import ModelFileError

    arch = dict(model_file.architecture)
    kind = arch.pop("kind", None)
    try:
        if kind == "seed":
            from telar.seed import SeedLearner
            learner = SeedLearner.from_spec({"kind": "seed", "sizes": arch["sizes"]})
            learner.load_state_arrays(model_file.arrays)
            return learner
        if kind == "mlp":
            return _ModuleNetwork(arch, model_file.arrays)
    except TelarError as exc:
        raise ModelFileError(f"{model_file.path}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{model_file.path}: architecture does not fit its weights "
                             f"({type(exc).__name__}: {exc})") from None
    raise ModelFileError(f"{model_file.path}: unknown architecture kind {kind!r}")


class _ModuleNetwork:
    """An autograd network in evaluation mode behind ``logits(x)``."""

    def __init__(self, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        from telar.nn import build_mlp
        self.model = build_mlp(spec)
        self.model.load_state_dict(arrays)
        self.model.eval()

    def logits(self, x: np.ndarray, chunk: int = 8192) -> np.ndarray:
        from telar.autograd import Tensor, no_grad
        with no_grad():
            return np.concatenate([self.model(Tensor(x[i:i + chunk])).data
                                   for i in range(0, len(x), chunk)])

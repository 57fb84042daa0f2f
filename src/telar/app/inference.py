"""A model file -> a :class:`Predictor`: the network rebuilt for inference, nothing else.

The architecture in the file's metadata is checked and rebuilt by the one registry of network
kinds, :mod:`telar.app.architectures` (``{"kind": "mlp", …}`` -> :class:`telar.nn.DenseNet`,
``{"kind": "handwritten", "sizes": […]}`` -> :class:`telar.handwritten.HandwrittenNetwork`,
``{"kind": "layers", "layers": […], "input_shape": […]}`` -> :class:`telar.nn.LayerNet`; files
saved with the old kind ``seed`` load as ``handwritten``). No optimiser is built and only
arrays and JSON are read (no pickle). Every caller that runs a saved model uses this:
``telar evaluate``, predictions, reports.

>>> predictor = load_predictor("runs/x/model.npz")                # doctest: +SKIP
>>> probabilities = predictor.probabilities(predictor.preprocess(images_uint8))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from telar.app.architectures import check_fits, rebuild
from telar.app.run_folder import RunFolder
from telar.engine.activations import softmax_array
from telar.engine.devices import device
from telar.errors import ConfigError, ModelFileError, TelarError
from telar.io.model_file import ModelFile, load_model
from telar.io.telar_file import manifest_shapes
from telar.nn import Module

#: Rows per forward pass when scoring many images: bounds the activations' memory.
CHUNK = 8192


class Predictor:
    """A trained network in inference mode (no dropout, batch-norm running statistics), what
    ``telar.load_predictor(path)`` returns for a model file or run folder.

    ``predict(images)`` and ``predict_proba(images)`` take uint8 images as they come;
    ``preprocess(images)`` turns them into the model's input as the file says, and
    ``logits(x)`` and ``probabilities(x)`` score that. ``network`` is the model itself,
    ``class_names`` its classes.
    """

    def __init__(self, model_file: ModelFile, network: Any,
                 logits_fn: Callable[[np.ndarray], np.ndarray]) -> None:
        self.model_file = model_file
        self.network = network
        self.class_names: tuple[str, ...] = tuple(model_file.class_names)
        self._logits = logits_fn

    @property
    def path(self) -> Path:
        return Path(self.model_file.path)

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Class scores ``(n, classes)`` for prepared inputs, ``CHUNK`` rows at a time."""
        if len(x) <= CHUNK:
            return self._logits(x)
        return np.concatenate([self._logits(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Softmax of the logits: ``exp(z - max z) / sum(exp(z - max z))`` per row, float64."""
        return softmax_array(self.logits(x).astype(np.float64), axis=1)

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, classes)`` of uint8 images ``(n, 28, 28)`` (or one image
        ``(28, 28)``: then ``(classes,)``), preprocessed as the model was trained."""
        images = np.asarray(images)
        one = images.ndim == len(self.model_file.preprocessing.get("input_shape", (28, 28)))
        probs = self.probabilities(self.preprocess(images[None] if one else images))
        return probs[0] if one else probs

    def predict(self, images: np.ndarray) -> list[str] | str:
        """The class name of each image (one name for one image)::

            >>> model = telar.load_predictor("runs/cnn")            # doctest: +SKIP
            >>> model.predict(test_images[:3])                      # doctest: +SKIP
            ['Ankle boot', 'Pullover', 'Trouser']
        """
        probs = self.predict_proba(images)
        if probs.ndim == 1:
            return self.class_names[int(probs.argmax())]
        return [self.class_names[i] for i in probs.argmax(axis=1)]

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


def load_predictor(path: str | Path, on: device | None = None) -> Predictor:
    """Load ``path`` (a model file, or a run folder holding ``model.npz``) for inference;
    :class:`ModelFileError` if the file or its contents are bad.

    The file's container (class names, preprocessing) is checked as it is read
    (:func:`telar.io.model_file.load_model`), its architecture by the registry before anything
    is built (:func:`telar.app.architectures.rebuild`). ``on``: the device the network runs
    on (default the CPU); scores always come back as host arrays."""
    path = Path(path)
    if path.is_dir():
        path = RunFolder(path).model_path
    model_file = load_model(path, check_architecture)
    try:
        network, logits = rebuild(model_file.architecture, model_file.arrays,
                                  input_shape=model_file.preprocessing.get("input_shape"),
                                  classes=len(model_file.class_names))
        # the network holds the weights now: the file's copy of them is let go
        model_file = dataclasses.replace(model_file, arrays={})
    except TelarError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: architecture does not fit its weights "
                             f"({type(exc).__name__}: {exc})") from None
    if on is not None and on.type != "cpu":
        if not isinstance(network, Module):
            raise ConfigError(f"--device {on}: {path} holds the hand-written network, which runs "
                              "on the CPU only (use --device cpu)")
        network.to(on)
    predictor = Predictor(model_file, network, logits)
    _check_input_fits(predictor)
    return predictor


def check_architecture(path: Path, meta: dict[str, Any]) -> None:
    """A model file's architecture against its metadata and the array shapes its manifest
    lists (:func:`telar.app.architectures.check_fits`), before any array is read: a file
    declaring more than the size budget, or other arrays than its network, costs nothing."""
    try:
        check_fits(meta["architecture"], manifest_shapes(path, meta),
                   input_shape=meta["preprocessing"].get("input_shape"),
                   classes=len(meta["class_names"]))
    except TelarError as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def _check_input_fits(predictor: Predictor) -> None:
    """One blank image through preprocessing and the network: a file whose preprocessing does
    not give what the network takes is refused now, not in the middle of a data set."""
    shape = predictor.model_file.preprocessing.get("input_shape", [28, 28])
    try:
        blank = np.zeros((1, *[int(d) for d in shape]), np.uint8)
        z = predictor.logits(predictor.preprocess(blank))
    except (TelarError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{predictor.path}: the network does not take the input its "
                             f"preprocessing makes ({exc})") from None
    if z.shape != (1, len(predictor.class_names)):
        raise ModelFileError(f"{predictor.path}: the network gives {z.shape[-1]} scores for "
                             f"{len(predictor.class_names)} class names")

"""``telar.onnx.export(model, example_input, path)``: a telar network as an ONNX file.

What goes in: a network telar builds (a :class:`~telar.nn.LayerNet` or
:class:`~telar.nn.DenseNet`, any :class:`~telar.nn.Sequential` of the layers of
:data:`telar.onnx.layers.CONVERTERS`, nested or not, or the report's
:class:`~telar.handwritten.HandwrittenNetwork`) and an example batch. The example is run through
the network layer by layer in evaluation mode (dropout off, batch norm on its running
statistics) to learn every layer's shapes, as PyTorch's exporter traces its model; the batch
dimension stays free (``"batch"``).

Two kinds of graph, chosen by the example's dtype:

- a **uint8** example (raw images, e.g. ``(n, 28, 28)``): the graph takes the images and does
  the preprocessing itself, ``x = reshape(float(images), network input) * scale`` (then
  ``(x - mean) / std`` if the ``preprocessing`` asks for it), and returns
  ``probabilities = softmax(logits)`` and ``logits``: what ``telar predict`` computes;
- a **float** example: the graph takes what the network takes and returns its ``logits``
  (PyTorch's behaviour).

``class_names`` (and the preprocessing, telar's version, the architecture) go in the model's
``metadata_props`` as JSON text. The graph passes ``onnx.checker.check_model(model,
full_check=True)`` before the file is written (atomically).

>>> export(net, images_uint8[:1], "model.onnx", class_names=names)   # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

import numpy as np

from telar.engine import Tensor, no_grad
from telar.errors import ConfigError, TelarError
from telar.handwritten import HandwrittenNetwork
from telar.io.atomic import atomic_write
from telar.nn.container import Sequential
from telar.nn.module import Module
from telar.onnx.graph import GraphBuilder
from telar.onnx.layers import CONVERTERS
from telar.version import __version__

#: How raw uint8 pixels become inputs by default: telar's model files' ``x / 255``.
DEFAULT_SCALE = 1 / 255
Shape = tuple[int, ...]


def export(model: Any, example_input: Any, path: str | os.PathLike[str] | IO[bytes], *,
           class_names: Sequence[str] | None = None,
           preprocessing: Mapping[str, Any] | None = None,
           input_names: Sequence[str] | None = None,
           output_names: Sequence[str] | None = None) -> Any:
    """Write ``model`` as an ONNX graph to ``path`` (a file name, written atomically, or a
    binary file object); returns the ``onnx.ModelProto``.

    ``example_input``: a batch (Tensor or array, batch first) the network takes; uint8 means
    raw images, and the graph then preprocesses them and gives probabilities (module doc).
    ``preprocessing`` (raw images only): ``scale`` (1/255), optional ``mean`` and ``std``.
    ``input_names`` / ``output_names``: PyTorch's; default ``images`` or ``input``, and
    ``probabilities, logits`` or ``logits``. ConfigError names what cannot be exported.
    """
    example = np.asarray(example_input.data if isinstance(example_input, Tensor)
                         else example_input)
    if example.ndim < 2 or len(example) < 1:
        raise ConfigError(f"telar.onnx.export: example_input must be a batch (batch first) "
                          f"of at least one sample, got shape {example.shape}")
    raw = example.dtype == np.uint8
    if not raw and not np.issubdtype(example.dtype, np.floating):
        raise ConfigError(f"telar.onnx.export: example_input must be uint8 images or floats, "
                          f"got {example.dtype}")
    if preprocessing is not None and not raw:
        raise ConfigError("telar.onnx.export: preprocessing applies to uint8 images only; "
                          "the example input is float")
    pre = _preprocessing(preprocessing or {})
    g = GraphBuilder()
    onnx = g.onnx
    names = _io_names(raw, input_names, output_names)
    batch_in = _network_input(model, example, pre) if raw else example.astype(np.float32)
    dims = ["batch", *example.shape[1:]]
    elem = onnx.TensorProto.UINT8 if raw else onnx.TensorProto.FLOAT
    x = names[0]
    if raw:
        x = _preprocess_nodes(g, x, batch_in.shape[1:], pre)
    logits, classes = _network_nodes(g, model, x, batch_in)
    if class_names is not None and len(class_names) != classes:
        raise ConfigError(f"telar.onnx.export: {len(class_names)} class names for a network "
                          f"with {classes} outputs")
    outputs = [(names[-1], classes)]
    if raw:
        g.node("Softmax", [logits], names[1], axis=-1)
        g.node("Identity", [logits], names[2])
        outputs = [(names[1], classes), (names[2], classes)]
    else:
        g.node("Identity", [logits], names[1])
    helper = onnx.helper
    model_proto = g.model(
        type(model).__name__,
        [helper.make_tensor_value_info(names[0], elem, dims)],
        [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, ["batch", k])
         for n, k in outputs],
        _metadata(model, class_names, pre if raw else None, dims, raw),
        doc=f"telar {type(model).__name__}: " + (
            f"uint8 images {tuple(dims)} in, class probabilities and logits out" if raw else
            f"float inputs {tuple(dims)} in, logits out"))
    model_proto.producer_version = __version__
    if model_proto.ByteSize() >= 2**31:  # protobuf's limit for one message
        raise ConfigError(f"telar.onnx.export: the graph is {model_proto.ByteSize() / 2**30:.1f}"
                          f" GiB, over the 2 GiB an ONNX file without external data can hold")
    onnx.checker.check_model(model_proto, full_check=True)
    data = model_proto.SerializeToString()
    if hasattr(path, "write"):
        path.write(data)
    else:
        with atomic_write(path) as f:
            f.write(data)
    return model_proto


# --------------------------------------------------------------------------- the parts
def _preprocessing(pre: Mapping[str, Any]) -> dict[str, float]:
    """``scale``, ``mean``, ``std`` checked: finite numbers, ``scale`` and ``std`` positive."""
    out = {"scale": pre.get("scale", DEFAULT_SCALE), "mean": pre.get("mean", 0.0),
           "std": pre.get("std", 1.0)}
    for key, value in out.items():
        ok = isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value) and (key == "mean" or value > 0)
        if not ok:
            raise ConfigError(f"telar.onnx.export: preprocessing.{key}: expected a finite "
                              f"{'number' if key == 'mean' else 'positive number'}, "
                              f"got {value!r}")
    return {k: float(v) for k, v in out.items()}


def _io_names(raw: bool, inputs: Sequence[str] | None, outputs: Sequence[str] | None
              ) -> list[str]:
    default_out = ["probabilities", "logits"] if raw else ["logits"]
    names = [*(inputs or ["images" if raw else "input"]), *(outputs or default_out)]
    if len(names) != 1 + len(default_out) or len(set(names)) != len(names) \
            or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"telar.onnx.export: expected 1 input name and {len(default_out)} "
                          f"distinct output names ({', '.join(default_out)}), got {names}")
    return names


def _network_input_shape(model: Any, example: np.ndarray) -> Shape:
    """What one sample looks like to the network: a LayerNet's ``input_shape``, the
    hand-written network's first width, else the example's own per-sample shape."""
    if isinstance(model, HandwrittenNetwork):
        return (int(model.sizes[0]),)
    shape = getattr(model, "input_shape", None)
    return tuple(int(d) for d in shape) if shape is not None else tuple(example.shape[1:])


def _network_input(model: Any, images: np.ndarray, pre: dict[str, float]) -> np.ndarray:
    """The example images as the network takes them (what the graph's preprocessing does)."""
    shape = _network_input_shape(model, images)
    if math.prod(shape) != math.prod(images.shape[1:]):
        raise ConfigError(f"telar.onnx.export: images of shape {images.shape[1:]} cannot "
                          f"become the network's input {shape}")
    x = images.reshape(len(images), *shape).astype(np.float32)
    x *= np.float32(pre["scale"])
    return (x - np.float32(pre["mean"])) / np.float32(pre["std"])


def _preprocess_nodes(g: GraphBuilder, images: str, shape: Shape, pre: dict[str, float]) -> str:
    """``reshape(float(images), (batch, *shape)) * scale`` (``- mean``, ``/ std``): the
    multiplication by a float32 ``scale``, as :class:`telar.app.inference.Predictor` does."""
    x = g.node("Cast", [images], to=g.onnx.TensorProto.FLOAT)
    x = g.node("Reshape", [x, g.shape([0, *shape])])
    x = g.node("Mul", [x, g.weight(np.float32(pre["scale"]), "scale")])
    if pre["mean"] != 0.0:
        x = g.node("Sub", [x, g.weight(np.float32(pre["mean"]), "mean")])
    if pre["std"] != 1.0:
        x = g.node("Div", [x, g.weight(np.float32(pre["std"]), "std")])
    return x


def leaves(module: Module, prefix: str = "") -> Iterator[tuple[str, Module]]:
    """The layers a sequential network applies, in order, nested Sequentials opened."""
    if type(module).forward is Sequential.forward:
        for name, child in module.named_children():
            yield from leaves(child, f"{prefix}{name}.")
    else:
        yield prefix.rstrip(".") or type(module).__name__, module


def _unsupported(where: str, module: Any) -> ConfigError:
    known = ", ".join(sorted({c.__name__ for c in CONVERTERS} | {"Sequential",
                                                                  "HandwrittenNetwork"}))
    return ConfigError(f"telar.onnx.export: cannot express {where} "
                       f"({type(module).__module__}.{type(module).__name__}) in ONNX; "
                       f"exportable: {known}")


def _network_nodes(g: GraphBuilder, model: Any, x: str, batch: np.ndarray) -> tuple[str, int]:
    """The network's nodes after input ``x``; the logits' name and width."""
    if isinstance(model, HandwrittenNetwork):
        return _handwritten_nodes(g, model, x, batch)
    if not isinstance(model, Module):
        raise _unsupported("the model", model)
    layers = list(leaves(model))
    for where, layer in layers:
        if type(layer) not in CONVERTERS:
            raise _unsupported(f"layer {where!r}", layer)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            t = Tensor(batch)
            for where, layer in layers:
                try:
                    out = layer(t)
                except (TelarError, ValueError, TypeError) as exc:
                    raise ConfigError(f"telar.onnx.export: the example input does not fit "
                                      f"layer {where!r} ({exc})") from None
                x = CONVERTERS[type(layer)](g, layer, x, t.data.shape, out.data.shape)
                t = out
    finally:
        model.train(was_training)
    if t.data.ndim != 2:
        raise ConfigError(f"telar.onnx.export: the network gives outputs of shape "
                          f"{t.data.shape[1:]} per sample; expected class scores (flat)")
    return x, int(t.data.shape[1])


def _handwritten_nodes(g: GraphBuilder, model: HandwrittenNetwork, x: str,
                       batch: np.ndarray) -> tuple[str, int]:
    """``h = x @ W[l] + b[l]`` (``W[l]`` is ``(n_in, n_out)``: ``Gemm`` without transposing),
    ``relu`` between layers, none after the last."""
    if batch.shape[1:] != (model.sizes[0],):
        raise ConfigError(f"telar.onnx.export: the network takes rows of {model.sizes[0]} "
                          f"values, got samples of shape {batch.shape[1:]}")
    last = len(model.weights) - 1
    for layer, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
        x = g.node("Gemm", [x, g.weight(np.asarray(w, np.float32), f"weight{layer}"),
                            g.weight(np.asarray(b, np.float32), f"bias{layer}")])
        if layer < last:
            x = g.node("Relu", [x])
    return x, int(model.sizes[-1])


def _metadata(model: Any, class_names: Sequence[str] | None, pre: dict[str, float] | None,
              dims: list[Any], raw: bool) -> dict[str, str]:
    """``metadata_props``: text, JSON where structured."""
    meta = {"producer": "telar", "telar_version": __version__,
            "input": json.dumps({"shape": dims, "dtype": "uint8" if raw else "float32"})}
    if class_names is not None:
        meta["class_names"] = json.dumps([str(name) for name in class_names])
    if pre is not None:
        meta["preprocessing"] = json.dumps(pre)
    if isinstance(model, HandwrittenNetwork):
        meta["architecture"] = json.dumps({"kind": "handwritten",
                                           "sizes": [int(s) for s in model.sizes]})
    elif callable(getattr(model, "architecture", None)) and model.architecture() is not None:
        meta["architecture"] = json.dumps(model.architecture())
    return meta

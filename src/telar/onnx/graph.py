"""A small builder of ONNX graphs on :mod:`onnx.helper`: nodes, weights, unique names.

Every exporter of :mod:`telar.onnx` writes through it: ``node("Relu", [x])`` appends a node and
returns the name of its output; ``weight(array)`` stores an array as an initializer (a named,
constant input of the graph) and returns its name. Names are made unique by a counter, so
converters never need to know what came before them.

The ``onnx`` package is imported on first use (it is in the ``export`` extra):
:func:`require_onnx` turns its absence into one line naming the extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from telar.errors import ConfigError

#: The operator set and IR version of the graphs telar writes: ONNX 1.16's, which every
#: onnxruntime since 1.18 (the ``export`` extra's floor) runs; opset 20 brought ``Gelu``.
OPSET = 21
IR_VERSION = 10


def require_onnx() -> ModuleType:
    """The ``onnx`` package, or ConfigError naming the extra that brings it."""
    try:
        import onnx
    except ImportError as exc:
        raise ConfigError(f"ONNX export needs the export extra ({exc.name} is not installed): "
                          "pip install -e '.[export]' from a clone of telar") from None
    return onnx


class GraphBuilder:
    """An ONNX graph under construction: its nodes and initializers, in order."""

    def __init__(self) -> None:
        self.onnx = require_onnx()
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def fresh(self, stem: str) -> str:
        """A name not used before: ``stem_<n>``."""
        self._count += 1
        return f"{stem}_{self._count}"

    def weight(self, array: np.ndarray, stem: str = "w") -> str:
        """Store ``array`` as an initializer; its name."""
        name = self.fresh(stem)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array),
                                                                   name))
        return name

    def shape(self, dims: Sequence[int]) -> str:
        """An int64 initializer holding ``dims`` (the second input of ``Reshape``)."""
        return self.weight(np.asarray(dims, np.int64), "shape")

    def node(self, op: str, inputs: Sequence[str], output: str | None = None,
             **attributes: Any) -> str:
        """Append ``op(inputs, attributes)``; the name of its (single) output."""
        out = output or self.fresh(op.lower())
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out],
                                                     name=self.fresh(f"{op}_node"),
                                                     **attributes))
        return out

    def model(self, name: str, inputs: list[Any], outputs: list[Any],
              metadata: dict[str, str], doc: str = "") -> Any:
        """The finished ``ModelProto`` (:data:`OPSET`, :data:`IR_VERSION`) with ``metadata``
        as its ``metadata_props``."""
        helper = self.onnx.helper
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers,
                                  doc_string=doc)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  ir_version=IR_VERSION, producer_name="telar",
                                  doc_string=doc)
        helper.set_model_props(model, metadata)
        return model

"""The graph builder: unique names, initializers as given, and one line when onnx is absent."""

from __future__ import annotations

import sys

import numpy as np
import onnx
import pytest

from telar.errors import ConfigError
from telar.onnx.graph import GraphBuilder, require_onnx


def test_names_never_repeat_and_weights_keep_their_values():
    g = GraphBuilder()
    a, b = g.weight(np.arange(6, dtype=np.float32).reshape(2, 3)), g.weight(np.ones(2))
    y = g.node("Relu", ["x"])
    assert len({a, b, y, g.fresh("w")}) == 4
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(g.initializers[0]),
                                  np.arange(6).reshape(2, 3))
    assert g.nodes[0].op_type == "Relu" and list(g.nodes[0].input) == ["x"]


def test_a_missing_onnx_package_names_the_export_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # what an environment without it gives
    extra = r"needs the export extra .*pip install -e '\.\[export\]'"
    with pytest.raises(ConfigError, match=extra):
        require_onnx()

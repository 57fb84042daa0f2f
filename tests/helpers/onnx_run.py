"""Run an exported ONNX graph in a real ONNX Runtime session, and telar's network beside it."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from telar.engine import Tensor, no_grad
from telar.onnx import export


def session(model_bytes: bytes) -> Any:
    import onnxruntime

    return onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])


def exported(model: Any, example: np.ndarray, **options: Any) -> tuple[Any, Any]:
    """``(ModelProto, InferenceSession)`` of ``model`` exported on ``example``."""
    buffer = io.BytesIO()
    proto = export(model, example, buffer, **options)
    return proto, session(buffer.getvalue())


def run(sess: Any, x: np.ndarray) -> list[np.ndarray]:
    return sess.run(None, {sess.get_inputs()[0].name: x})


def telar_outputs(model: Any, x: np.ndarray) -> np.ndarray:
    """The network's outputs in evaluation mode (the hand-written network's logits)."""
    if hasattr(model, "weights") and not hasattr(model, "eval"):
        return model.logits(x)
    model.eval()
    with no_grad():
        return model(Tensor(x)).data

"""Each telar layer as ONNX operators, in evaluation mode: :data:`CONVERTERS`.

A converter takes the graph builder, the module, the name of its input and the input and
output shapes the module gave on the example batch (batch first), and returns the name of its
output. What each becomes (PyTorch's semantics, which telar's layers share):

==================== =====================================================================
Linear               ``Gemm(x, W, b, transB=1)``: ``y = x W^T + b`` (``MatMul``+``Add`` if
                     ``x`` is not 2-D)
Conv2d               ``Conv`` with explicit ``pads`` (``padding="same"``: ``d (k-1) / 2`` a side)
MaxPool2d            ``MaxPool`` (padding never wins: ``-inf``, as PyTorch's), floor mode
AvgPool2d            ``AveragePool`` with the layer's ``count_include_pad``, floor mode
AdaptiveAvgPool2d    ``GlobalAveragePool`` for 1x1, else ``A_h @ x @ A_w^T`` with PyTorch's bins
                     (``[floor(i H/Ho), ceil((i+1) H/Ho))``) as two ``MatMul``
BatchNorm1d/2d       ``BatchNormalization`` with the running statistics
Dropout, Dropout2d,  nothing: the identity in evaluation mode
Identity
Flatten, Unflatten   ``Reshape`` keeping the batch dimension (``0``: copy it)
activations          ``Relu``, ``LeakyRelu``, ``Elu``, ``Sigmoid``, ``Tanh``, ``Gelu``
                     (``approximate``), ``Softmax`` (``axis``)
==================== =====================================================================

Weights go in as float32 copies (telar trains in float32).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from telar.errors import ConfigError
from telar.nn.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from telar.nn.conv import AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Dropout2d, MaxPool2d
from telar.nn.layers import BatchNorm1d, Dropout, Flatten, Identity, Linear, Unflatten
from telar.nn.module import Module
from telar.onnx.graph import GraphBuilder

Shape = tuple[int, ...]
#: ``convert(graph, module, x, input shape, output shape) -> output name``
Converter = Callable[[GraphBuilder, Any, str, Shape, Shape], str]


def _f32(array: Any) -> np.ndarray:
    return np.asarray(array, dtype=np.float32)


def _linear(g: GraphBuilder, m: Linear, x: str, shape: Shape, out: Shape) -> str:
    w = g.weight(_f32(m.weight.data), "weight")
    if len(shape) == 2:
        inputs = [x, w] if m.bias is None else [x, w, g.weight(_f32(m.bias.data), "bias")]
        return g.node("Gemm", inputs, transB=1)
    y = g.node("MatMul", [x, g.node("Transpose", [w], perm=[1, 0])])
    return y if m.bias is None else g.node("Add", [y, g.weight(_f32(m.bias.data), "bias")])


def _conv(g: GraphBuilder, m: Conv2d, x: str, shape: Shape, out: Shape) -> str:
    (kh, kw), (dh, dw) = m.kernel_size, m.dilation
    ph, pw = (dh * (kh - 1) // 2, dw * (kw - 1) // 2) if m.padding == "same" else m.padding
    inputs = [x, g.weight(_f32(m.weight.data), "weight")]
    if m.bias is not None:
        inputs.append(g.weight(_f32(m.bias.data), "bias"))
    return g.node("Conv", inputs, kernel_shape=[kh, kw], strides=list(m.stride),
                  pads=[ph, pw, ph, pw], dilations=[dh, dw], group=1)


def _pool_attributes(m: MaxPool2d | AvgPool2d) -> dict[str, Any]:
    (ph, pw) = m.padding
    return {"kernel_shape": list(m.kernel_size), "strides": list(m.stride),
            "pads": [ph, pw, ph, pw], "ceil_mode": 0}


def _max_pool(g: GraphBuilder, m: MaxPool2d, x: str, shape: Shape, out: Shape) -> str:
    return g.node("MaxPool", [x], **_pool_attributes(m))


def _avg_pool(g: GraphBuilder, m: AvgPool2d, x: str, shape: Shape, out: Shape) -> str:
    return g.node("AveragePool", [x], count_include_pad=int(m.count_include_pad),
                  **_pool_attributes(m))


def adaptive_matrix(size: int, out: int) -> np.ndarray:
    """``A[i, k] = 1 / len(bin i)`` for ``k`` in bin ``i = [floor(i size/out),
    ceil((i+1) size/out))``, else 0 (the bins of PyTorch and :mod:`telar.engine.pooling`)."""
    a = np.zeros((out, size), np.float32)
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        a[i, start:stop] = 1.0 / (stop - start)
    return a


def _adaptive_avg_pool(g: GraphBuilder, m: AdaptiveAvgPool2d, x: str, shape: Shape,
                       out: Shape) -> str:
    if tuple(m.output_size) == (1, 1):
        return g.node("GlobalAveragePool", [x])
    (h, w), (oh, ow) = shape[2:], m.output_size
    # (oh, H) @ (N, C, H, W) @ (W, ow) -> (N, C, oh, ow): MatMul broadcasts like NumPy's.
    rows = g.node("MatMul", [g.weight(adaptive_matrix(h, oh), "bins_h"), x])
    return g.node("MatMul", [rows, g.weight(adaptive_matrix(w, ow).T, "bins_w")])


def _batch_norm(g: GraphBuilder, m: BatchNorm1d, x: str, shape: Shape, out: Shape) -> str:
    c = m.num_features
    scale = np.ones(c, np.float32) if m.weight is None else _f32(m.weight.data)
    shift = np.zeros(c, np.float32) if m.bias is None else _f32(m.bias.data)
    inputs = [x, g.weight(scale, "bn_scale"), g.weight(shift, "bn_bias"),
              g.weight(_f32(m.running_mean), "running_mean"),
              g.weight(_f32(m.running_var), "running_var")]
    return g.node("BatchNormalization", inputs, epsilon=float(m.eps))


def _identity(g: GraphBuilder, m: Module, x: str, shape: Shape, out: Shape) -> str:
    return x  # dropout in evaluation mode, Identity: no node at all


def _reshape(g: GraphBuilder, m: Flatten | Unflatten, x: str, shape: Shape, out: Shape) -> str:
    first = (m.start_dim if isinstance(m, Flatten) else m.dim) % len(shape)
    if first == 0:
        raise ConfigError(f"cannot export {m!r}: it reshapes the batch dimension, which the "
                          "exported graph leaves free")
    # 0 copies the input's batch size, so the graph takes any batch
    return g.node("Reshape", [x, g.shape([0, *out[1:]])])


def _activation(op: str, **attributes: Callable[[Any], Any]) -> Converter:
    def convert(g: GraphBuilder, m: Module, x: str, shape: Shape, out: Shape) -> str:
        return g.node(op, [x], **{k: read(m) for k, read in attributes.items()})
    return convert


#: The module classes telar can export (exact classes: a subclass may compute something else).
CONVERTERS: dict[type, Converter] = {
    Linear: _linear, Conv2d: _conv, MaxPool2d: _max_pool, AvgPool2d: _avg_pool,
    AdaptiveAvgPool2d: _adaptive_avg_pool, BatchNorm1d: _batch_norm, BatchNorm2d: _batch_norm,
    Dropout: _identity, Dropout2d: _identity, Identity: _identity,
    Flatten: _reshape, Unflatten: _reshape,
    ReLU: _activation("Relu"), Sigmoid: _activation("Sigmoid"), Tanh: _activation("Tanh"),
    LeakyReLU: _activation("LeakyRelu", alpha=lambda m: float(m.negative_slope)),
    ELU: _activation("Elu", alpha=lambda m: float(m.alpha)),
    GELU: _activation("Gelu", approximate=lambda m: m.approximate),
    Softmax: _activation("Softmax", axis=lambda m: int(-1 if m.dim is None else m.dim)),
}

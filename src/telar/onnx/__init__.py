"""``telar.onnx``: telar's networks as ONNX graphs (PyTorch's ``torch.onnx.export`` name).

:func:`export` writes a network and, for raw uint8 images, its preprocessing and softmax, as
one checked ONNX file that ONNX Runtime runs (needs the ``export`` extra). How each layer is
expressed: :mod:`telar.onnx.layers`; the graph builder: :mod:`telar.onnx.graph`.
"""

from telar.onnx.exporter import export
from telar.onnx.graph import IR_VERSION, OPSET

__all__ = ["IR_VERSION", "OPSET", "export"]

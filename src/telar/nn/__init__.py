"""``telar.nn``: modules, layers, activations, initialisers (PyTorch's names)."""

from telar.nn import functional, init
from telar.nn.activation import ACTIVATIONS, ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from telar.nn.build import DenseNet, build_mlp, normalise_spec
from telar.nn.conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout2d,
    MaxPool2d,
)
from telar.nn.layers import BatchNorm1d, Dropout, Flatten, Linear, Sequential, Unflatten
from telar.nn.module import Module, Parameter
from telar.nn.spec import LAYERS, build_sequential, layers_to_text, parse_layers

__all__ = [
    "Module", "Parameter", "Sequential", "Linear", "Dropout", "BatchNorm1d", "Flatten",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU", "Softmax", "ACTIVATIONS",
    "DenseNet", "build_mlp", "normalise_spec", "functional", "init",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d",
    "Unflatten", "LAYERS", "build_sequential", "parse_layers", "layers_to_text",
]

# PyTorch's loss modules and the Identity layer (kept apart so other branches merge cleanly).
from telar.nn.layers import Identity, Unflatten  # noqa: E402
from telar.nn.losses import (  # noqa: E402
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)

__all__ += ["Identity", "Unflatten", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss",
            "BCEWithLogitsLoss", "BCELoss"]

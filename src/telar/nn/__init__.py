"""``telar.nn``: modules, layers, activations, losses, initialisers (PyTorch's names)."""

from telar.nn import functional, init
from telar.nn.activation import ACTIVATIONS, ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from telar.nn.build import DenseNet, build_mlp, normalise_spec
from telar.nn.container import Sequential
from telar.nn.conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout2d,
    MaxPool2d,
)
from telar.nn.layers import (
    BatchNorm1d,
    Dropout,
    Flatten,
    Identity,
    Linear,
    Unflatten,
)
from telar.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from telar.nn.module import Module, Parameter
from telar.nn.spec import LAYERS, LayerNet, build_sequential, layers_to_text, parse_layers

__all__ = [
    "Module", "Parameter", "Sequential", "Linear", "Dropout", "BatchNorm1d", "Flatten",
    "Unflatten", "Identity",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU", "Softmax", "ACTIVATIONS",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss", "BCELoss",
    "DenseNet", "LayerNet", "build_mlp", "normalise_spec", "LAYERS", "build_sequential",
    "parse_layers",
    "layers_to_text", "functional", "init",
]

"""``telar.nn``: modules, layers, activations, losses, initialisers (PyTorch's names).

Networks described by data, not code: :mod:`~telar.nn.registry` (the layers a layer list may
name, each argument a constraint), :mod:`~telar.nn.grammar` (the text and list forms),
:mod:`~telar.nn.layer_net` (``LayerNet``: a layer list planned, then built) and
:mod:`~telar.nn.dense` (the dense spec, a shorthand for a layer list: ``DenseNet``).
"""

from telar.nn import functional, init
from telar.nn.activation import ACTIVATIONS, ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from telar.nn.container import Sequential
from telar.nn.conv import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout2d,
    MaxPool2d,
)
from telar.nn.dense import DenseNet, build_mlp, dense_layers, normalise_spec
from telar.nn.grammar import layers_to_text, parse_layers
from telar.nn.layer_net import LayerNet, build_sequential
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
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from telar.nn.module import Module, Parameter
from telar.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from telar.nn.registry import LAYERS

__all__ = [
    "Module", "Parameter", "Sequential", "Linear", "Dropout", "BatchNorm1d", "Flatten",
    "Unflatten", "Identity",
    "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "GELU", "Softmax", "ACTIVATIONS",
    "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
    "BCEWithLogitsLoss", "BCELoss",
    "DenseNet", "LayerNet", "build_mlp", "normalise_spec", "dense_layers", "LAYERS",
    "build_sequential", "parse_layers", "layers_to_text", "functional", "init",
]

"""Recurrent layers (PyTorch's names, arguments, weight names and returns): ``RNN``, ``LSTM``,
``GRU`` over sequences and ``RNNCell``, ``LSTMCell``, ``GRUCell`` for one step.

Thin modules over :mod:`telar.engine.recurrent`, where the cells' formulas and
backpropagation through time live. A layer ``k`` (of ``num_layers``) in direction ``d`` holds
``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` added
for the backward direction of a bidirectional layer), shaped as PyTorch's: ``(G*H, I)``,
``(G*H, H)``, ``(G*H,)`` with ``G`` gates (1 RNN, 4 LSTM in order ``i, f, g, o``, 3 GRU in
order ``r, z, n``), so ``state_dict()`` keys and shapes equal PyTorch's and its state dicts
load. Every weight starts ``U(-1/sqrt(H), 1/sqrt(H))``, PyTorch's default.

>>> import telar
>>> lstm = LSTM(28, 64, num_layers=2, batch_first=True)
>>> output, (h_n, c_n) = lstm(telar.zeros(5, 28, 28))
>>> output.shape, h_n.shape
((5, 28, 64), (2, 5, 64))
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from telar.engine import Tensor
from telar.engine import functional as F
from telar.engine import recurrent as R
from telar.engine.array import xp
from telar.engine.devices import check_device
from telar.engine.random import as_rng
from telar.errors import ConfigError
from telar.nn.module import Module, Parameter

#: The gate blocks of each cell, in PyTorch's order.
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _uniform_parameters(module: Module, hidden_size: int, rng: Any) -> None:
    """PyTorch's ``reset_parameters``: every weight and bias ``U(-1/sqrt(H), 1/sqrt(H))``,
    drawn in registration order."""
    generator = as_rng(rng)
    bound = 1.0 / math.sqrt(hidden_size)
    for param in module.parameters():
        param.array[...] = generator.uniform(-bound, bound, param.array.shape)


def _run_cell(mode: str, x: Tensor, h0: Tensor, c0: Tensor | None,
              weights: list[Parameter | None], reverse: bool
              ) -> tuple[Tensor, Tensor, Tensor | None]:
    """One direction of one layer over ``x`` ``(T, N, I)``: ``(output, h_n, c_n or None)``."""
    if mode == "LSTM":
        assert c0 is not None
        return R.lstm(x, h0, c0, *weights, reverse=reverse)
    if mode == "GRU":
        output, h_n = R.gru(x, h0, *weights, reverse=reverse)
    else:
        output, h_n = R.rnn(x, h0, *weights, nonlinearity=mode[4:].lower(), reverse=reverse)
    return output, h_n, None


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrent network of ``mode`` cells."""

    mode = "RNN_TANH"

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        check_device(device)
        name = type(self).__name__
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} {what}: expected a positive integer, got {value!r}")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ConfigError(f"{name} dropout: expected a probability in [0, 1], got "
                              f"{dropout!r}")
        if proj_size:
            raise ConfigError(f"{name}: proj_size (LSTM projections) is not supported")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.proj_size = 0
        self.generator = as_rng(rng)  # draws the dropout masks between layers
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        gates = GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (gates, width), "weight_hh": (gates, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                for kind, shape in shapes.items():
                    setattr(self, f"{kind}_l{layer}{suffix}",
                            Parameter(xp.zeros(shape, dtype=dtype)))
        _uniform_parameters(self, hidden_size, rng)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _weights(self, layer: int, direction: int) -> list[Parameter | None]:
        suffix = "_reverse" if direction else ""
        return [getattr(self, f"{kind}_l{layer}{suffix}", None)
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """Each layer-direction's parameters, as PyTorch lists them."""
        return [[w for w in self._weights(layer, d) if w is not None]
                for layer in range(self.num_layers) for d in range(self.num_directions)]

    def flatten_parameters(self) -> None:
        """A no-op (PyTorch's packs the weights for cuDNN)."""

    def _initial_state(self, state: Any, batch: int, batched: bool, dtype: Any,
                       what: str) -> Tensor:
        states = self.num_layers * self.num_directions
        expected = (states, batch, self.hidden_size) if batched else (states, self.hidden_size)
        if state is None:
            return Tensor(xp.zeros((states, batch, self.hidden_size), dtype=dtype))
        if not isinstance(state, Tensor):
            state = Tensor(state)
        if tuple(state.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {tuple(state.shape)}")
        return state if batched else F.unsqueeze(state, 1)

    def run(self, x: Tensor, hx: Any = None, batched: bool = True
            ) -> tuple[Tensor, list[Tensor], list[Tensor] | None]:
        """The last layer's output ``(T, N, D*H)`` (time first), and every layer-direction's
        final hidden (and cell) states ``(N, H)``, ordered as ``h_n`` orders them."""
        lstm = self.mode == "LSTM"
        batch = x.shape[1]
        if lstm:
            if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
                raise RuntimeError("LSTM expects its initial state as a tuple (h_0, c_0)")
            h0, c0 = (None, None) if hx is None else hx
        else:
            h0, c0 = hx, None
        h0 = self._initial_state(h0, batch, batched, x.dtype, "hidden")
        c0 = self._initial_state(c0, batch, batched, x.dtype, "cell") if lstm else None
        h_n: list[Tensor] = []
        c_n: list[Tensor] = []
        for layer in range(self.num_layers):
            outputs = []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                out, h, c = _run_cell(self.mode, x, R.take_step(h0, k),
                                      None if c0 is None else R.take_step(c0, k),
                                      self._weights(layer, d), reverse=d == 1)
                outputs.append(out)
                h_n.append(h)
                if c is not None:
                    c_n.append(c)
            x = outputs[0] if len(outputs) == 1 else F.concatenate(outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True, rng=self.generator)
        return x, h_n, c_n if lstm else None

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        """``(output, h_n)`` (``(output, (h_n, c_n))`` for the LSTM).

        ``input``: ``(T, N, input_size)``, ``(N, T, input_size)`` with ``batch_first``, or one
        unbatched sequence ``(T, input_size)``; ``hx``: the initial states
        ``(num_layers * num_directions, N, hidden_size)`` (zeros when omitted). ``output``
        holds the last layer's hidden state at every step, both directions side by side.
        """
        x = input if isinstance(input, Tensor) else Tensor(input)
        if x.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{x.ndim}D tensor instead")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        weight = self.weight_ih_l0.array.dtype
        if x.array.dtype != weight:
            raise ValueError(f"RNN input dtype ({x.array.dtype}) does not match weight dtype "
                             f"({weight}). Convert input: input.float() / input.double(), or "
                             f"convert model: model.to(telar.{x.array.dtype})")
        batched = x.ndim == 3
        if not batched:
            x = F.unsqueeze(x, 1)
        elif self.batch_first:
            x = F.transpose(x, (1, 0, 2))
        output, h_list, c_list = self.run(x, hx, batched)
        h_n = F.stack(h_list, 0)
        if not batched:
            output, h_n = F.squeeze(output, 1), F.squeeze(h_n, 1)
        elif self.batch_first:
            output = F.transpose(output, (1, 0, 2))
        if c_list is None:
            return output, h_n
        c_n = F.stack(c_list, 0)
        return output, (h_n, c_n if batched else F.squeeze(c_n, 1))

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity='relu'"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                              ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ``relu`` with
    ``nonlinearity="relu"``), stacked ``num_layers`` deep. Returns ``(output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None, rng: np.random.Generator | int | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, num_layers,
                         bias, batch_first, dropout, bidirectional, 0, device, dtype, rng)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (gates ``i, f, g, o``; :func:`telar.engine.recurrent.lstm`),
    stacked ``num_layers`` deep. ``forward(input, (h_0, c_0))`` returns
    ``(output, (h_n, c_n))``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None, rng: np.random.Generator | int | None = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype, rng)


class GRU(RNNBase):
    """Gated recurrent unit (gates ``r, z, n``; :func:`telar.engine.recurrent.gru`), stacked
    ``num_layers`` deep. Returns ``(output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None,
                 rng: np.random.Generator | int | None = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype, rng)


# --------------------------------------------------------------------------- one step
class RNNCellBase(Module):
    """One step of a cell: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (PyTorch's
    names), run as a sequence of one step by the engine's fused cell."""

    mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None,
                 rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        check_device(device)
        for what, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{type(self).__name__} {what}: expected a positive "
                                  f"integer, got {value!r}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bool(bias)
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        gates = GATES[self.mode] * hidden_size
        self.weight_ih = Parameter(xp.zeros((gates, input_size), dtype=dtype))
        self.weight_hh = Parameter(xp.zeros((gates, hidden_size), dtype=dtype))
        self.bias_ih = Parameter(xp.zeros(gates, dtype=dtype)) if bias else None
        self.bias_hh = Parameter(xp.zeros(gates, dtype=dtype)) if bias else None
        _uniform_parameters(self, hidden_size, rng)

    def _step(self, input: Tensor, states: list[Any]) -> tuple[Tensor, Tensor | None]:
        """``(h', c' or None)`` from ``input`` ``(N, I)`` or ``(I,)`` and the states."""
        x = input if isinstance(input, Tensor) else Tensor(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected input of shape (N, "
                             f"{self.input_size}) or ({self.input_size},), got {x.shape}")
        batched = x.ndim == 2
        x = x if batched else F.unsqueeze(x, 0)
        batch = x.shape[0]
        prepared = []
        for state in states:
            if state is None:
                state = Tensor(xp.zeros((batch, self.hidden_size), dtype=x.dtype))
            elif not isinstance(state, Tensor):
                state = Tensor(state)
            elif not batched:
                state = F.unsqueeze(state, 0)
            if state.shape != (batch, self.hidden_size):
                raise RuntimeError(f"{type(self).__name__}: expected a state of shape "
                                   f"{(batch, self.hidden_size)}, got {state.shape}")
            prepared.append(state)
        weights = [self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh]
        _, h, c = _run_cell(self.mode, F.unsqueeze(x, 0), prepared[0],
                            prepared[1] if len(prepared) > 1 else None, weights, False)
        if not batched:
            h = F.squeeze(h, 0)
            c = None if c is None else F.squeeze(c, 0)
        return h, c

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ``relu``); returns ``h'``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None,
                 rng: np.random.Generator | int | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, device, dtype, rng)  # 1 gate either way
        self.nonlinearity = nonlinearity
        self.mode = f"RNN_{nonlinearity.upper()}"

    def forward(self, input: Tensor, hx: Any = None) -> Tensor:
        return self._step(input, [hx])[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; ``forward(input, (h, c))`` returns ``(h', c')``."""

    mode = "LSTM"

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:
        h, c = self._step(input, [None, None] if hx is None else list(hx))
        assert c is not None
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step; returns ``h'``."""

    mode = "GRU"

    def forward(self, input: Tensor, hx: Any = None) -> Tensor:
        return self._step(input, [hx])[0]




# --------------------------------------------------------------------------- in a layer list
class FinalState(RNNBase):
    """A recurrent network that reads each sample as a sequence and returns its final hidden
    state: the ``rnn(...)``, ``lstm(...)`` and ``gru(...)`` of a layer list (``--layers``).

    An image ``(N, C, H, W)`` is read row by row: ``H`` steps of ``C * W`` features (a
    Fashion-MNIST image: 28 steps of 28 pixels, top row first); a sequence ``(N, T, F)`` is
    read as it is. The output ``(N, D * hidden)`` is the last layer's ``h_n``: the state after
    the last row, and with ``bidirectional`` the backward direction's state after the first
    row beside it (each direction has then read every row). Parameter names are PyTorch's
    (``weight_ih_l0``, ...), so the weights load into ``torch.nn.LSTM`` and back.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, dropout: float = 0.0, bidirectional: bool = False,
                 dtype: Any = None, rng: np.random.Generator | int | None = None,
                 dropout_rng: np.random.Generator | int | None = None) -> None:
        with warnings.catch_warnings():  # the layer list's dropout is documented as between
            warnings.simplefilter("ignore")  # layers: no warning for one layer
            super().__init__(mode, input_size, hidden_size, num_layers, bias, True, dropout,
                             bidirectional, 0, None, dtype, rng)
        self.generator = as_rng(dropout_rng)

    def forward(self, input: Tensor) -> Tensor:
        x = input if isinstance(input, Tensor) else Tensor(input)
        if x.ndim == 4:  # (N, C, H, W) -> (H, N, C * W): row t holds every channel's row t
            n, c, h, w = x.shape
            x = F.reshape(F.transpose(x, (2, 0, 1, 3)), (h, n, c * w))
        elif x.ndim == 3:
            x = F.transpose(x, (1, 0, 2))
        else:
            raise ValueError(f"{type(self).__name__} expects images (N, C, H, W) or sequences "
                             f"(N, T, F), got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__}: expected {self.input_size} features per "
                             f"step, got {x.shape[-1]}")
        _, h_n, _ = self.run(x)
        last = h_n[-self.num_directions:]
        return last[0] if len(last) == 1 else F.concatenate(last, axis=1)

    def extra_repr(self) -> str:
        return f"{self.mode}, " + super().extra_repr().replace(", batch_first=True", "")


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
           "FinalState"]

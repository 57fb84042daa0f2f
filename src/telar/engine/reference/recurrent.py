"""The recurrent cells written plainly: one step at a time, of the engine's own operations.

Each step is the cell's equations as PyTorch's documentation gives them, composed of
``linear``, ``sigmoid``, ``tanh``, ``+`` and ``*``, so the autodiff engine derives the
backpropagation through time by itself (one graph node per operation per step: slow, and
obviously right). :mod:`telar.engine.recurrent` computes the same fused, with each gate's
backward written out; the tests hold it to this one. Arguments and returns are the fused
functions' (``x`` ``(T, N, I)``, states ``(N, H)``).
"""

from __future__ import annotations

from collections.abc import Callable

from telar.engine.activations import relu, sigmoid, tanh
from telar.engine.arithmetic import linear
from telar.engine.shapes import getitem, stack
from telar.engine.tensor import Tensor

Step = Callable[[Tensor, tuple[Tensor, ...]], tuple[Tensor, ...]]


def _gates(x_t: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
           b_hh: Tensor | None, count: int) -> tuple[list[Tensor], list[Tensor]]:
    """The ``count`` blocks of ``x_t W_ih^T + b_ih`` and of ``h W_hh^T + b_hh``."""
    hidden = w_hh.shape[1]
    p, q = linear(x_t, w_ih, b_ih), linear(h, w_hh, b_hh)
    blocks = [slice(k * hidden, (k + 1) * hidden) for k in range(count)]
    return ([getitem(p, (slice(None), b)) for b in blocks],
            [getitem(q, (slice(None), b)) for b in blocks])


def _unroll(x: Tensor, states: tuple[Tensor, ...], step: Step, reverse: bool
            ) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Run ``step`` over the time steps of ``x``; the outputs (``h_t``) in time order."""
    steps = x.shape[0]
    outputs: list[Tensor | None] = [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        states = step(getitem(x, t), states)
        outputs[t] = states[0]
    return stack(outputs, 0), states


def rnn(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
        b_hh: Tensor | None = None, nonlinearity: str = "tanh", reverse: bool = False
        ) -> tuple[Tensor, Tensor]:
    """``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``."""
    act = tanh if nonlinearity == "tanh" else relu

    def step(x_t: Tensor, states: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        (p,), (q,) = _gates(x_t, states[0], w_ih, w_hh, b_ih, b_hh, 1)
        return (act(p + q),)

    output, (h_n,) = _unroll(x, (h0,), step, reverse)
    return output, h_n


def lstm(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor,
         b_ih: Tensor | None = None, b_hh: Tensor | None = None, reverse: bool = False
         ) -> tuple[Tensor, Tensor, Tensor]:
    """``i, f, o = s(.)``, ``g = tanh(.)``; ``c_t = f c_{t-1} + i g``; ``h_t = o tanh(c_t)``."""

    def step(x_t: Tensor, states: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        h, c = states
        (pi, pf, pg, po), (qi, qf, qg, qo) = _gates(x_t, h, w_ih, w_hh, b_ih, b_hh, 4)
        i, f, g, o = sigmoid(pi + qi), sigmoid(pf + qf), tanh(pg + qg), sigmoid(po + qo)
        c = f * c + i * g
        return o * tanh(c), c

    output, (h_n, c_n) = _unroll(x, (h0, c0), step, reverse)
    return output, h_n, c_n


def gru(x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
        b_hh: Tensor | None = None, reverse: bool = False) -> tuple[Tensor, Tensor]:
    """``r, z = s(.)``; ``n = tanh(p_n + r (h W_hn^T + b_hn))``; ``h_t = (1 - z) n + z h``."""

    def step(x_t: Tensor, states: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
        h = states[0]
        (pr, pz, pn), (qr, qz, qn) = _gates(x_t, h, w_ih, w_hh, b_ih, b_hh, 3)
        r, z = sigmoid(pr + qr), sigmoid(pz + qz)
        n = tanh(pn + r * qn)
        return ((1 - z) * n + z * h,)

    output, (h_n,) = _unroll(x, (h0,), step, reverse)
    return output, h_n


__all__ = ["rnn", "lstm", "gru"]

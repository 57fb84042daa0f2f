"""In-place optimiser update kernels on plain ndarrays (the hot path of every optimiser).

Each kernel updates ``param`` and its state arrays in place and allocates nothing when a
``scratch`` array of the same shape and dtype is passed. Kernels know nothing of networks,
tensors or autograd: the optimisers call them for both engines (the hand-written network's
whole parameter array is one parameter).
Passing one flat array that holds *all* parameters (and flat gradients/moments) makes a whole
optimiser step a dozen NumPy calls, whatever the number of layers.

Adam (Kingma & Ba 2015, Algorithm 1; the same arithmetic as ``torch.optim.Adam``)::

    m  <- beta1 * m + (1 - beta1) * g
    v  <- beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
    param <- param - lr * m_hat / (sqrt(v_hat) + eps)

computed as ``param -= (lr * sqrt(bc2) / bc1) * m / (sqrt(v) + eps * sqrt(bc2))`` with
``bc1 = 1 - beta1**t``, ``bc2 = 1 - beta2**t`` (the same quantity with one pass fewer).

Subnormal floats. Where a gradient is exactly zero for many steps (a dead ReLU unit, a
border pixel that is 0 in every image of the batch), ``m`` decays by ``beta1`` each step and
reaches float32's subnormal range (< 1.18e-38) after ~750 steps (1.6 epochs of batch 128);
``v`` follows much later. After 12 mini-batch epochs of the report's network about 2,300 of
its 53,130 first moments were subnormal. On many Intel CPUs each operation on subnormals
takes a slow microcode path (up to ~100x); on the AMD EPYC machines we measured, an Adam step
took the same time with zeros or subnormals (~0.12 ms). :func:`flush_tiny_` sets such
entries to exactly zero; an Adam update differs by less than ``1e-30 / eps = 1e-22`` of the
learning rate, below float32 resolution of any weight, so flushing changes no result.
``telar.optim.Adam`` flushes every 64 steps (two passes per 64 steps: ~0.3% of its time).
"""

from __future__ import annotations

import math

import numpy as np

from telar.engine.array import array_module

#: Moments smaller than this in magnitude are flushed to zero by :func:`flush_tiny_`.
TINY = 1e-30


def adam_update_(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    step: int,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    *,
    weight_decay: float = 0.0,
    decoupled: bool = False,
    scratch: np.ndarray | None = None,
) -> None:
    """One Adam step in place on ``param``, ``m`` and ``v`` (``step`` counts from 1).

    ``weight_decay`` adds ``weight_decay * param`` to the gradient (Adam with L2), or, with
    ``decoupled=True``, shrinks ``param`` by ``lr * weight_decay`` first (AdamW). ``grad`` is
    left unchanged. ``scratch`` (same shape and dtype as ``param``) avoids every allocation.

    >>> p = np.ones(3, np.float32); g = np.full(3, 0.5, np.float32)
    >>> m = np.zeros(3, np.float32); v = np.zeros(3, np.float32)
    >>> adam_update_(p, g, m, v, step=1, lr=0.1)
    >>> p.round(4).tolist()   # the first step moves each weight by lr * sign(g)
    [0.9, 0.9, 0.9]
    """
    if step < 1:
        raise ValueError(f"Adam step counts from 1, got {step}")
    xp = array_module(param)  # NumPy, or CuPy for a model on the GPU
    buf = xp.empty_like(param) if scratch is None else scratch
    if weight_decay and decoupled:
        param *= 1.0 - lr * weight_decay
    elif weight_decay:
        xp.multiply(param, weight_decay, out=buf)
        buf += grad
        grad = buf.copy()
    bc1 = 1.0 - beta1**step
    bc2 = 1.0 - beta2**step
    # m <- beta1 m + (1 - beta1) g
    m *= beta1
    xp.multiply(grad, 1.0 - beta1, out=buf)
    m += buf
    # v <- beta2 v + (1 - beta2) g^2
    v *= beta2
    xp.multiply(grad, grad, out=buf)
    buf *= 1.0 - beta2
    v += buf
    # param -= lr * m_hat / (sqrt(v_hat) + eps)
    #        = (lr * sqrt(bc2) / bc1) * m / (sqrt(v) + eps * sqrt(bc2))
    root_bc2 = math.sqrt(bc2)
    xp.sqrt(v, out=buf)
    buf += eps * root_bc2
    xp.divide(m, buf, out=buf)
    buf *= -lr * root_bc2 / bc1
    param += buf


def flush_tiny_(arr: np.ndarray, tiny: float = TINY, *, scratch: np.ndarray | None = None) -> None:
    """Set entries with ``|x| < tiny`` to exactly zero, in place (keeps them out of subnormals)."""
    xp = array_module(arr)
    if scratch is None:
        xp.copyto(arr, 0, where=xp.abs(arr) < tiny)
        return
    xp.abs(arr, out=scratch)
    xp.copyto(arr, 0, where=scratch < tiny)

"""Loss functions with PyTorch's signatures, composed of the differentiable primitives.

Each is written with ops of :mod:`telar.functional`, so its gradient needs no rule of its own.
The fused softmax cross-entropy (the training hot path) stays in :mod:`telar.functional`.

Reductions: ``"none"`` keeps one loss per element, ``"sum"`` adds them, ``"mean"`` averages
them (for ``nll_loss``/``cross_entropy`` with class weights: ``sum_i w_{y_i} l_i / sum_i w_{y_i}``
over the entries not ignored).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from telar import functional as F
from telar.autograd import Tensor, constant
from telar.backend import xp

REDUCTIONS = ("mean", "sum", "none")


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags as a ``reduction`` name."""
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce are deprecated, use reduction= instead",
                      DeprecationWarning, stacklevel=3)
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return F.mean(losses)
    return F.sum(losses) if reduction == "sum" else losses


def _as_t(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else constant(xp.asarray(value))


def _classes_last(x: Tensor) -> Tensor:
    """``(N, C, d1, ...)`` as ``(N * d1 * ..., C)``; ``(N, C)`` unchanged."""
    if x.data.ndim <= 2:
        return x
    order = (0, *range(2, x.data.ndim), 1)
    return F.reshape(F.transpose(x, order), (-1, x.data.shape[1]))


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` ``(N, C[, d...])`` at the class
    indices ``target`` ``(N[, d...])``: ``l_i = -w_{y_i} input[i, y_i]`` (0 where
    ``y_i == ignore_index``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    y = xp.asarray(target.data if isinstance(target, Tensor) else target)
    if y.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss expects integer class indices, got {y.dtype} "
                           "(use .long())")
    logp = _classes_last(input)
    n, c = logp.data.shape
    flat = y.reshape(-1)
    if flat.shape != (n,):
        raise ValueError(f"nll_loss: target of shape {y.shape} does not fit input of shape "
                         f"{input.data.shape}")
    valid = flat != ignore_index
    bad = valid & ((flat < 0) | (flat >= c))
    if bad.any():
        raise IndexError(f"target {int(flat[bad][0])} is out of bounds for {c} classes")
    safe = xp.where(valid, flat, 0)
    picked = F.squeeze(F.gather(logp, 1, safe[:, None]), 1)
    dtype = logp.data.dtype
    w = valid.astype(dtype) if weight is None else \
        xp.asarray(_as_t(weight).data, dtype=dtype)[safe] * valid
    losses = F.neg(picked) * constant(w)
    if reduction == "none":
        return F.reshape(losses, y.shape)
    if reduction == "sum":
        return F.sum(losses)
    return F.sum(losses) / constant(xp.asarray(w.sum(), dtype=dtype))


def general_cross_entropy(input: Tensor, y: np.ndarray, weight: Any, ignore_index: int,
                          reduction: str, label_smoothing: float) -> Tensor:
    """Cross-entropy with class weights, ignored targets, smoothing or probability targets.

    Index targets: ``(1 - eps) * nll + eps * smooth`` with ``smooth_i = -sum_c w_c
    log p_ic / C`` (PyTorch's definition). Probability targets ``q``:
    ``l_i = -sum_c w_c q'_ic log p_ic`` with ``q' = (1 - eps) q + eps / C``.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    logp = F.log_softmax(input, 1)
    c = input.data.shape[1]
    dtype = input.data.dtype
    w = None if weight is None else xp.asarray(_as_t(weight).data, dtype=dtype)
    if y.dtype.kind == "f":  # class probabilities, the shape of input
        if y.shape != input.data.shape:
            raise ValueError(f"probability targets of shape {y.shape} do not match input "
                             f"{input.data.shape}")
        q = y.astype(dtype) * (1 - label_smoothing) + label_smoothing / c
        if w is not None:
            q = q * w.reshape((1, c) + (1,) * (input.data.ndim - 2))
        return _reduce(F.neg(F.sum(logp * constant(q), 1)), reduction)
    nll = nll_loss(logp, y, w, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    flat = _classes_last(logp)
    valid = (y.reshape(-1) != ignore_index).astype(dtype)
    per_class = flat if w is None else flat * constant(w)
    smooth = F.neg(F.sum(per_class, 1)) * constant(valid / c)
    if reduction == "none":
        smooth = F.reshape(smooth, y.shape)
    elif reduction == "sum":
        smooth = F.sum(smooth)
    else:
        safe = xp.where(valid > 0, y.reshape(-1), 0)
        denom = valid.sum() if w is None else (w[safe] * valid).sum()
        smooth = F.sum(smooth) / constant(xp.asarray(denom, dtype=dtype))
    return nll * (1 - label_smoothing) + smooth * label_smoothing


def mse_loss(input: Tensor, target: Any, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``(input - target)^2`` per element, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    diff = input - _as_t(target)
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``|input - target|`` per element, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _reduce(F.abs(input - _as_t(target)), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """``l = -w [p y log s(x) + (1 - y) log(1 - s(x))]`` from logits ``x``, computed stably as
    ``(1 - y) x + (1 + (p - 1) y) (log(1 + e^-|x|) + max(-x, 0))`` (``p`` = ``pos_weight``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    y = _as_t(target)
    softplus = F.log(F.exp(F.neg(F.abs(input))) + 1.0) + F.relu(F.neg(input))
    if pos_weight is None:
        losses = input * (1.0 - y) + softplus
    else:
        losses = input * (1.0 - y) + softplus * ((_as_t(pos_weight) - 1.0) * y + 1.0)
    if weight is not None:
        losses = losses * _as_t(weight)
    return _reduce(losses, reduction)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``l = -w [y log p + (1 - y) log(1 - p)]`` from probabilities ``p``; each log is
    clamped at -100 as in PyTorch (prefer the ``_with_logits`` form)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    y = _as_t(target)
    log_p = F.clamp(F.log(input), -100.0, None)
    log_q = F.clamp(F.log(1.0 - input), -100.0, None)
    losses = F.neg(y * log_p + (1.0 - y) * log_q)
    if weight is not None:
        losses = losses * _as_t(weight)
    return _reduce(losses, reduction)

"""Loss functions with PyTorch's signatures.

The training hot path, softmax cross-entropy from logits and class indices, is one fused
primitive with its own backward rule (:func:`fused_cross_entropy`). The other losses are
composed of differentiable operations, so their gradients need no rule of their own.

Reductions: ``"none"`` keeps one loss per element, ``"sum"`` adds them, ``"mean"`` averages
them (for ``nll_loss``/``cross_entropy`` with class weights: ``sum_i w_{y_i} l_i / sum_i w_{y_i}``
over the entries not ignored).
"""

from __future__ import annotations

import warnings
from typing import Any

from telar.engine.activations import log_softmax, log_softmax_array, relu, softmax_parts
from telar.engine.arithmetic import abs, clamp, exp, log, neg, unbroadcast
from telar.engine.array import Array, array_module, xp
from telar.engine.devices import check_same_device
from telar.engine.grad_fn import named
from telar.engine.reductions import mean, sum
from telar.engine.shapes import gather, reshape, squeeze, transpose
from telar.engine.tensor import Tensor, constant, make_result, operand

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
        return mean(losses)
    return sum(losses) if reduction == "sum" else losses


def _classes_last(x: Tensor) -> Tensor:
    """``(N, C, d1, ...)`` as ``(N * d1 * ..., C)``; ``(N, C)`` unchanged."""
    if x.array.ndim <= 2:
        return x
    order = (0, *range(2, x.array.ndim), 1)
    return reshape(transpose(x, order), (-1, x.array.shape[1]))


def cross_entropy(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """PyTorch's ``cross_entropy``: ``nll_loss(log_softmax(input, 1), target)``, smoothed.

    Class-index targets ``(N,)`` without ``weight`` or ignored entries take the fused path
    (:func:`fused_cross_entropy`); ``weight`` (per class), ``ignore_index``, class-probability
    targets (float, the shape of ``input``) and ``(N, C, d1, ...)`` inputs take the general
    one, composed of differentiable operations (:func:`general_cross_entropy`).
    ``size_average``/``reduce`` are PyTorch's deprecated spelling of ``reduction``.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    z = input.array
    y = target.array if isinstance(target, Tensor) else array_module(z).asarray(target)
    check_same_device(z, y)
    if weight is None and z.ndim == 2 and y.ndim == 1 and y.dtype.kind in "iu" \
            and not (len(y) and (y == ignore_index).any()):
        return fused_cross_entropy(input, y, label_smoothing, reduction)
    return general_cross_entropy(input, y, weight, ignore_index, reduction, label_smoothing)


def fused_cross_entropy(logits: Tensor, target: Any, label_smoothing: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits ``(N, C)`` and class indices ``(N,)``, fused.

    With ``q = (1 - eps) * onehot(y) + eps / C`` (PyTorch's label smoothing),
    ``loss_i = -sum_k q_k log softmax(z_i)_k``, averaged over the batch for ``"mean"``.
    ``log softmax`` uses log-sum-exp, so huge logits neither overflow nor give ``log 0``.
    Backward: ``dz_i = g * (softmax(z_i) - q_i)`` (divided by ``N`` for ``"mean"``).
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    z = logits.array
    if z.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {z.shape}")
    n, c = z.shape
    xp = array_module(z)
    y = xp.asarray(target.array if isinstance(target, Tensor) else target)
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise ValueError(f"cross_entropy expects integer targets of shape ({n},), "
                         f"got {y.dtype} {y.shape}")
    if n and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"target class out of range [0, {c}): min {y.min()}, max {y.max()}")
    rows = xp.arange(n)
    shifted, e, sums = softmax_parts(z, axis=1)
    log_p = shifted - xp.log(sums)
    losses = -log_p[rows, y]
    if label_smoothing:
        losses = (1 - label_smoothing) * losses - label_smoothing * log_p.mean(axis=1)
    if reduction == "mean":
        out = xp.asarray(losses.mean() if n else xp.nan, dtype=z.dtype)
    elif reduction == "sum":
        out = xp.asarray(losses.sum(), dtype=z.dtype)
    else:
        out = losses

    def backward(g: Array) -> tuple[Array]:
        grad = e / sums  # softmax, a fresh array we may change in place
        grad[rows, y] -= 1 - label_smoothing
        if label_smoothing:
            grad -= label_smoothing / c
        if reduction == "none":
            grad *= g[:, None]
        else:
            grad *= g / n if reduction == "mean" else g
        return (grad,)

    return make_result(out, (logits,), backward)


def cross_entropy_array(logits: Array, y: Array) -> Array:
    """Per-sample ``loss_i = logsumexp(z_i) - z_i[y_i]`` on plain arrays, in float64 (how
    evaluation scores a model: no graph, no rounding of float32 sums)."""
    xp = array_module(logits)
    log_p = log_softmax_array(xp.asarray(logits, dtype=xp.float64), axis=1)
    return -log_p[xp.arange(len(y)), y]


def nll_loss(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` ``(N, C[, d...])`` at the class
    indices ``target`` ``(N[, d...])``: ``l_i = -w_{y_i} input[i, y_i]`` (0 where
    ``y_i == ignore_index``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    xp = array_module(input.array)
    y = xp.asarray(target.array if isinstance(target, Tensor) else target)
    if y.dtype.kind not in "iu":
        raise RuntimeError(f"nll_loss expects integer class indices, got {y.dtype} "
                           "(use .long())")
    logp = _classes_last(input)
    n, c = logp.array.shape
    flat = y.reshape(-1)
    if flat.shape != (n,):
        raise ValueError(f"nll_loss: target of shape {y.shape} does not fit input of shape "
                         f"{input.array.shape}")
    valid = flat != ignore_index
    bad = valid & ((flat < 0) | (flat >= c))
    if bad.any():
        raise IndexError(f"target {int(flat[bad][0])} is out of bounds for {c} classes")
    safe = xp.where(valid, flat, 0)
    picked = squeeze(gather(logp, 1, safe[:, None]), 1)
    dtype = logp.array.dtype
    w = valid.astype(dtype) if weight is None else \
        xp.asarray(operand(weight).array, dtype=dtype)[safe] * valid
    losses = neg(picked) * constant(w)
    if reduction == "none":
        return reshape(losses, y.shape)
    if reduction == "sum":
        return sum(losses)
    return sum(losses) / constant(xp.asarray(w.sum(), dtype=dtype))


def general_cross_entropy(input: Tensor, y: Array, weight: Any, ignore_index: int,
                          reduction: str, label_smoothing: float) -> Tensor:
    """Cross-entropy with class weights, ignored targets, smoothing or probability targets.

    Index targets: ``(1 - eps) * nll + eps * smooth`` with ``smooth_i = -sum_c w_c
    log p_ic / C`` (PyTorch's definition). Probability targets ``q``:
    ``l_i = -sum_c w_c q'_ic log p_ic`` with ``q' = (1 - eps) q + eps / C``.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    logp = log_softmax(input, 1)
    c = input.array.shape[1]
    dtype = input.array.dtype
    xp = array_module(input.array)
    w = None if weight is None else xp.asarray(operand(weight).array, dtype=dtype)
    if y.dtype.kind == "f":  # class probabilities, the shape of input
        if y.shape != input.array.shape:
            raise ValueError(f"probability targets of shape {y.shape} do not match input "
                             f"{input.array.shape}")
        q = y.astype(dtype) * (1 - label_smoothing) + label_smoothing / c
        if w is not None:
            q = q * w.reshape((1, c) + (1,) * (input.array.ndim - 2))
        return _reduce(neg(sum(logp * constant(q), 1)), reduction)
    nll = nll_loss(logp, y, w, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    flat = _classes_last(logp)
    valid = (y.reshape(-1) != ignore_index).astype(dtype)
    per_class = flat if w is None else flat * constant(w)
    smooth = neg(sum(per_class, 1)) * constant(valid / c)
    if reduction == "none":
        smooth = reshape(smooth, y.shape)
    elif reduction == "sum":
        smooth = sum(smooth)
    else:
        safe = xp.where(valid > 0, y.reshape(-1), 0)
        denom = valid.sum() if w is None else (w[safe] * valid).sum()
        smooth = sum(smooth) / constant(xp.asarray(denom, dtype=dtype))
    return nll * (1 - label_smoothing) + smooth * label_smoothing


def mse_loss(input: Tensor, target: Any, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``(input - target)^2`` per element, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    diff = input - operand(target)
    return named(_reduce(diff * diff, reduction), "MseLossBackward0", input, target)


def l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``|input - target|`` per element, reduced."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _reduce(abs(input - operand(target)), reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """``l = -w [p y log s(x) + (1 - y) log(1 - s(x))]`` from logits ``x``, computed stably as
    ``(1 - y) x + (1 + (p - 1) y) (log(1 + e^-|x|) + max(-x, 0))`` (``p`` = ``pos_weight``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    y = operand(target)
    softplus = log(exp(neg(abs(input))) + 1.0) + relu(neg(input))
    if pos_weight is None:
        losses = input * (1.0 - y) + softplus
    else:
        losses = input * (1.0 - y) + softplus * ((operand(pos_weight) - 1.0) * y + 1.0)
    if weight is not None:
        losses = losses * operand(weight)
    return named(_reduce(losses, reduction), "BinaryCrossEntropyWithLogitsBackward0", input,
                 target)


def _piecewise_quadratic(input: Tensor, target: Any, width: float, scale: float,
                         reduction: str) -> Tensor:
    """``l = scale * (0.5 d^2 / width if |d| < width else |d| - 0.5 width)``, ``d = x - y``,
    per element and reduced; ``dl/dx = scale * (d / width if |d| < width else sign(d))``,
    ``dl/dy = -dl/dx``. (``width = 0`` is the L1 loss.)"""
    y = operand(target, input)
    d = input.array - y.array
    if y.array.shape != input.array.shape:
        warnings.warn(f"Using a target size ({y.array.shape}) that is different to the input "
                      f"size ({input.array.shape}); this will likely lead to incorrect results "
                      "due to broadcasting.", UserWarning, stacklevel=3)
    size = d.size
    ad = xp.abs(d)
    inside = ad < width
    losses = scale * (xp.where(inside, 0.5 * d * d / (width if width else 1.0), ad - 0.5 * width))
    slope = scale * xp.where(inside, d / (width if width else 1.0), xp.sign(d))
    out = xp.mean(losses) if reduction == "mean" else \
        xp.sum(losses) if reduction == "sum" else losses

    def backward(g: Array) -> tuple[Array | None, Array | None]:
        gl = g * slope / size if reduction == "mean" else g * slope
        return (unbroadcast(gl, input.array.shape) if input.requires_grad else None,
                unbroadcast(-gl, y.array.shape) if y.requires_grad else None)

    return make_result(xp.asarray(out, dtype=d.dtype), (input, y), backward)


def smooth_l1_loss(input: Tensor, target: Any, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``),
    reduced; ``beta = 0`` gives the L1 loss (PyTorch's ``F.smooth_l1_loss``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    return named(_piecewise_quadratic(input, target, float(beta), 1.0, reduction),
                 "SmoothL1LossBackward0", input, target)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, reduced: the smooth
    L1 loss with ``beta = delta`` times ``delta`` (PyTorch's ``F.huber_loss``)."""
    reduction = legacy_reduction(None, None, reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    return named(_piecewise_quadratic(input, target, float(delta), float(delta), reduction),
                 "HuberLossBackward0", input, target)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``l = -w [y log p + (1 - y) log(1 - p)]`` from probabilities ``p``; each log is
    clamped at -100 as in PyTorch (prefer the ``_with_logits`` form)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    y = operand(target)
    log_p = clamp(log(input), -100.0, None)
    log_q = clamp(log(1.0 - input), -100.0, None)
    losses = neg(y * log_p + (1.0 - y) * log_q)
    if weight is not None:
        losses = losses * operand(weight)
    return named(_reduce(losses, reduction), "BinaryCrossEntropyBackward0", input, target)

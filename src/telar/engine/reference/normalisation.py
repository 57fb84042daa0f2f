"""Batch normalisation written plainly, step by step, for features and for images.

Per channel ``c`` (axis 1), over the ``m`` values of the other axes (``N``, or ``N H W``)::

    mu  = mean(x)                       var = mean((x - mu)^2)          (biased)
    xhat = (x - mu) / sqrt(var + eps)   out = gamma xhat + beta

In training the batch's ``mu`` and ``var`` are used and the running statistics move by
``momentum`` (``r <- (1 - momentum) r + momentum v``, the variance unbiased: ``var m/(m-1)``);
in evaluation the running statistics replace them. Backward, with ``dxhat = g gamma``::

    dbeta  = sum(g)                     dgamma = sum(g xhat)
    dx     = (m dxhat - sum(dxhat) - xhat sum(dxhat xhat)) / (m sqrt(var + eps))   (training)
    dx     = dxhat / sqrt(var + eps)                                              (evaluation)

:func:`telar.engine.normalisation.batch_norm` computes the same fused, in fewer passes; the
tests hold it to this one.
"""

from __future__ import annotations

from telar.engine.array import Array, array_module
from telar.engine.tensor import Tensor, make_result


def batch_norm(x: Tensor, weight: Tensor | None, bias: Tensor | None,
               running_mean: Array | None, running_var: Array | None, training: bool,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise ``x`` (``(N, C)`` or ``(N, C, H, W)``) per channel; see the module doc."""
    xd = x.array
    axes = (0,) if xd.ndim == 2 else (0, 2, 3)  # every axis but the channels'
    per_channel = (1, -1) + (1,) * (xd.ndim - 2)  # a (C,) vector broadcast along them
    m = xd.size // xd.shape[1]
    xp = array_module(xd)
    use_batch = training or running_mean is None
    if use_batch:
        mu, var = xd.mean(axis=axes), xd.var(axis=axes)
        if training and running_mean is not None and running_var is not None:
            running_mean[...] = (1 - momentum) * running_mean + momentum * mu
            running_var[...] = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mu, var = running_mean, running_var
    inv_std = (1.0 / xp.sqrt(var + eps)).reshape(per_channel)
    xhat = (xd - mu.reshape(per_channel)) * inv_std
    gamma = xp.ones(xd.shape[1], xd.dtype) if weight is None else weight.array
    gamma = gamma.reshape(per_channel)
    out = gamma * xhat
    if bias is not None:
        out = out + bias.array.reshape(per_channel)

    def backward(g: Array) -> list[Array | None]:
        dxhat = g * gamma
        if use_batch:
            dx = (m * dxhat - dxhat.sum(axis=axes, keepdims=True)
                  - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True)) * inv_std / m
        else:
            dx = dxhat * inv_std
        grads: list[Array | None] = [dx if x.requires_grad else None]
        if weight is not None:
            grads.append((g * xhat).sum(axis=axes) if weight.requires_grad else None)
        if bias is not None:
            grads.append(g.sum(axis=axes) if bias.requires_grad else None)
        return grads

    parents = tuple(t for t in (x, weight, bias) if t is not None)
    return make_result(out.astype(xd.dtype, copy=False), parents, backward)

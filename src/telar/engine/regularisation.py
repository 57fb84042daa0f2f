"""Regularisation by dropout: of single values (:func:`dropout`) and of whole channels
(:func:`dropout2d`), both inverted (the kept values are scaled by ``1/(1-p)``).
"""

from __future__ import annotations

import warnings
from typing import Any

from telar.engine.array import RandomGenerator, array_module, xp
from telar.engine.random import default_rng
from telar.engine.tensor import Tensor, make_result


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: Any = False,
            rng: RandomGenerator | None = None) -> Tensor:
    """Inverted dropout: zero each value with probability ``p``, scale the rest by ``1/(1-p)``.

    So the expected output equals the input and evaluation needs no rescaling. ``dx = g * mask``.
    ``rng`` draws the mask (default: telar's default generator, seeded by
    :func:`telar.manual_seed`); a Generator in ``inplace``'s place is taken as ``rng``
    (telar's older signature). ``inplace`` itself is ignored: the output is always new.
    """
    if isinstance(inplace, RandomGenerator):
        rng = inplace
    if rng is None:
        rng = default_rng()
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    xd = x.array
    dtype = xd.dtype if xp.issubdtype(xd.dtype, xp.floating) else xp.float64
    if p == 1.0:
        mask = xp.zeros(xd.shape, dtype=dtype)
    else:
        draws = rng.random(xd.shape, dtype=xp.float32 if dtype == xp.float32 else xp.float64)
        keep = draws >= p
        # The mask `keep / (1 - p)` overwrites the draws (same dtype): one allocation fewer.
        mask = xp.multiply(keep, dtype.type(1.0 / (1.0 - p)),
                           out=draws if draws.dtype == dtype else None)
    # drawn on the host (a seed gives the same masks on every device), then moved to x's
    mask = array_module(xd).asarray(mask)
    return make_result(xd * mask, (x,), lambda g: (g * mask,))


def dropout2d(x: Tensor, p: float, training: bool, rng: RandomGenerator) -> Tensor:
    """Channel dropout (``torch.nn.functional.dropout2d``): zero whole ``(n, c)`` feature maps
    with probability ``p``, scale the kept ones by ``1/(1-p)``; ``dx = g * mask``.

    The mask has shape ``(N, C, 1, 1)``: adjacent pixels are correlated, so dropping single
    pixels regularises convolutions little. Memory: the ``N*C`` mask.

    As PyTorch's (``feature_dropout``): a 3-D input is ``(N, C, L)`` and a 2-D one ``(N, C)``,
    whose "channels" are single values, so it is plain dropout; both with PyTorch's warning.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    xd = x.array
    if xd.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, got "
                           f"{xd.ndim}")
    if xd.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {xd.ndim}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. Note "
                      "that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      "(i.e. 3D or 4D inputs).", UserWarning, stacklevel=3)
    elif xd.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim.", UserWarning, stacklevel=3)
    if not training or p == 0.0:
        return x
    keep = rng.random(xd.shape[:2]) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = array_module(xd).asarray(
        (keep * scale).astype(xd.dtype).reshape(xd.shape[:2] + (1,) * (xd.ndim - 2)))
    return make_result(xd * mask, (x,), lambda g: (g * mask,))

"""Regularisation by dropout: of single values (:func:`dropout`) and of whole channels
(:func:`dropout2d`), both inverted (the kept values are scaled by ``1/(1-p)``).
"""

from __future__ import annotations

from typing import Any

from telar.engine.array import RandomGenerator, xp
from telar.engine.random import default_rng
from telar.engine.shapes import check_nchw
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
    return make_result(xd * mask, (x,), lambda g: (g * mask,))


def dropout2d(x: Tensor, p: float, training: bool, rng: RandomGenerator) -> Tensor:
    """Channel dropout (``torch.nn.functional.dropout2d``): zero whole ``(n, c)`` feature maps
    with probability ``p``, scale the kept ones by ``1/(1-p)``; ``dx = g * mask``.

    The mask has shape ``(N, C, 1, 1)``: adjacent pixels are correlated, so dropping single
    pixels regularises convolutions little. Memory: the ``N*C`` mask.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    xd = x.array
    check_nchw(xd, "dropout2d")
    if not training or p == 0.0:
        return x
    keep = rng.random(xd.shape[:2]) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(xd.dtype)[:, :, None, None]
    return make_result(xd * mask, (x,), lambda g: (g * mask,))

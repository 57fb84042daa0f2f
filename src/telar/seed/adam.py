"""Adam for the seed network: one flat moment pair over all of its parameters.

Standard Kingma-Ba Adam (see :func:`telar.optim.kernels.adam_update_` for the formula), applied
to the *mean* gradient of the batch.

How the report's code differs, and what that changes:

* It passes ``gradient * learning_rate`` to Adam (``hidden.T.dot(d_output) * learning_rate``).
  Adam's step ``m_hat / sqrt(v_hat)`` is invariant to a constant scale ``c`` of the gradient,
  so this changes nothing but the relative size of ``eps``.
* Its gradients are *sums* over the batch, not means (no ``/ N``): the gradient is ``N`` times
  larger; again only ``eps``'s relative size changes. Together with the learning rate the
  scale is ``c = lr * N`` (6 for full batch at lr 1e-4).
* It puts ``eps`` inside the square root, ``m / sqrt(v + eps)``, not ``m / (sqrt(v) + eps)``.
  With the scaled gradient that denominator is ``sqrt(c^2 v + eps)``, i.e. standard Adam on the
  unscaled gradient with an effective ``eps' ~ sqrt(eps) / c = 1e-4 / 6 ~ 1.7e-5`` where
  ``v`` is small. Parameters whose gradient RMS is below ~1e-5 (weights of nearly dead units,
  border pixels) therefore take smaller steps in the report's version than here; the others
  take the same step. Learning curves stay close; they are not bit-identical.
"""

from __future__ import annotations

import numpy as np

from telar.errors import ConfigError
from telar.optim.kernels import adam_update_, flush_tiny_


class SeedAdam:
    """Adam over one flat parameter array (and its flat gradient array).

    ``step()`` applies one update from ``grads`` to ``params`` in place. Every
    ``flush_every`` steps the moments whose magnitude fell below 1e-30 are set to zero, which
    keeps them out of the (slow) subnormal range without changing any float32 result.
    """

    def __init__(
        self,
        params: np.ndarray,
        grads: np.ndarray,
        *,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        flush_every: int = 64,
    ) -> None:
        if not lr > 0:
            raise ConfigError(f"learning rate must be positive, got {lr}")
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ConfigError(f"Adam betas must lie in [0, 1), got {betas}")
        if params.shape != grads.shape or params.ndim != 1:
            raise ValueError("SeedAdam needs flat params and grads of the same shape")
        self.params, self.grads = params, grads
        self.lr, self.betas, self.eps = float(lr), (float(betas[0]), float(betas[1])), float(eps)
        self.m = np.zeros_like(params)
        self.v = np.zeros_like(params)
        self.t = 0
        self.flush_every = int(flush_every)
        self._scratch = np.empty_like(params)

    def step(self) -> None:
        """``params <- Adam(params, grads)``, in place; ``t`` counts the updates made."""
        self.t += 1
        adam_update_(self.params, self.grads, self.m, self.v, self.t, self.lr,
                     self.betas[0], self.betas[1], self.eps, scratch=self._scratch)
        if self.flush_every and self.t % self.flush_every == 0:
            flush_tiny_(self.m, scratch=self._scratch)
            flush_tiny_(self.v, scratch=self._scratch)

"""The hand-written engine: the report's network with backpropagation written out by hand.

* :class:`HandwrittenNetwork` — dense ReLU layers (the report's ``784 -> 64 -> 32 -> 16 -> 10``
  by default, ``sizes``), the report's Xavier init, softmax-cross-entropy from logits, and the
  backward pass written layer by layer (batch means), on one flat parameter array.

It is trained through the same loop and optimisers as every other network
(:class:`telar.train.HandwrittenLearner` puts it behind the Learner protocol with any
``telar.optim`` optimiser). Older names of this engine, still accepted in options and model
files: ``seed``, ``manual``.

It is trained with standard Adam (:func:`telar.optim.kernels.adam_update_`) on the *mean*
gradient of the batch. How the report's code differs, and what that changes:

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

from telar.handwritten.network import REPORT_SIZES, HandwrittenNetwork

__all__ = ["REPORT_SIZES", "HandwrittenNetwork"]

"""The hand-written engine: the report's network with backpropagation written out by hand.

* :class:`HandwrittenNetwork` — dense ReLU layers (the report's ``784 -> 64 -> 32 -> 16 -> 10``
  by default, ``sizes``), the report's Xavier init, softmax-cross-entropy from logits, and the
  backward pass written layer by layer (batch means), on one flat parameter array.

It is trained through the same loop and optimisers as every other network
(:class:`telar.train.HandwrittenLearner` puts it behind the Learner protocol with any
``telar.optim`` optimiser). Older names of this engine, still accepted in options and model
files: ``seed``, ``manual``.
"""

from telar.handwritten.network import REPORT_SIZES, HandwrittenNetwork

__all__ = ["REPORT_SIZES", "HandwrittenNetwork"]

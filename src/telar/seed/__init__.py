"""The report's network, kept as the report has it but numerically sound.

* :class:`SeedNetwork` — ``784 -> 64 -> 32 -> 16 -> 10`` (``sizes``), ReLU, the report's Xavier
  init, softmax-cross-entropy from logits, hand-written backprop (batch means).
* :class:`SeedAdam` — Adam over the network's flat parameters (docstring: how the report's
  Adam differs and what that changes).
* :class:`SeedLearner` — network + Adam behind ``train_step``/``logits``/``state_arrays``/
  ``load_state_arrays``/``spec`` for the generic training loop.
* :func:`full_batch_epoch`, :func:`minibatch_epoch` — the two training modes.
"""

from telar.seed.adam import SeedAdam
from telar.seed.learner import SeedLearner
from telar.seed.loops import full_batch_epoch, minibatch_epoch
from telar.seed.network import REPORT_SIZES, SeedNetwork

__all__ = ["REPORT_SIZES", "SeedAdam", "SeedLearner", "SeedNetwork", "full_batch_epoch",
           "minibatch_epoch"]

"""``telar.optim``: optimisers, gradient clipping and learning-rate schedules.

``telar.optim.kernels`` holds the in-place ndarray update kernels they share with the
hand-written seed network.
"""

from telar.optim import lr_scheduler
from telar.optim.adam import Adam, AdamW
from telar.optim.optimizer import Optimizer, clip_grad_norm_, join_state, split_state
from telar.optim.rmsprop import RMSprop
from telar.optim.sgd import SGD

OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW}

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "clip_grad_norm_", "lr_scheduler",
           "OPTIMIZERS", "split_state", "join_state"]

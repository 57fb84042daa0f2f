"""``telar.optim``: optimisers, gradient clipping and learning-rate schedules.

``telar.optim.kernels`` holds the in-place ndarray update kernels; ``telar.optim.registry``
declares every optimiser and schedule once (names, help, builders) for the command line and
the run builder.
"""

from telar.optim import lr_scheduler
from telar.optim.adadelta import Adadelta
from telar.optim.adagrad import Adagrad
from telar.optim.adam import Adam, AdamW
from telar.optim.optimizer import Optimizer, clip_grad_norm_
from telar.optim.rmsprop import RMSprop
from telar.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta",
           "clip_grad_norm_", "lr_scheduler"]

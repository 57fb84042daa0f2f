"""Training: the learner base class, an engine-agnostic loop with callbacks, checkpoints.

Nothing here knows about data sets, run folders, figures or the command line (those are
:mod:`telar.app.runs` and :mod:`telar.app.cli`, above this package).

- :mod:`telar.train.learner`: the ``Learner`` base class (defaults for everything but the step).
- :mod:`telar.train.module_learner`: ``ModuleLearner`` (any autograd module + optimiser).
- :mod:`telar.train.handwritten_learner`: ``HandwrittenLearner`` (the hand-written network).
- :mod:`telar.train.loop`: ``fit`` / ``Trainer`` (seeded shuffling, full batch, resumable).
- :mod:`telar.train.callbacks`: progress bar, metrics.csv, early stopping, checkpoints,
  NaN guard, schedule stepping.
- :mod:`telar.train.checkpointing`: what a checkpoint holds and how a run continues from it.

>>> from telar import nn, optim                                     # doctest: +SKIP
>>> model = nn.DenseNet({"hidden": [256, 128], "batch_norm": True, "dropout": 0.2})
>>> learner = ModuleLearner(model, optim.AdamW(model.parameters(), lr=1e-3))
>>> from telar.app.evaluation import evaluate     # the one evaluator, above this package
>>> state = fit(learner, (x, y), (x_val, y_val), epochs=5, batch_size=128, seed=0,
...             callbacks=[NanGuard(), EarlyStopping(patience=2), ProgressBar()],
...             score=evaluate)
"""

from telar.train.callbacks import (
    Checkpointer,
    EarlyStopping,
    MetricsLogger,
    NanGuard,
    ProgressBar,
    ScheduleStep,
)
from telar.train.handwritten_learner import HandwrittenLearner
from telar.train.learner import Learner
from telar.train.loop import (
    Callback,
    Trainer,
    TrainingDiverged,
    TrainingInterrupted,
    TrainState,
    fit,
)
from telar.train.module_learner import ModuleLearner

__all__ = ["Callback", "Checkpointer", "EarlyStopping", "HandwrittenLearner", "Learner",
           "MetricsLogger", "ModuleLearner", "NanGuard", "ProgressBar", "ScheduleStep",
           "TrainState", "Trainer", "TrainingDiverged", "TrainingInterrupted", "fit"]

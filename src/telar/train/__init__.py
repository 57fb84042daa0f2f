"""Training: an engine-agnostic loop with callbacks, checkpoints, and the run folder.

- :mod:`telar.train.learner`: the ``Learner`` protocol and evaluation.
- :mod:`telar.train.module_learner`: ``ModuleLearner`` (any autograd module + optimiser).
- :mod:`telar.train.loop`: ``fit`` / ``Trainer`` (seeded shuffling, resumable state).
- :mod:`telar.train.callbacks`: progress bar, metrics.csv, early stopping, checkpoints,
  NaN guard, schedule stepping.
- :mod:`telar.train.checkpointing`: what a checkpoint holds and how a run continues from it.
- :mod:`telar.train.config`, :mod:`telar.train.build`, :mod:`telar.train.run`: presets and
  options, learners from a configuration, and the run folder behind ``telar train``.

>>> from telar import nn, optim                                     # doctest: +SKIP
>>> model = nn.build_mlp({"hidden": [256, 128], "batch_norm": True, "dropout": 0.2})
>>> learner = ModuleLearner(model, optim.AdamW(model.parameters(), lr=1e-3))
>>> state = fit(learner, (x, y), (x_val, y_val), epochs=5, batch_size=128, seed=0,
...             callbacks=[NanGuard(), EarlyStopping(patience=2), ProgressBar()])
"""

from telar.train.callbacks import (
    Checkpointer,
    EarlyStopping,
    MetricsLogger,
    NanGuard,
    ProgressBar,
    ScheduleStep,
)
from telar.train.learner import Learner, evaluate
from telar.train.loop import (
    Callback,
    Trainer,
    TrainingDiverged,
    TrainingInterrupted,
    TrainState,
    fit,
)
from telar.train.module_learner import ModuleLearner

__all__ = ["Callback", "Checkpointer", "EarlyStopping", "Learner", "MetricsLogger",
           "ModuleLearner", "NanGuard", "ProgressBar", "ScheduleStep", "TrainState", "Trainer",
           "TrainingDiverged", "TrainingInterrupted", "evaluate", "fit"]

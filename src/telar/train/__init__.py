"""Training: an engine-agnostic loop with callbacks, checkpoints, and the run folder.

- :mod:`telar.train.learner`: the ``Learner`` protocol and evaluation.
- :mod:`telar.train.loop`: ``fit`` / ``Trainer`` (seeded shuffling, resumable state).
- :mod:`telar.train.callbacks`: progress bar, metrics.csv, early stopping, checkpoints,
  NaN guard, schedule stepping.
- :mod:`telar.train.checkpointing`: what a checkpoint holds and how a run continues from it.
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

__all__ = ["Callback", "Checkpointer", "EarlyStopping", "Learner", "MetricsLogger", "NanGuard",
           "ProgressBar", "ScheduleStep", "TrainState", "Trainer", "TrainingDiverged",
           "TrainingInterrupted", "evaluate", "fit"]

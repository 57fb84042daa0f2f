"""Runs: from options to a trained model in a run folder (what ``telar train`` does).

- :mod:`telar.runs.presets`: named starting values and the engines.
- :mod:`telar.runs.config`: ``TrainConfig``, its validation (choices from the registries) and
  ``config.toml``.
- :mod:`telar.runs.build`: a learner (either engine) from a configuration.
- :mod:`telar.runs.data`: the training, validation and test arrays of a run.
- :mod:`telar.runs.folder`: the run folder's names, new folders, resuming.
- :mod:`telar.runs.run`: ``train_run``: callbacks, the loop, then :mod:`telar.runs.outputs`
  (model file, summary.json, figures).
"""

"""Runs: from options to a trained model in a run folder (what ``telar train`` does).

- :mod:`telar.app.runs.presets`: named starting values and the engines.
- :mod:`telar.app.runs.config`: ``TrainConfig``, its validation (choices from the registries) and
  ``config.toml``.
- :mod:`telar.app.runs.build`: a learner (either engine) from a configuration.
- :mod:`telar.app.runs.data`: the training, validation and test arrays of a run.
- :mod:`telar.app.runs.folder`: the run folder's names, new folders, resuming.
- :mod:`telar.app.runs.run`: ``train_run``: callbacks, the loop, then :mod:`telar.app.runs.outputs`
  (model file, summary.json, figures).
"""

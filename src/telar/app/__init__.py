"""The application: what turns the library into the ``telar`` command and its outputs.

- :mod:`~telar.app.run_folder`: a run's folder, its file names, reader and writer;
- :mod:`~telar.app.runs`: presets and ``config.toml`` to a trained model in a run folder;
- :mod:`~telar.app.evaluation`: the one scorer (loss, accuracy, confusion matrix, per class);
- :mod:`~telar.app.inference`: a model file to a network ready to predict;
- :mod:`~telar.app.photos`, :mod:`~telar.app.saliency`: users' pictures in, explanations out;
- :mod:`~telar.app.report`, :mod:`~telar.app.reproduce`: figures and pages; the report's
  experiments;
- :mod:`~telar.app.web`: ``telar serve``;  :mod:`~telar.app.cli`: one module per sub-command,
  started by :mod:`~telar.app.command`.

Every module here imports only from this package and the layers below it.
"""

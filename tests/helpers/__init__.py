"""What the tests share, imported as ``helpers.<module>`` (pytest puts ``tests/`` on the path).

- :mod:`helpers.fake_data`: every data set a test writes (generated images and labels, and a
  writer for each layout);
- :mod:`helpers.mirror`: a local HTTP mirror to download from;
- :mod:`helpers.pictures`: pictures drawn with Pillow, and broken image files;
- :mod:`helpers.bounded`: ``telar`` or Python in a child process under resource limits;
- :mod:`helpers.cli_error`: the one-line error check of an in-process ``telar`` command;
- :mod:`helpers.live_server`: ``telar serve`` in a child process, and an HTTP client;
- :mod:`helpers.oracle`: a tuned kernel held to its plain reference, values and gradients;
- :mod:`helpers.runs`: a ``telar train`` child process, and comparing two runs;
- :mod:`helpers.shapes`: three garments drawn as shapes, the web tests' data set;
- :mod:`helpers.toy_learner`: a tiny NumPy learner for the training-loop tests.
"""

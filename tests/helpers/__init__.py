"""What the tests share, imported as ``helpers.<module>`` (pytest puts ``tests/`` on the path).

- :mod:`helpers.fake_data`: every data set a test writes: generated images and labels, and a
  writer for each layout (IDX gz or plain, Kaggle CSV, torchvision's raw folder, a mirror's);
- :mod:`helpers.mirror`: a local HTTP mirror to download from;
- :mod:`helpers.pictures`: pictures drawn with Pillow (a shoe, bars, photos of the shapes set),
  and broken image files;
- :mod:`helpers.engine`: leaf tensors, the gradient check and PyTorch side by side, for the
  engine's and nn's tests; :mod:`helpers.oracle`: a tuned kernel held to its plain reference;
- :mod:`helpers.optim`: the optimiser settings held to PyTorch's, and a run beside PyTorch's;
- :mod:`helpers.toy_learner`: a tiny NumPy learner and its blobs, for the training loop's tests;
- :mod:`helpers.model_files`: a small good model file, and tools to tamper with one;
- :mod:`helpers.runs`: a ``telar train`` child process, and comparing two runs;
- :mod:`helpers.examples`: running a script of ``examples/`` as a user would;
- :mod:`helpers.bounded`: ``telar`` or Python in a child process under resource limits;
- :mod:`helpers.cli_error`: the one-line error check of an in-process ``telar`` command;
- :mod:`helpers.live_server`: ``telar serve`` in a child process, and an HTTP client.

Fixtures are in the conftest.py files: the root one for those many folders use (the real data,
an isolated data environment, a mirror), the others beside the tests that use theirs.
"""

"""Files telar writes and reads, safely.

- :mod:`~telar.io.atomic`: atomic writes (a temporary file, then a rename);
- :mod:`~telar.io.telar_file`: the one file format (``.npz`` arrays + JSON metadata, never
  pickle) for model files, checkpoints and ``telar.save``;
- :mod:`~telar.io.text`: text from files and users made inert before it is printed.
"""

"""Hyper-parameter sweeps on Optuna, run by local processes or a Dask cluster (``telar sweep``).

- :mod:`~telar.app.sweep.spec` and :mod:`~telar.app.sweep.space`: the spec file, checked whole
  before any trial starts.
- :mod:`~telar.app.sweep.study`: the sweep folder and its Optuna study (a journal file).
- :mod:`~telar.app.sweep.run`: the coordinator; :mod:`~telar.app.sweep.local` (``--jobs``,
  with :mod:`~telar.app.sweep.worker`) and :mod:`~telar.app.sweep.cluster` (``--dask``) run
  the trials, each one :func:`telar.app.sweep.trial.execute_trial`.
- :mod:`~telar.app.sweep.report` and :mod:`~telar.app.sweep.figures`: sweep.html, best.toml.

>>> study = sweep("sweep.toml", out="sweeps/lr", jobs=2)        # doctest: +SKIP
>>> study.best_params                                            # doctest: +SKIP
{'lr': 0.0031}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def sweep(spec: str | Path | Mapping[str, Any] | None, *, out: str | Path, jobs: int = 1,
          dask: str | None = None, resume: bool = False, progress: bool | None = False) -> Any:
    """Run the sweep ``spec`` (a SPEC.toml path, or its contents as a dict) in the folder
    ``out`` and return the :class:`optuna.study.Study`; ``telar sweep SPEC --out DIR`` in
    Python. ``jobs``: local worker processes; ``dask``: ``"tcp://HOST:8786"`` or
    ``"local:N"``; ``resume``: continue the sweep in ``out`` (``spec`` may then be None)."""
    from telar.app.sweep.run import run_sweep

    return run_sweep(spec, out, jobs=jobs, dask=dask, resume=resume, progress=progress)

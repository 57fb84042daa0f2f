"""One trial, where it runs (a local worker process or a Dask worker): train, score, tell.

:func:`execute_trial` reads the spec and the trial's drawn values from the sweep folder, trains
an ordinary run folder (``DIR/trials/trial-NNNN``, by :func:`telar.app.runs.run.train_run`, the
code ``telar train`` runs) with :class:`PruneOnEpoch` reporting each epoch's validation score to
Optuna, writes the run's report.html, and tells the study the result itself: a trial whose
process survives is recorded even when the ``telar sweep`` that started it is gone.

The objective is the validation score (``val_accuracy`` or ``val_loss`` on ``val_split`` of the
training set) of the weights the run keeps: the last epoch's, or the best epoch's when
``early_stop`` restored it. A pruned trial stops after its epoch, and its run folder is still
finished (model, summary, report); a failing one (diverged, or any error) is recorded as failed
with its reason.
"""

from __future__ import annotations

import functools
import os
import socket
import time
import traceback
from pathlib import Path
from typing import Any

from telar.app.sweep.optional import optuna
from telar.app.sweep.study import FAIL_REASON, SweepFolder, load_study
from telar.errors import TelarError
from telar.train.loop import Callback, Trainer


class PruneOnEpoch(Callback):
    """Report ``key`` (e.g. ``val_accuracy``) to the Optuna trial after each epoch; when the
    pruner says so, stop the run after this epoch (never after the last: nothing to save)."""

    def __init__(self, trial: Any, key: str) -> None:
        self.trial = trial
        self.key = key
        self.rows: dict[int, float] = {}
        self.pruned_at: int | None = None

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        epoch = int(row["epoch"])
        self.rows[epoch] = float(row[self.key])
        self.trial.report(self.rows[epoch], epoch)
        if epoch < trainer.state.epochs and self.trial.should_prune():
            self.pruned_at = epoch
            trainer.request_stop(f"pruned by the sweep at epoch {epoch}: {self.key} "
                                 f"{self.rows[epoch]:.4f} is worse than the median of "
                                 "earlier trials")


def limit_threads(threads: int | None) -> None:
    """Hold this process to ``threads`` BLAS threads and chunk threads (``None``: as is)."""
    if threads is None:
        return
    from threadpoolctl import threadpool_limits

    from telar.engine.cpu import workers

    threadpool_limits(limits=threads)
    workers.WORKERS = threads


def where_it_runs() -> dict[str, Any]:
    """The host and process a trial runs in, and the threads it may use (BLAS, chunks)."""
    from threadpoolctl import threadpool_info

    from telar.engine.cpu import workers

    blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    return {"host": socket.gethostname(), "pid": os.getpid(),
            "blas_threads": max(blas, default=0), "chunk_threads": workers.workers()}


@functools.lru_cache(maxsize=4)
def open_sweep_here(sweep_dir: str) -> tuple[SweepFolder, Any, Any]:
    """The folder, spec and study of a sweep, read once per process: a worker that runs many
    trials reads the spec and replays the journal from the start only once (the study reads
    what other processes appended at each access)."""
    folder = SweepFolder(Path(sweep_dir))
    spec = folder.read_spec()
    return folder, spec, load_study(folder, spec)


def execute_trial(sweep_dir: str, number: int, threads: int | None = None) -> dict[str, Any]:
    """Run trial ``number`` of the sweep in ``sweep_dir`` and tell the study its result.

    Returns ``{"number", "state", "value", "reason", "seconds"}`` (state ``COMPLETE``,
    ``PRUNED`` or ``FAIL``). Never raises for a failing trial: its reason is recorded.
    """
    started = time.perf_counter()
    limit_threads(threads)
    folder, spec, study = open_sweep_here(sweep_dir)
    trial_id = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    trial = optuna().trial.Trial(study, trial_id)
    for key, value in where_it_runs().items():
        study._storage.set_trial_user_attr(trial_id, key, value)
    state = optuna().trial.TrialState
    prune = PruneOnEpoch(trial, spec.objective)
    reason = ""
    value = None
    try:
        config = spec.trial_config(study._storage.get_trial(trial_id).params)
        summary = _train(folder, number, config, prune, report=spec.trial_reports)
        value = _objective(prune, summary)
        result = state.PRUNED if prune.pruned_at is not None else state.COMPLETE
        if result == state.PRUNED:
            reason = f"pruned at epoch {prune.pruned_at}"
    except TelarError as exc:
        result, reason = state.FAIL, str(exc)
    except Exception as exc:  # any error fails this trial, not the sweep
        last = traceback.extract_tb(exc.__traceback__)[-1]
        result = state.FAIL
        reason = f"{type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"
    if reason:
        study._storage.set_trial_user_attr(trial_id, FAIL_REASON if result == state.FAIL
                                           else "pruned", reason)
    study._storage.set_trial_user_attr(trial_id, "epochs", len(prune.rows))
    if result == state.COMPLETE:
        study.tell(number, value, skip_if_finished=True)
    else:
        study.tell(number, state=result, skip_if_finished=True)
    return {"number": number, "state": result.name, "value": value, "reason": reason,
            "seconds": time.perf_counter() - started}


def _train(folder: SweepFolder, number: int, config: Any, prune: PruneOnEpoch, *,
           report: bool) -> dict[str, Any]:
    """``telar train`` of the trial's configuration into its run folder (and its report.html
    when ``report``), logging to the trial's log file."""
    from telar.app.runs.run import train_run

    log = folder.log_path(number)
    log.parent.mkdir(parents=True, exist_ok=True)
    out = folder.trial_dir(number)
    with open(log, "w", encoding="utf-8") as stream:
        # overwrite: a Dask worker that died may have left this trial's folder half-written
        summary = train_run(config, out, overwrite=True, stream=stream, progress=False,
                            callbacks=[prune])
        if report:
            stream.write(write_run_report(out) + "\n")
    return summary


def write_run_report(run: Path) -> str:
    """Build ``run/report.html``; as with ``telar train``, a run stands without it: say why."""
    from telar.app.report.html import build_report

    try:
        return f"report: {build_report(run)}"
    except (TelarError, OSError) as exc:
        return f"no report.html: {exc}"


def _objective(prune: PruneOnEpoch, summary: dict[str, Any]) -> float:
    """The score of the weights the run kept: the restored best epoch's, else the last's."""
    epoch = summary.get("restored_best_epoch") or max(prune.rows)
    return prune.rows[int(epoch)]

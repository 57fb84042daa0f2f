"""A sweep's folder and its Optuna study, kept in a journal file safe for several processes.

``DIR/`` holds::

    sweep.toml        the spec, its base written out in full (what makes this study this one)
    study.journal     Optuna's JournalStorage file: every trial, its values, its state
    .sweep.lock       held by the ``telar sweep`` that runs trials here (fcntl.flock)
    trials/trial-0003/    each trial's run folder (what ``telar train`` writes)
    logs/trial-0003.log   each trial's training log
    sweep.html, best.toml the report and the best configuration

Trials are counted once: a trial that a killed or interrupted sweep left RUNNING is marked
failed with ``interrupted`` set (:func:`retire_interrupted`) and its values queued again, so
it is retried and the interrupted copy never counts (:func:`counted`).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telar.app.run_folder import RunDirLock
from telar.app.sweep.optional import optuna
from telar.app.sweep.spec import SweepSpec, parse_spec, read_spec
from telar.errors import ConfigError
from telar.io.atomic import atomic_write_text

STUDY_NAME = "telar-sweep"
INTERRUPTED = "interrupted"  # user attribute of a trial a stopped sweep left unfinished
FAIL_REASON = "fail_reason"


@dataclass(frozen=True)
class SweepFolder:
    """The paths of a sweep folder."""

    path: Path

    @property
    def spec_path(self) -> Path:
        return self.path / "sweep.toml"

    @property
    def journal_path(self) -> Path:
        return self.path / "study.journal"

    @property
    def lock_path(self) -> Path:
        return self.path / ".sweep.lock"

    @property
    def html_path(self) -> Path:
        return self.path / "sweep.html"

    @property
    def best_path(self) -> Path:
        return self.path / "best.toml"

    def trial_dir(self, number: int) -> Path:
        return self.path / "trials" / f"trial-{number:04d}"

    def log_path(self, number: int) -> Path:
        return self.path / "logs" / f"trial-{number:04d}.log"

    def holds_sweep(self) -> bool:
        return self.spec_path.exists()

    def read_spec(self) -> SweepSpec:
        """The spec this folder's study was started with."""
        return read_spec(self.spec_path)


def storage(folder: SweepFolder) -> Any:
    """The study's JournalStorage on ``DIR/study.journal`` (file locks: several processes may
    write; no database server)."""
    journal = optuna().storages.journal
    backend = journal.JournalFileBackend(str(folder.journal_path),
                                         lock_obj=journal.JournalFileOpenLock(
                                             str(folder.journal_path)))
    return optuna().storages.JournalStorage(backend)


def sampler(spec: SweepSpec) -> Any:
    samplers = optuna().samplers
    if spec.sampler == "grid":
        return samplers.GridSampler({p.name: p.grid(p.name) for p in spec.space}, seed=spec.seed)
    if spec.sampler == "random":
        return samplers.RandomSampler(seed=spec.seed)
    return samplers.TPESampler(seed=spec.seed, constant_liar=True)


def pruner(spec: SweepSpec) -> Any:
    """Median pruning on the per-epoch score (steps are epochs, 1, 2, ...): a trial is pruned
    when its score at an epoch is worse than the median of earlier trials at that epoch, once
    ``pruner_startup_trials`` trials have finished and after ``pruner_warmup_epochs`` epochs."""
    pruners = optuna().pruners
    if spec.pruner == "none":
        return pruners.NopPruner()
    return pruners.MedianPruner(n_startup_trials=spec.pruner_startup_trials,
                                n_warmup_steps=spec.pruner_warmup_epochs + 1)


def load_study(folder: SweepFolder, spec: SweepSpec, *, sampling: bool = False) -> Any:
    """The study of ``folder`` (it must exist), with the spec's pruner; with ``sampling``,
    its sampler too. Where trials are only recorded (a worker, a failure), no sampler runs:
    the grid sampler would try to stop the study when it records the grid's last point."""
    return optuna().load_study(study_name=STUDY_NAME, storage=storage(folder),
                               sampler=sampler(spec) if sampling else
                               optuna().samplers.RandomSampler(), pruner=pruner(spec))


def open_sweep(folder: SweepFolder, spec: SweepSpec | None, *, resume: bool
               ) -> tuple[SweepSpec, Any]:
    """Check that ``folder`` can hold this sweep, write its spec, and open the study.

    A new sweep needs a folder without a sweep; ``resume`` needs one holding the same spec
    (``trials`` may differ: a sweep can be extended). ``spec=None``: the folder's own.
    """
    where = f"--out {folder.path}"
    if folder.path.exists() and not folder.path.is_dir():
        raise ConfigError(f"{where}: exists and is not a folder")
    if folder.holds_sweep():
        stored = folder.read_spec()
        if spec is None:
            spec = stored
        elif spec.study_key() != stored.study_key():
            raise ConfigError(f"{where}: holds another sweep (its spec, {folder.spec_path}, "
                              "differs from this one); choose another folder")
        if not resume:
            raise ConfigError(f"{where}: already holds this sweep; continue it with --resume "
                              "(or choose another folder)")
    else:
        if resume or spec is None:
            raise ConfigError(f"{where}: holds no sweep to "
                              f"{'resume' if resume else 'read'} ({folder.spec_path.name} "
                              "is missing)")
        if folder.path.exists() and any(e.name != folder.lock_path.name
                                        for e in folder.path.iterdir()):
            raise ConfigError(f"{where}: is not empty and holds no sweep; choose an empty "
                              "folder")
    copy = parse_spec(tomllib.loads(spec.toml()), source=str(folder.spec_path))
    if copy.study_key() != spec.study_key():  # what is written must read back the same
        raise ConfigError(f"{folder.spec_path}: the spec does not read back the same")
    folder.path.mkdir(parents=True, exist_ok=True)
    study = optuna().create_study(study_name=STUDY_NAME, storage=storage(folder),
                                  sampler=sampler(spec), pruner=pruner(spec),
                                  direction=spec.direction, load_if_exists=True)
    atomic_write_text(folder.spec_path, spec.toml())
    return dataclasses.replace(copy, trials=spec.trials), study


def lock(folder: SweepFolder) -> RunDirLock:
    """Hold ``DIR/.sweep.lock``: one ``telar sweep`` at a time runs a folder's trials."""
    held = RunDirLock(folder.lock_path)
    try:
        held.acquire()
    except ConfigError:
        raise ConfigError(f"--out {folder.path}: another telar sweep is running trials "
                          "there") from None
    return held


def counted(trials: list[Any]) -> int:
    """Trials that count towards ``trials``: all but the interrupted (they are retried)."""
    return sum(1 for t in trials if not t.user_attrs.get(INTERRUPTED))


def retire_interrupted(study: Any, numbers: list[int] | None = None) -> list[int]:
    """Mark unfinished trials (``numbers``, or every RUNNING one) as failed and interrupted,
    and queue their values again; returns their numbers. Only with the folder's lock held
    (then no process runs them)."""
    state = optuna().trial.TrialState
    retired = []
    for t in study.get_trials(deepcopy=False):
        if t.state != state.RUNNING or (numbers is not None and t.number not in numbers):
            continue
        study._storage.set_trial_user_attr(t._trial_id, INTERRUPTED, True)
        study._storage.set_trial_user_attr(t._trial_id, FAIL_REASON,
                                           "interrupted (the sweep stopped); retried")
        study.tell(t.number, state=state.FAIL, skip_if_finished=True)
        study.enqueue_trial(dict(t.params), user_attrs={"retry_of": t.number})
        retired.append(t.number)
    return retired

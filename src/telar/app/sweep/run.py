"""Running a sweep: the study opened in its folder, trials handed to an executor, the report.

The process that runs ``telar sweep`` coordinates: it holds the folder's lock, asks Optuna for
each trial's values (``study.ask`` with the spec's distributions: the sampler runs here, on
every finished trial so far), hands the trial's number to a free slot of the executor
(:class:`~telar.app.sweep.local.LocalExecutor` or :class:`~telar.app.sweep.cluster.DaskExecutor`)
and waits. The trial itself (:func:`~telar.app.sweep.trial.execute_trial`) trains, reports
each epoch for pruning and tells the study its result. At the end, or on Ctrl-C, the report
and ``best.toml`` are written (:mod:`telar.app.sweep.report`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from telar.app.sweep.optional import optuna
from telar.app.sweep.spec import SweepSpec, parse_spec, read_spec
from telar.app.sweep.study import (
    FAIL_REASON,
    SweepFolder,
    counted,
    load_study,
    lock,
    open_sweep,
    retire_interrupted,
)
from telar.errors import ConfigError, TelarError


class SweepInterrupted(Exception):
    """Ctrl-C stopped the sweep; its unfinished trials are marked for a retry on --resume."""


def as_spec(spec: str | Path | Mapping[str, Any] | SweepSpec | None) -> SweepSpec | None:
    """A spec from a path, a dict (the TOML's contents) or a :class:`SweepSpec`."""
    if spec is None or isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, Mapping):
        return parse_spec(spec)
    return read_spec(spec)


def run_sweep(spec: str | Path | Mapping[str, Any] | SweepSpec | None, out: str | Path, *,
              jobs: int = 1, dask: str | None = None, resume: bool = False,
              progress: bool | None = None, stream: TextIO | None = None) -> Any:
    """Run (or, with ``resume``, continue) the sweep ``spec`` in the folder ``out``; return the
    Optuna study. ``jobs``: local worker processes; ``dask``: ``tcp://HOST:PORT`` or ``local:N``
    instead. Everything is checked before the first trial starts."""
    stream = stream or sys.stderr
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"--jobs: expected an integer >= 1, got {jobs!r}")
    if dask is not None and jobs != 1:
        raise ConfigError("give either --jobs N (local processes) or --dask ADDRESS, not both")
    if dask is not None:
        from telar.app.sweep.cluster import parse_address

        parse_address(dask)  # a bad address is refused before the folder is touched
    parsed = as_spec(spec)
    folder = SweepFolder(Path(out))
    _make_folder(folder)
    held = lock(folder)
    try:
        parsed, study = open_sweep(folder, parsed, resume=resume)
        _check_data(parsed)
        recorder = load_study(folder, parsed)  # tells failures, never samples
        retried = retire_interrupted(recorder)
        if retried:
            stream.write(f"retrying interrupted trial{'s' * (len(retried) > 1)} "
                         f"{', '.join(map(str, retried))}\n")
        executor = _executor(folder, jobs, dask)
        try:
            stream.write(f"sweep {folder.path}: {_target(parsed)} trials of {parsed.objective} "
                         f"on {executor.description}\n")
            _drive(study, recorder, parsed, executor, stream, progress)
        except KeyboardInterrupt:
            running = executor.running()
            executor.close()
            retire_interrupted(recorder, running)
            raise SweepInterrupted(f"interrupted; {len(running)} unfinished trial(s) will be "
                                   f"retried: continue with `telar sweep --resume --out "
                                   f"{folder.path}`") from None
        finally:
            executor.close()
            _write_results(folder, parsed, study, stream)
    finally:
        held.release()
    return study


def _make_folder(folder: SweepFolder) -> None:
    if folder.path.exists() and not folder.path.is_dir():
        raise ConfigError(f"--out {folder.path}: exists and is not a folder")
    try:
        folder.path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out {folder.path}: cannot create the folder ({exc.strerror})") \
            from None


def _check_data(spec: SweepSpec) -> None:
    """Find and load the data set once now: a missing one is one error, not a failed trial
    each; and the trials then read it from telar's cache."""
    from telar.data import load_fashion_mnist

    config = spec.trial_config({p.name: p.candidates()[0] for p in spec.space})
    load_fashion_mnist(config.data or None, train_csv=config.train_csv or None,
                       test_csv=config.test_csv or None, progress=False)


def _executor(folder: SweepFolder, jobs: int, dask: str | None) -> Any:
    if dask is not None:
        from telar.app.sweep.cluster import DaskExecutor

        return DaskExecutor(folder.path, dask)
    from telar.app.sweep.local import LocalExecutor

    return LocalExecutor(folder.path, jobs)


def _target(spec: SweepSpec) -> int:
    """``trials``, or fewer for a grid with fewer points."""
    if spec.sampler != "grid":
        return spec.trials
    points = 1
    for p in spec.space:
        points *= len(p.grid(p.name))
    return min(spec.trials, points)


def _drive(study: Any, recorder: Any, spec: SweepSpec, executor: Any, stream: TextIO,
           progress: bool | None) -> None:
    """Keep every slot busy until ``trials`` trials have finished (``study`` samples,
    ``recorder`` records the trials whose process died)."""
    state = optuna().trial.TrialState
    distributions = {p.name: p.distribution() for p in spec.space}
    target = _target(spec)
    trials = study.get_trials(deepcopy=False)
    finished = sum(1 for t in trials if t.state.is_finished() and counted([t]))
    show = stream.isatty() if progress is None else progress
    bar = tqdm(total=target, initial=min(finished, target), desc="trials", unit="trial",
               file=stream, disable=not show, dynamic_ncols=True)
    write = bar.write if show else (lambda text: stream.write(text + "\n"))
    try:
        while True:
            trials = study.get_trials(deepcopy=False)
            waiting = any(t.state == state.WAITING for t in trials)
            while len(executor.running()) < executor.slots and (
                    waiting or counted(trials) < target):
                trial = study.ask(fixed_distributions=distributions)
                executor.submit(trial.number)
                trials = study.get_trials(deepcopy=False)
                waiting = any(t.state == state.WAITING for t in trials)
            if not executor.running():
                break
            for number, result in executor.wait(timeout=None):
                if isinstance(result, str):  # the process running it died: record why
                    _fail(recorder, number, result)
                    result = {"state": "FAIL", "value": None, "reason": result, "seconds": 0.0}
                write(_trial_line(study, spec, number, result))
                bar.update(1)
                _set_best(bar, study, spec)
    finally:
        bar.close()


def _fail(study: Any, number: int, reason: str) -> None:
    storage = study._storage
    trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id, number)
    if storage.get_trial(trial_id).state.is_finished():  # it told its result before dying
        return
    storage.set_trial_user_attr(trial_id, FAIL_REASON, reason)
    study.tell(number, state=optuna().trial.TrialState.FAIL, skip_if_finished=True)


def _trial_line(study: Any, spec: SweepSpec, number: int, result: dict[str, Any]) -> str:
    trial = study.get_trials(deepcopy=False)[number]
    params = ", ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
    value = result.get("value")
    score = f"{spec.objective} {value:.4f}" if value is not None else ""
    reason = result.get("reason") or ""
    parts = [f"trial {number}: {result['state'].lower()}", score, f"({params})" if params else "",
             reason if result["state"] != "COMPLETE" else "",
             f"{result.get('seconds', 0.0):.1f} s"]
    return " ".join(p for p in parts if p)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _set_best(bar: Any, study: Any, spec: SweepSpec) -> None:
    try:
        bar.set_postfix_str(f"best {spec.objective} {study.best_value:.4f}", refresh=True)
    except ValueError:  # no complete trial yet
        pass


def _write_results(folder: SweepFolder, spec: SweepSpec, study: Any, stream: TextIO) -> None:
    """sweep.html and best.toml; a report that cannot be built does not lose the sweep."""
    from telar.app.sweep.report import write_report

    try:
        for path in write_report(folder, spec, study):
            stream.write(f"wrote {path}\n")
    except (TelarError, OSError) as exc:
        stream.write(f"telar: no sweep.html ({exc}); the study is in {folder.journal_path}\n")

"""The sweep folder's study: one spec a folder, interrupted trials retried, none counted twice."""

from __future__ import annotations

import optuna
import pytest

from telar.app.sweep.spec import parse_spec
from telar.app.sweep.study import (
    INTERRUPTED,
    SweepFolder,
    counted,
    load_study,
    lock,
    open_sweep,
    retire_interrupted,
)
from telar.errors import ConfigError

State = optuna.trial.TrialState


def test_a_new_sweep_writes_its_spec_and_a_journal(tmp_path, small_spec):
    folder = SweepFolder(tmp_path / "sweep")
    spec, study = open_sweep(folder, parse_spec(small_spec), resume=False)
    assert folder.spec_path.exists() and folder.journal_path.exists()
    assert spec.source == str(folder.spec_path)  # messages now name the folder's copy
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE


def test_a_folder_holding_another_sweep_is_refused_and_left_as_it_was(tmp_path, small_spec):
    folder = SweepFolder(tmp_path / "sweep")
    open_sweep(folder, parse_spec(small_spec), resume=False)
    before = folder.spec_path.read_bytes()
    other = {**small_spec, "objective": "val_loss"}
    with pytest.raises(ConfigError, match=r"holds another sweep .* differs from this one"):
        open_sweep(folder, parse_spec(other), resume=True)
    assert folder.spec_path.read_bytes() == before


def test_the_same_sweep_again_needs_resume_and_may_ask_for_more_trials(tmp_path, small_spec):
    folder = SweepFolder(tmp_path / "sweep")
    open_sweep(folder, parse_spec(small_spec), resume=False)
    with pytest.raises(ConfigError, match="already holds this sweep; continue it with --resume"):
        open_sweep(folder, parse_spec(small_spec), resume=False)
    spec, _ = open_sweep(folder, parse_spec({**small_spec, "trials": 5}), resume=True)
    assert spec.trials == 5
    spec, _ = open_sweep(folder, None, resume=True)  # the folder's own spec
    assert spec.study_key() == parse_spec(small_spec).study_key()


def test_resume_and_a_non_empty_folder_without_a_sweep_are_refused(tmp_path, small_spec):
    with pytest.raises(ConfigError, match="holds no sweep to resume"):
        open_sweep(SweepFolder(tmp_path / "none"), parse_spec(small_spec), resume=True)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="is not empty and holds no sweep"):
        open_sweep(SweepFolder(tmp_path / "busy"), parse_spec(small_spec), resume=False)


def test_one_sweep_process_at_a_time_holds_the_folder(tmp_path):
    folder = SweepFolder(tmp_path)
    held = lock(folder)
    try:
        # flock locks belong to the open file: a second open in this process is refused too
        with pytest.raises(ConfigError, match="another telar sweep is running trials there"):
            lock(folder)
    finally:
        held.release()
    lock(folder).release()


def test_an_interrupted_trial_is_failed_retried_with_its_values_and_counted_once(
        tmp_path, small_spec):
    folder = SweepFolder(tmp_path / "sweep")
    spec, study = open_sweep(folder, parse_spec(small_spec), resume=False)
    dists = {p.name: p.distribution() for p in spec.space}
    done = study.ask(dists)
    study.tell(done, 0.5)
    left = study.ask(dists)  # as a killed sweep leaves it: RUNNING
    assert counted(study.get_trials()) == 2
    study = load_study(folder, spec)  # a later process
    assert retire_interrupted(study) == [left.number]
    trials = study.get_trials()
    assert trials[left.number].state == State.FAIL
    assert trials[left.number].user_attrs[INTERRUPTED] is True
    assert trials[-1].state == State.WAITING
    assert counted(trials) == 2  # the done one, and the retry
    retry = study.ask(dists)
    assert retry.number == trials[-1].number and retry.params == left.params
    assert retry.user_attrs["retry_of"] == left.number
    assert retire_interrupted(study, numbers=[]) == []  # nothing else touched

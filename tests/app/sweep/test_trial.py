"""One trial: an ordinary run folder, scored on validation, pruned per epoch, failures kept."""

from __future__ import annotations

import json

import optuna
import pytest

from telar.app.run_folder import RunFolder
from telar.app.sweep.spec import parse_spec
from telar.app.sweep.study import FAIL_REASON, SweepFolder, open_sweep
from telar.app.sweep.trial import execute_trial

State = optuna.trial.TrialState


def start(tmp_path, document, *values):
    """A sweep folder whose next trials draw ``values`` (dicts), asked as the sweep asks."""
    folder = SweepFolder(tmp_path / "sweep")
    spec, study = open_sweep(folder, parse_spec(document), resume=False)
    for v in values:
        study.enqueue_trial(v)
    dists = {p.name: p.distribution() for p in spec.space}
    return folder, study, [study.ask(dists).number for _ in values], dists


def test_a_trial_is_a_run_folder_scored_on_its_last_validation_epoch(tmp_path, small_spec):
    folder, study, [n], _ = start(tmp_path, small_spec, {"lr": 0.005, "hidden": "32"})
    result = execute_trial(str(folder.path), n)
    assert result["state"] == "COMPLETE"
    run = RunFolder.open(folder.trial_dir(n), need_model=True)
    assert run.metrics["val_accuracy"][-1] == pytest.approx(result["value"])
    assert run.train_section()["lr"] == 0.005 and run.train_section()["hidden"] == [32]
    assert run.summary["eval_set"] == "val"  # the test set is scored, but never the objective
    trial = study.get_trials()[n]
    assert trial.state == State.COMPLETE and trial.value == pytest.approx(result["value"])
    assert trial.intermediate_values == {1: run.metrics["val_accuracy"][0],
                                         2: run.metrics["val_accuracy"][1]}
    assert trial.user_attrs["epochs"] == 2


def test_val_loss_is_minimised(tmp_path, small_spec):
    folder, study, [n], _ = start(tmp_path, {**small_spec, "objective": "val_loss"},
                                  {"lr": 0.005, "hidden": "32"})
    result = execute_trial(str(folder.path), n)
    run = RunFolder(folder.trial_dir(n))
    assert result["value"] == pytest.approx(run.metrics["val_loss"][-1])
    assert study.direction == optuna.study.StudyDirection.MINIMIZE


def test_a_diverging_trial_is_failed_with_its_reason(tmp_path, small_spec):
    document = {**small_spec, "fixed": {**small_spec["fixed"], "optimizer": "sgd"},
                "space": {"lr": {"log": [1e-3, 1e14]}}}
    folder, study, [n], _ = start(tmp_path, document, {"lr": 1e14})
    result = execute_trial(str(folder.path), n)
    assert result["state"] == "FAIL"
    assert "training diverged" in result["reason"]
    trial = study.get_trials()[n]
    assert trial.state == State.FAIL and "training diverged" in trial.user_attrs[FAIL_REASON]


def test_a_trial_worse_than_the_median_is_pruned_and_its_run_folder_still_finished(
        tmp_path, small_spec):
    document = {**small_spec, "pruner": "median", "pruner_startup_trials": 1,
                "pruner_warmup_epochs": 0, "fixed": {**small_spec["fixed"], "epochs": 3},
                "space": {"lr": {"log": [1e-7, 1e-2]}}}
    folder, study, [good, bad], _ = start(tmp_path, document, {"lr": 1e-2}, {"lr": 1e-7})
    assert execute_trial(str(folder.path), good)["state"] == "COMPLETE"
    result = execute_trial(str(folder.path), bad)
    assert result["state"] == "PRUNED" and result["reason"] == "pruned at epoch 1"
    run = RunFolder.open(folder.trial_dir(bad), need_model=True)  # evaluate/report read it
    assert len(run.metrics["epoch"]) == 1
    summary = json.loads(run.summary_path.read_text())
    assert summary["stopped_early"] and "pruned by the sweep at epoch 1" in summary["stop_reason"]
    assert study.get_trials()[bad].state == State.PRUNED


def test_the_last_epoch_is_never_pruned(tmp_path, small_spec):
    document = {**small_spec, "pruner": "median", "pruner_startup_trials": 1,
                "pruner_warmup_epochs": 0, "fixed": {**small_spec["fixed"], "epochs": 1},
                "space": {"lr": {"log": [1e-7, 1e-2]}}}
    folder, _, [good, bad], _ = start(tmp_path, document, {"lr": 1e-2}, {"lr": 1e-7})
    execute_trial(str(folder.path), good)
    assert execute_trial(str(folder.path), bad)["state"] == "COMPLETE"

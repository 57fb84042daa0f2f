"""sweep.html, best.toml and the terminal table, from a real study (trials told directly)."""

from __future__ import annotations

import re

import optuna
import pytest

from telar.app.runs.config import build_config
from telar.app.sweep.report import importances, table_rows, text_table, write_report
from telar.app.sweep.spec import parse_spec
from telar.app.sweep.study import FAIL_REASON, SweepFolder, open_sweep

State = optuna.trial.TrialState


def told(tmp_path, small_spec, values, objective="val_accuracy"):
    """A sweep folder whose trials were told ``values`` (a number, "pruned" or "fail")."""
    folder = SweepFolder(tmp_path / "sweep")
    spec, study = open_sweep(folder, parse_spec({**small_spec, "objective": objective}),
                             resume=False)
    dists = {p.name: p.distribution() for p in spec.space}
    for value in values:
        trial = study.ask(dists)
        if value == "pruned":
            trial.report(0.1, 1)
            study.tell(trial, state=State.PRUNED)
        elif value == "fail":
            trial.set_user_attr(FAIL_REASON, "training diverged: the loss is nan")
            study.tell(trial, state=State.FAIL)
        else:
            trial.report(value, 1)
            study.tell(trial, value)
    return folder, spec, study


def test_the_table_puts_the_best_first_then_pruned_then_failed(tmp_path, small_spec):
    _, spec, study = told(tmp_path, small_spec, [0.5, "fail", 0.9, "pruned", 0.7])
    header, rows = table_rows(study, spec)
    assert header[:3] == ["trial", "state", "val_accuracy"]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("2", "complete", "0.9000"), ("4", "complete", "0.7000"), ("0", "complete", "0.5000"),
        ("3", "pruned", "0.1000"), ("1", "fail", "")]
    assert rows[-1][-1] == "training diverged: the loss is nan"
    assert text_table(study, spec).splitlines()[1].startswith("2 ")


def test_a_loss_objective_puts_the_lowest_first(tmp_path, small_spec):
    _, spec, study = told(tmp_path, small_spec, [0.5, 0.2, 0.9], objective="val_loss")
    assert [r[0] for r in table_rows(study, spec)[1]] == ["1", "0", "2"]


def test_the_page_is_self_contained_and_links_each_trial(tmp_path, small_spec):
    folder, spec, study = told(tmp_path, small_spec, [0.5, 0.9, 0.7])
    (folder.trial_dir(1)).mkdir(parents=True)
    (folder.trial_dir(1) / "report.html").write_text("<html></html>")
    write_report(folder, spec, study)
    html = folder.html_path.read_text()
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in html and "https://" not in html
    assert '<a href="trials/trial-0001/report.html">1</a>' in html
    assert '<a href="trials/trial-0000/">0</a>' in html  # no report there: the folder
    assert html.index('href="trials/trial-0001/') < html.index('href="trials/trial-0002/') \
        < html.index('href="trials/trial-0000/')
    for section in ("history", "importance", "parameters", "epochs"):
        assert f'<section id="{section}">' in html


def test_importances_need_two_complete_trials(tmp_path, small_spec):
    _, _, study = told(tmp_path, small_spec, [0.5, "fail"])
    weights, why = importances(study)
    assert weights == {} and "at least two complete trials" in why
    _, _, study = told(tmp_path / "more", small_spec, [0.5, 0.9, 0.7, 0.6])
    weights, why = importances(study)
    assert set(weights) == {"lr", "hidden"} and why == ""
    assert sum(weights.values()) == pytest.approx(1.0)


def test_best_toml_is_the_best_trials_configuration_for_telar_train(tmp_path, small_spec):
    folder, spec, study = told(tmp_path, small_spec, [0.5, 0.9, 0.7])
    write_report(folder, spec, study)
    config = build_config({}, config_file=folder.best_path)
    assert config == spec.trial_config(study.trials[1].params)
    assert "trial 1, val_accuracy 0.9" in folder.best_path.read_text()


def test_no_complete_trial_means_no_best_toml_yet(tmp_path, small_spec):
    folder, spec, study = told(tmp_path, small_spec, ["fail"])
    assert write_report(folder, spec, study) == [folder.html_path]
    assert not folder.best_path.exists()
    assert "No trial has completed yet" in folder.html_path.read_text()

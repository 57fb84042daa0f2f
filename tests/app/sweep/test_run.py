"""A whole sweep: trials on worker processes, failures recorded, and resuming after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from telar.app.sweep.run import run_sweep
from telar.app.sweep.spec import parse_spec
from telar.app.sweep.study import INTERRUPTED, SweepFolder, load_study

State = optuna.trial.TrialState
SRC = Path(__file__).resolve().parents[3] / "src"


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path, small_spec):
    document = {**small_spec, "sampler": "grid", "trials": 5,
                "fixed": {**small_spec["fixed"], "optimizer": "sgd"},
                "space": {"lr": {"choice": [1e14, 0.05]}}}
    study = run_sweep(document, tmp_path / "sweep", jobs=1, progress=False)
    trials = study.get_trials()
    assert len(trials) == 2  # a grid of two points caps the five trials asked for
    by_lr = {t.params["lr"]: t for t in trials}
    assert by_lr[1e14].state == State.FAIL
    assert "training diverged" in by_lr[1e14].user_attrs["fail_reason"]
    assert by_lr[0.05].state == State.COMPLETE
    best = (tmp_path / "sweep" / "best.toml").read_text()
    assert "lr = 0.05" in best and "optimizer = \"sgd\"" in best


def test_telar_sweep_from_python_returns_the_study(tmp_path, small_spec):
    import telar

    study = telar.sweep({**small_spec, "trials": 1}, out=tmp_path / "sweep")
    assert isinstance(study, optuna.study.Study)
    assert [t.state for t in study.get_trials()] == [State.COMPLETE]
    assert (tmp_path / "sweep" / "trials" / "trial-0000" / "model.npz").exists()


@pytest.mark.slow
def test_two_jobs_run_every_trial_once_in_two_processes(tmp_path, small_spec):
    study = run_sweep({**small_spec, "trials": 3}, tmp_path / "sweep", jobs=2, progress=False)
    trials = study.get_trials()
    assert [t.number for t in trials] == [0, 1, 2]
    assert all(t.state == State.COMPLETE for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2
    for t in trials:
        assert (tmp_path / "sweep" / "trials" / f"trial-{t.number:04d}" / "model.npz").exists()


def wait_for(condition, seconds=120.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def long_spec(tmp_path, small_spec):
    """A spec file of three trials long enough (40 epochs) to be caught mid-trial."""
    from telar.app.runs.config import _toml_value

    document = {**small_spec, "trials": 3, "fixed": {**small_spec["fixed"], "epochs": 40}}
    lines = [f"{k} = {_toml_value(v)}" for k, v in document.items() if not isinstance(v, dict)]
    lines += ["[fixed]", *(f"{k} = {_toml_value(v)}" for k, v in document["fixed"].items())]
    lines += ["[space]", 'lr = { log = [0.001, 0.01] }', 'hidden = { choice = ["32", "16,16"] }']
    path = tmp_path / "spec.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, document


def start_and_catch_trial_1(command, folder, env, **popen):
    """Start ``telar sweep``; return it once trial 1 has trained an epoch and is running."""
    sweep = subprocess.Popen(command, env=env, **popen)
    wait_for(lambda: folder.journal_path.exists() and folder.spec_path.exists())
    spec = folder.read_spec()

    def second_trial_training():
        trials = load_study(folder, spec).get_trials()
        return len(trials) == 2 and trials[1].intermediate_values and \
            trials[1].state == State.RUNNING
    try:
        wait_for(second_trial_training)
    except BaseException:
        sweep.kill()
        raise
    return sweep, spec


@pytest.mark.slow
def test_ctrl_c_stops_the_sweep_and_marks_its_running_trial_for_a_retry(tmp_path, small_spec):
    spec_path, _ = long_spec(tmp_path, small_spec)
    out = tmp_path / "sweep"
    folder = SweepFolder(out)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    sweep, spec = start_and_catch_trial_1(
        [sys.executable, "-m", "telar", "sweep", str(spec_path), "--out", str(out),
         "--no-progress"], folder, env, stderr=subprocess.PIPE, text=True)
    sweep.send_signal(signal.SIGINT)
    _, err = sweep.communicate(timeout=120)
    assert sweep.returncode == 130
    assert "continue with `telar sweep --resume --out" in err.strip().splitlines()[-1]
    trials = load_study(folder, spec).get_trials()
    assert trials[0].state == State.COMPLETE
    assert trials[1].state == State.FAIL and trials[1].user_attrs[INTERRUPTED]
    assert trials[2].state == State.WAITING  # queued with the values of trial 1:
    assert trials[2].system_attrs["fixed_params"] == trials[1].params
    assert folder.html_path.exists()  # the report of what is done


@pytest.mark.slow
def test_a_sweep_killed_mid_trial_resumes_keeping_finished_trials_and_retrying_the_other(
        tmp_path, small_spec):
    spec_path, document = long_spec(tmp_path, small_spec)
    out = tmp_path / "sweep"
    folder = SweepFolder(out)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    sweep, spec = start_and_catch_trial_1(
        [sys.executable, "-m", "telar", "sweep", str(spec_path), "--out", str(out),
         "--no-progress"], folder, env, stderr=subprocess.DEVNULL)
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    before = load_study(folder, spec).get_trials()
    assert before[0].state == State.COMPLETE and before[1].state == State.RUNNING
    # its worker died with it: nothing tells the study about trial 1 any more
    time.sleep(1.0)
    assert load_study(folder, spec).get_trials()[1].state == State.RUNNING

    resumed = subprocess.run([sys.executable, "-m", "telar", "sweep", "--resume", "--out",
                              str(out), "--no-progress"], env=env, capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "retrying interrupted trial 1" in resumed.stderr
    after = load_study(folder, parse_spec(document)).get_trials()
    assert after[0].value == before[0].value and after[0].datetime_complete == \
        before[0].datetime_complete  # kept, not run again
    assert after[1].state == State.FAIL and after[1].user_attrs[INTERRUPTED]
    retry = [t for t in after if t.user_attrs.get("retry_of") == 1]
    assert len(retry) == 1 and retry[0].params == before[1].params
    complete = [t for t in after if t.state == State.COMPLETE]
    assert len(complete) == 3 and len(after) == 4  # three counted trials, one interrupted

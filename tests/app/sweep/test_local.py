"""``--jobs N``: worker processes, each held to its share of the cores, a dead one replaced."""

from __future__ import annotations

import os
import signal

import optuna
import pytest

from telar.app.sweep.local import LocalExecutor, thread_share
from telar.app.sweep.spec import parse_spec
from telar.app.sweep.study import SweepFolder, open_sweep
from telar.engine.cpu.threads import cores


def test_the_share_of_each_worker_divides_the_cores():
    assert thread_share(1) == cores()
    assert thread_share(cores()) == 1
    assert thread_share(4 * cores()) == 1


@pytest.mark.slow
def test_two_workers_run_two_trials_at_once_each_on_its_share_of_threads(tmp_path, small_spec):
    folder = SweepFolder(tmp_path / "sweep")
    spec, study = open_sweep(folder, parse_spec(small_spec), resume=False)
    dists = {p.name: p.distribution() for p in spec.space}
    executor = LocalExecutor(folder.path, jobs=2)
    try:
        numbers = [study.ask(dists).number for _ in range(2)]
        for n in numbers:
            executor.submit(n)
        assert sorted(executor.running()) == numbers
        done = []
        while executor.running():
            done += executor.wait(timeout=60)
    finally:
        executor.close()
    assert sorted(n for n, _ in done) == numbers
    assert all(r["state"] == "COMPLETE" for _, r in done)
    trials = study.get_trials()
    pids = {t.user_attrs["pid"] for t in trials}
    assert len(pids) == 2 and os.getpid() not in pids  # two processes, not this one
    for t in trials:
        assert t.user_attrs["blas_threads"] == thread_share(2)
        assert t.user_attrs["chunk_threads"] == thread_share(2)


def test_a_worker_that_dies_fails_its_trial_with_the_reason_and_is_replaced(
        tmp_path, small_spec):
    document = {**small_spec, "fixed": {**small_spec["fixed"], "epochs": 2000}}
    folder = SweepFolder(tmp_path / "sweep")
    spec, study = open_sweep(folder, parse_spec(document), resume=False)
    dists = {p.name: p.distribution() for p in spec.space}
    executor = LocalExecutor(folder.path, jobs=1)
    try:
        executor.submit(study.ask(dists).number)
        worker = next(iter(executor._busy.values()))[0]
        while not study.get_trials()[0].intermediate_values:  # training, not starting
            assert not executor.wait(timeout=0.2)
        os.kill(worker.pid, signal.SIGKILL)
        [(number, reason)] = executor.wait(timeout=30)
        assert number == 0 and reason == "its worker process died (signal 9)"
        assert not executor.running() and study.get_trials()[0].state == \
            optuna.trial.TrialState.RUNNING  # the coordinator records it (run.py)
    finally:
        executor.close()

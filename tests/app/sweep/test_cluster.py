"""``--dask``: trials as tasks on a real Dask cluster on the loopback address (nothing mocked)."""

from __future__ import annotations

import os

import optuna
import pytest

from telar.app.sweep.cluster import parse_address
from telar.app.sweep.run import run_sweep
from telar.errors import ConfigError, TelarError

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A LocalCluster of two worker processes on 127.0.0.1, its own data cache."""
    cache = tmp_path_factory.mktemp("dask-cache")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0",
                                  env={"XDG_CACHE_HOME": str(cache)}) as local:
        yield local


def test_addresses_are_a_scheduler_or_a_local_cluster():
    assert parse_address("local:3") == ("local", 3)
    assert parse_address("tcp://10.0.0.5:8786") == ("remote", "tcp://10.0.0.5:8786")
    assert parse_address("lab-1:8786") == ("remote", "tcp://lab-1:8786")
    for bad in ("local:0", "local", "tcp://host", "http://x"):
        with pytest.raises(ConfigError, match="--dask"):
            parse_address(bad)


@pytest.mark.slow
def test_a_sweep_sends_its_trials_to_the_workers_of_a_running_scheduler(
        tmp_path, small_spec, cluster):
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        worker_pids = set(client.run(os.getpid).values())
    study = run_sweep(small_spec, tmp_path / "sweep", dask=cluster.scheduler_address,
                      progress=False)
    trials = study.get_trials()
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert {t.user_attrs["pid"] for t in trials} <= worker_pids  # ran there, not here
    for t in trials:
        assert (tmp_path / "sweep" / "trials" / f"trial-{t.number:04d}" / "model.npz").exists()
    assert (tmp_path / "sweep" / "best.toml").exists()


@pytest.mark.slow
def test_local_n_starts_a_cluster_of_n_processes_on_their_share_of_threads(
        tmp_path, small_spec):
    from telar.app.sweep.local import thread_share

    environment = dict(os.environ)
    study = run_sweep(small_spec, tmp_path / "sweep", dask="local:2", progress=False)
    trials = study.get_trials()
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}
    assert {t.user_attrs["blas_threads"] for t in trials} == {thread_share(2)}
    # Dask's nannies set OMP/OPENBLAS_NUM_THREADS=1 here as they start: put back, so what the
    # caller starts next does not run a one-thread BLAS
    assert dict(os.environ) == environment


def test_an_unreachable_scheduler_is_one_error_before_any_trial(tmp_path, small_spec):
    with pytest.raises(TelarError) as info:
        run_sweep(small_spec, tmp_path / "sweep", dask="tcp://127.0.0.1:9", progress=False)
    assert "--dask tcp://127.0.0.1:9: no Dask scheduler answered within 5 s" in str(info.value)
    assert not (tmp_path / "sweep" / "trials").exists()

"""Shared by the sweep tests: a small learnable data set and a spec that trains on it in
well under a second per trial."""

from __future__ import annotations

import pytest
from helpers.fake_data import write_synthetic_fmnist


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def sweep_data(tmp_path_factory):
    return write_synthetic_fmnist(tmp_path_factory.mktemp("sweep-fmnist"), n_train=300,
                                  n_test=60)


@pytest.fixture
def small_spec(sweep_data):
    """A spec dict: the report's network on the autograd engine, 2 epochs, lr and width."""
    return {"base": "report", "trials": 2, "objective": "val_accuracy", "val_split": 0.2,
            "pruner": "none", "trial_reports": False,
            "fixed": {"epochs": 2, "engine": "autograd", "data": str(sweep_data),
                      "batch_size": 32},
            "space": {"lr": {"log": [1e-3, 1e-2]},
                      "hidden": {"choice": ["32", "16,16"]}}}

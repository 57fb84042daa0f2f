"""Optuna and Dask are optional: a missing one is one line naming the sweep extra."""

from __future__ import annotations

import pytest

from telar.app.sweep.optional import distributed, optional, optuna
from telar.errors import TelarError


def test_a_missing_package_names_the_sweep_extra():
    with pytest.raises(TelarError) as info:
        optional("no_such_package_for_telar.sub", "telar sweep")
    assert str(info.value) == ("telar sweep needs no_such_package_for_telar, which is not "
                               "installed: pip install -e '.[sweep]' from a clone of telar")


def test_the_installed_packages_load():
    assert hasattr(optuna(), "create_study")
    assert hasattr(distributed(), "LocalCluster")

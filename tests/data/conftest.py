"""The data tests run isolated: no user cache, TELAR_DATA, system data set or internet."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_data_env(isolated_data_env) -> dict[str, Path]:
    """The root conftest's ``isolated_data_env``, for every test in this folder."""
    return isolated_data_env

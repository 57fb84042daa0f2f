"""From options to a network: the size budget is met before any array exists."""

from __future__ import annotations

import pytest
from helpers.cli_error import one_line_error
from helpers.fake_data import write_shape_fmnist


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    return write_shape_fmnist(tmp_path_factory.mktemp("shapes") / "data")


@pytest.mark.parametrize(("options", "message"), [
    (["--hidden", "65536,65536"], "the network: 4,347,133,962 parameters (17.4 GB as float32)"),
    (["--engine", "autograd", "--hidden", "65536,65536"], "telar's limit is 100,000,000"),
    (["--engine", "autograd", "--layers", "conv(65536,3) flatten linear(10)"],
     "the network: 443,678,730 parameters"),
    (["--engine", "autograd", "--layers", "conv(8192,3) flatten linear(10)"],
     "activation values through the network"),
    (["--engine", "autograd", "--layers", "conv(1024,3,pad=1) flatten linear(10)", "--full-batch"],
     "--full-batch: 600 images at once make"),
])
def test_a_network_over_the_size_budget_is_a_one_line_error(tmp_path, shapes, capsys, options,
                                                             message):
    one_line_error(capsys, ["train", "--no-progress", "--data", str(shapes), "--out",
                            str(tmp_path / "run"), "--epochs", "1", *options], message,
                   progress_lines=True)


def test_a_config_toml_over_the_size_budget_is_the_same_one_line_error(tmp_path, shapes,
                                                                     capsys):
    config = tmp_path / "config.toml"
    config.write_text(f'[train]\ndata = "{shapes}"\nepochs = 1\nhidden = [65536, 65536]\n')
    one_line_error(capsys, ["train", "--no-progress", "--config", str(config), "--out",
                            str(tmp_path / "run")], "the network: 4,347,133,962 parameters",
                   progress_lines=True)

"""The search space's four kinds: checked bounds, Optuna distributions, grid values."""

from __future__ import annotations

import optuna
import pytest

from telar.app.sweep.space import Param, parse_param
from telar.errors import ConfigError


def test_each_kind_becomes_the_matching_optuna_distribution():
    log = parse_param("lr", {"log": [1e-4, 1e-2]}, "s", integer=False).distribution()
    assert isinstance(log, optuna.distributions.FloatDistribution) and log.log
    assert (log.low, log.high) == (1e-4, 1e-2)
    flat = parse_param("dropout", {"float": [0.0, 0.5], "step": 0.1}, "s",
                       integer=False).distribution()
    assert not flat.log and flat.step == 0.1
    ints = parse_param("epochs", {"int": [2, 8], "step": 2}, "s", integer=True).distribution()
    assert isinstance(ints, optuna.distributions.IntDistribution) and ints.step == 2
    choice = parse_param("hidden", {"choice": [[64, 32], "128"]}, "s",
                         integer=False).distribution()
    assert choice.choices == ("64,32", "128")  # a list of widths is stored as its text


@pytest.mark.parametrize("value, message", [
    ({"log": [1e-2, 1e-4]}, "inverted range [0.01, 0.0001]"),
    ({"float": [0.3, 0.3]}, "empty range [0.3, 0.3]"),
    ({"int": [5, 2]}, "inverted range [5, 2]"),
    ({"choice": []}, "choice needs a non-empty list"),
    ({"log": [0, 1]}, "a log range must be above 0"),
    ({"log": [1e-4]}, "log needs [low, high], two numbers"),
    ({"range": [1, 2]}, "expected a table with one of log, float, int, choice"),
    ({"log": [1e-4, 1e-2], "float": [0, 1]}, "expected a table with one of"),
    ({"int": [1, 4], "stepp": 1}, "unknown key 'stepp'"),
    ({"int": [1.5, 4]}, "int needs two integers"),
    ({"float": [0, 1], "step": -1}, "step: expected a number > 0"),
    ({"choice": [{"a": 1}]}, "a choice must be a number, text or a list of numbers"),
])
def test_bad_ranges_name_the_key_and_what_is_wrong(value, message):
    with pytest.raises(ConfigError) as info:
        parse_param("lr", value, "spec.toml: [space] lr", integer=False)
    assert str(info.value).startswith("spec.toml: [space] lr: ")
    assert message in str(info.value)


def test_a_float_range_for_an_integer_option_is_refused():
    with pytest.raises(ConfigError, match="epochs takes whole numbers"):
        parse_param("epochs", {"float": [1, 4]}, "s", integer=True)


def test_the_grid_takes_choices_and_int_ranges_but_not_float_ranges():
    assert Param("a", "choice", choices=(1, 2)).grid("s") == [1, 2]
    assert Param("a", "int", 2, 8, step=3).grid("s") == [2, 5, 8]
    with pytest.raises(ConfigError, match="grid sampler needs a list of values"):
        Param("lr", "log", 1e-4, 1e-2).grid("s")


def test_each_param_writes_itself_back_as_it_reads():
    import tomllib
    for value in ({"log": [0.0001, 0.01]}, {"float": [0.0, 0.5], "step": 0.1},
                  {"int": [2, 8], "step": 2}, {"choice": ["64,32", 3, True]}):
        param = parse_param("x", value, "s", integer=False)
        again = tomllib.loads(f"x = {param.toml()}")["x"]
        assert parse_param("x", again, "s", integer=False) == param

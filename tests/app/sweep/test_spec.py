"""The spec: every bad key refused up front naming the key; a trial's configuration."""

from __future__ import annotations

import tomllib

import pytest

from telar.app.runs.config import config_toml
from telar.app.sweep.spec import parse_spec, read_spec
from telar.errors import ConfigError


def spec(**changes):
    document = {"base": "report", "trials": 4,
                "fixed": {"epochs": 2, "engine": "autograd"},
                "space": {"lr": {"log": [1e-4, 1e-2]},
                          "dropout": {"float": [0.0, 0.5]},
                          "hidden": {"choice": ["64,32,16", "128,64"]}}}
    for key, value in changes.items():
        if key in ("fixed", "space"):
            document[key] = {**document[key], **value}
        else:
            document[key] = value
    return document


@pytest.mark.parametrize("changes, message", [
    ({"trails": 4}, "s.toml: unknown key 'trails' (did you mean trials?)"),
    ({"space": {"lrr": {"log": [1e-4, 1e-2]}}},
     "s.toml: [space]: unknown option 'lrr': telar train has no --lrr (did you mean lr?)"),
    ({"fixed": {"epoch": 3}}, "s.toml: [fixed]: unknown option 'epoch'"),
    ({"space": {"lr": {"log": [1e-2, 1e-4]}}}, "s.toml: [space] lr: inverted range"),
    ({"space": {"dropout": {"float": [0.2, 0.2]}}}, "s.toml: [space] dropout: empty range"),
    ({"space": {"optimizer": {"choice": ["adam", "lbfgs"]}}},
     "s.toml: [space]: optimizer (--optimizer): expected one of sgd, rmsprop, adam, adamw, "
     "adagrad, adadelta, got 'lbfgs'"),
    ({"space": {"activation": {"choice": ["relu", "swish"]}}},
     "s.toml: [space]: activation (--activation): expected one of"),
    ({"space": {"dropout": {"float": [0.0, 1.5]}}},
     "s.toml: [space]: dropout (--dropout): expected a probability in [0, 1), got 1.5"),
    ({"space": {"layers": {"choice": ["flatten linear(10)", "flatten linaer(10)"]}}},
     "s.toml: [space]: layers (--layers)"),
    ({"objective": "test_accuracy"}, "s.toml: objective 'test_accuracy': a sweep never scores "
                                     "on the test set"),
    ({"objective": "train_loss"}, "s.toml: objective: expected one of val_accuracy, val_loss"),
    ({"val_split": 0.0}, "s.toml: val_split: a sweep needs a validation split above 0"),
    ({"val_split": 1.0}, "s.toml: val_split: expected a number in [0, 1), got 1.0"),
    ({"sampler": "cmaes"}, "s.toml: sampler: expected one of tpe, random, grid"),
    ({"pruner": "hyperband"}, "s.toml: pruner: expected one of median, none"),
    ({"trials": 0}, "s.toml: trials: expected an integer >= 1, got 0"),
    ({"fixed": {"val_split": 0.2}}, "s.toml: [fixed] val_split: set val_split at the top"),
    ({"space": {"data": {"choice": ["a", "b"]}}}, "s.toml: [space] data: data cannot be "
                                                  "searched"),
    ({"space": {"epochs": {"int": [1, 3]}}}, "s.toml: [space] epochs: epochs is both in "
                                             "[fixed] and in [space]"),
    ({"base": "huge"}, "s.toml: base: 'huge' is neither a preset (report, mlp, cnn, lstm) nor an "
                       "existing config.toml"),
    ({"sampler": "grid"}, "s.toml: [space] lr: the grid sampler needs a list of values"),
    ({"fixed": {"engine": "handwritten"}},
     "s.toml: [space] with lr = 0.0001, dropout = 0.5, hidden = '64,32,16': --engine "
     "handwritten trains only the report's kind of network"),
])
def test_a_bad_spec_is_one_error_naming_the_key(changes, message):
    with pytest.raises(ConfigError) as info:
        parse_spec(spec(**changes), source="s.toml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_trial_config_is_base_then_fixed_then_drawn_values_then_val_split():
    parsed = parse_spec(spec(val_split=0.2), source="s.toml")
    config = parsed.trial_config({"lr": 0.003, "dropout": 0.25, "hidden": "128,64"})
    assert (config.preset, config.engine, config.epochs) == ("report", "autograd", 2)
    assert config.schedule == "cosine"  # from the report preset
    assert (config.lr, config.dropout, config.hidden) == (0.003, 0.25, [128, 64])
    assert config.val_split == 0.2


def test_the_spec_written_to_the_folder_reads_back_as_the_same_study():
    parsed = parse_spec(spec(), source="s.toml")
    again = parse_spec(tomllib.loads(parsed.toml()), source="again.toml")
    assert again.study_key() == parsed.study_key()
    assert again.trial_config({"lr": 0.001, "dropout": 0.1, "hidden": "64,32,16"}) == \
        parsed.trial_config({"lr": 0.001, "dropout": 0.1, "hidden": "64,32,16"})


def test_only_the_number_of_trials_may_differ_within_one_study():
    a = parse_spec(spec(), source="s.toml")
    assert parse_spec(spec(trials=20), source="s.toml").study_key() == a.study_key()
    assert parse_spec(spec(fixed={"epochs": 3}), source="s.toml").study_key() != a.study_key()


def test_a_base_config_toml_is_read_relative_to_the_spec(tmp_path):
    from telar.app.runs.config import build_config

    (tmp_path / "base.toml").write_text(config_toml(build_config(
        {"preset": "mlp", "epochs": "3", "data": "fmnist"})))
    (tmp_path / "s.toml").write_text('base = "base.toml"\n[space]\nlr = { log = [1e-4, 1e-2] }\n')
    parsed = read_spec(tmp_path / "s.toml")
    config = parsed.trial_config({"lr": 0.002})
    assert (config.preset, config.epochs, config.hidden) == ("mlp", 3, [1024, 512])
    assert config.data.endswith("fmnist") and config.data.startswith("/")  # made absolute


def test_a_spec_that_is_not_toml_names_the_file(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text("trials = [\n")
    with pytest.raises(ConfigError, match="s.toml: not valid TOML"):
        read_spec(bad)
    with pytest.raises(ConfigError, match="no such sweep spec"):
        read_spec(tmp_path / "missing.toml")

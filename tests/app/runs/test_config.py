"""A run's configuration: each field checked by one shared constraint, text and TOML values
alike, old names accepted, and config.toml read back to the same configuration."""

from __future__ import annotations

import dataclasses

import pytest

from telar import constraints
from telar.app.runs.config import FIELDS, TrainConfig, build_config, coerce, config_toml
from telar.errors import ConfigError


def test_every_field_has_a_constraint_and_shared_concepts_use_the_shared_one():
    assert set(FIELDS) == {f.name for f in dataclasses.fields(TrainConfig)}
    assert FIELDS["dropout"] is constraints.DROPOUT
    assert FIELDS["lr"] is constraints.LEARNING_RATE and FIELDS["seed"] is constraints.SEED
    assert FIELDS["hidden"].item is constraints.WIDTH


@pytest.mark.parametrize("name, text, value", [
    ("epochs", "12", 12), ("lr", "2e-3", 0.002), ("full_batch", "yes", True),
    ("hidden", "64, 32", [64, 32]), ("preset", "seed", "report"),
    ("engine", "manual", "handwritten"), ("augment", "flip,shift=2", "shift=2,flip=0.5"),
    ("layers", "flatten dense(10)", "flatten linear(10)"), ("layers", " ", ""),
])
def test_command_line_text_becomes_the_fields_value(name, text, value):
    assert coerce(name, text) == value


@pytest.mark.parametrize("name, value, message", [
    ("dropout", 1, "f.toml: dropout (--dropout): expected a probability in [0, 1), got 1"),
    ("epochs", 2.0, "f.toml: epochs (--epochs): expected an integer >= 1, got 2.0"),
    ("hidden", [64, True], "f.toml: hidden (--hidden): expected a list of 1 or more layer "
                           "widths, each an integer in [1, 65536], got [64, True]"),
    ("layers", 3, "f.toml: layers (--layers): expected a layer list, got 3"),
    ("data", 3, "f.toml: data (--data): expected text, got 3"),
])
def test_toml_values_are_checked_as_they_are_naming_file_and_key(name, value, message):
    with pytest.raises(ConfigError) as info:
        coerce(name, value, "f.toml")
    assert str(info.value) == message


def test_a_written_config_toml_reads_back_to_the_same_configuration(tmp_path):
    config = build_config({"engine": "autograd", "dropout": "0.25", "hidden": "32,16",
                           "augment": "rotate=10", "lr": "0.01"})
    path = tmp_path / "config.toml"
    path.write_text(config_toml(config))
    assert build_config({}, config_file=path) == config


def test_every_presets_values_meet_their_fields_constraints_and_are_stored_canonical():
    from telar.app.runs.presets import PRESETS

    for name, preset in PRESETS.items():
        config = build_config({"preset": name})
        for field, value in preset.items():
            stored = getattr(config, field)
            assert stored == coerce(field, value, f"preset {name}") == coerce(field, stored)
    assert build_config({"preset": "cnn"}).augment == "shift=1,flip=0.5"

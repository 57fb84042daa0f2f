"""A run's configuration: each field checked by one shared constraint, text and TOML values
alike, old names accepted, config.toml read back to the same configuration; and settings from
files (config files, checkpoints, run folders) get the same checks as options."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pytest
from helpers.cli_error import one_line_error
from helpers.fake_data import write_synthetic_fmnist

from telar import constraints
from telar.app.cli import main
from telar.app.runs.config import (
    FIELDS,
    TrainConfig,
    build_config,
    coerce,
    config_toml,
    network_label,
    settings_that_apply,
)
from telar.errors import ConfigError
from telar.io.model_file import load_checkpoint, save_checkpoint


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


# ----------------------------------------------------------------------------- settings from files


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


one_line = functools.partial(one_line_error, progress_lines=True)


@pytest.mark.parametrize("content, fragment", [
    ("[train]\nlr = inf\n", "expected a finite number, got inf"),
    ("[train]\nlr = nan\n", "expected a finite number, got nan"),
    ("[train]\nepochs = \"ten\"\n", "cannot read 'ten' as an integer"),
    ("[train]\nhidden = [100000000]\n", "each an integer in [1, 65536], got [100000000]"),
])
def test_a_config_file_is_checked_like_the_options(tmp_path, capsys, content, fragment):
    path = tmp_path / "config.toml"
    path.write_text(content)
    one_line(capsys, ["train", "--config", str(path)], str(path), fragment)


def test_a_config_that_is_a_folder_or_not_utf8_is_one_line(tmp_path, capsys):
    one_line(capsys, ["train", "--config", str(tmp_path)], "is a folder")
    binary = tmp_path / "bad.toml"
    binary.write_bytes(b"[train]\nlr = 0.1 \xff\xfe\n")
    one_line(capsys, ["train", "--config", str(binary)], "not UTF-8")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("run")
    data = write_synthetic_fmnist(root / "data", 200, 50)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        assert main(["train", "--no-progress", "--data", str(data), "--epochs", "2",
                     "--hidden", "8", "--engine", "autograd", "--dropout", "0.1",
                     "--out", str(root / "run")]) == 0
    return root / "run"


def tamper(run: Path, tmp_path: Path, change) -> Path:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("config.toml", "checkpoint.npz"):
        (copy / name).write_bytes((run / name).read_bytes())
    meta, arrays = load_checkpoint(copy / "checkpoint.npz")
    change(meta)
    save_checkpoint(copy / "checkpoint.npz", meta, arrays)  # valid checksums, edited settings
    return copy


def _set_config(key, value):
    return lambda meta: meta["config"].__setitem__(key, value)


def _set_optimizer_step(meta):
    state = meta["learner_json"]["__dict__"]
    optimizer = dict(state)["optimizer"]["__dict__"]
    entries = dict(optimizer)["state"]["__dict__"]
    first = entries[0][1]["__dict__"]
    for pair in first:
        if pair[0] == "step":
            pair[1] = "ten"


def _set_rng_state(meta):
    meta["train_state"]["rng_state"] = {"bit_generator": "PCG64", "state": "garbage"}


@pytest.mark.parametrize("change, fragment", [
    (_set_config("batch_size", 0), "batch_size (--batch-size): expected an integer >= 1"),
    (_set_config("epochs", "ten"), "cannot read 'ten' as an integer"),
    (_set_config("hidden", [100000000]), "each an integer in [1, 65536], got [100000000]"),
    (_set_config("lr", float("inf")), "expected a finite number"),
    (_set_optimizer_step, "step must be a count"),
    (_set_rng_state, "checkpoint does not fit this run"),
])
def test_a_hand_edited_checkpoint_is_refused_in_one_line(finished_run, tmp_path, capsys,
                                                          change, fragment):
    run = tamper(finished_run, tmp_path, change)
    before = (run / "checkpoint.npz").read_bytes()
    one_line(capsys, ["train", "--resume", str(run), "--no-progress"], fragment)
    assert (run / "checkpoint.npz").read_bytes() == before


def test_evaluating_a_run_whose_config_toml_is_a_folder_still_works(finished_run, tmp_path,
                                                                     capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "model.npz").write_bytes((finished_run / "model.npz").read_bytes())
    (run / "config.toml").mkdir()
    data = finished_run.parent / "data"
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(data), "--json"]) == 0
    assert '"accuracy"' in capsys.readouterr().out


def test_a_model_whose_input_size_does_not_fit_its_preprocessing_is_refused(
        finished_run, tmp_path, capsys):
    from telar.io.model_file import load_model, save_model

    model = load_model(finished_run / "model.npz")
    pre = {**model.preprocessing, "input_shape": [27, 28]}
    path = tmp_path / "model.npz"
    save_model(path, architecture=model.architecture, arrays=model.arrays,
               class_names=model.class_names, preprocessing=pre)
    one_line(capsys, ["evaluate", str(path)], str(path))
    assert np.load(path, allow_pickle=False) is not None


@pytest.mark.parametrize("preset", ["cnn", "mlp"])
def test_a_presets_warmup_follows_fewer_epochs_or_a_schedule_without_one(preset):
    assert build_config({"preset": preset}).warmup == 1
    assert build_config({"preset": preset, "epochs": "1"}).warmup == 0
    assert build_config({"preset": preset, "epochs": "2"}).warmup == 1
    assert build_config({"preset": preset, "schedule": "none"}).warmup == 0


def test_a_warmup_the_user_gave_is_checked_as_given(tmp_path):
    with pytest.raises(ConfigError, match="--warmup 1: must be fewer than --epochs 1"):
        build_config({"preset": "cnn", "epochs": "1", "warmup": "1"})
    config = tmp_path / "c.toml"
    config.write_text('preset = "cnn"\nwarmup = 3\nepochs = 2\n')
    with pytest.raises(ConfigError, match="--warmup 3"):
        build_config({}, config_file=config)


@pytest.mark.parametrize("cli, label", [
    ({}, "report"),
    ({"preset": "mlp"}, "mlp"),
    ({"preset": "cnn"}, "cnn"),
    ({"engine": "autograd", "layers": "flatten linear(10)"}, "layers"),
    ({"preset": "cnn", "layers": "flatten linear(10)"}, "layers"),
])
def test_a_run_is_called_by_its_preset_unless_layers_replaced_its_network(cli, label):
    settings = build_config(cli).to_dict()
    assert network_label(settings) == label
    shown = settings_that_apply(settings)
    assert shown["preset"] == label
    dense_only = {"hidden", "activation", "init", "dropout", "batch_norm"}
    assert dense_only.isdisjoint(shown) if settings["layers"] else dense_only <= set(shown)

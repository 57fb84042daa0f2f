"""Settings from files get the same checks as options: config files, checkpoints, run folders."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from helpers.cli_error import one_line_error
from helpers.fake_data import write_synthetic_fmnist

from telar.app.cli import main
from telar.io.model_file import load_checkpoint, save_checkpoint


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

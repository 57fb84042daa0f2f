"""Run folders: claimed before any work, never shared by two runs, never overwriting files."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers.cli_error import one_line_error
from helpers.fake_data import write_synthetic_fmnist

from telar.app.cli import main
from telar.app.run_folder import RunFolder
from telar.app.runs.config import TrainConfig
from telar.errors import ConfigError, TelarError

TRAIN = ["train", "--no-progress", "--epochs", "2", "--hidden", "16", "--batch-size", "32"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_synthetic_fmnist(tmp_path_factory.mktemp("data") / "fmnist", 300, 100)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# after the "training ..." line of a run that started, if any
refused = functools.partial(one_line_error, progress_lines=True)


def test_two_runs_started_together_into_one_folder_never_both_succeed(data, tmp_path):
    out = tmp_path / "same"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [subprocess.Popen([sys.executable, "-m", "telar", *TRAIN, "--data", str(data),
                              "--out", str(out), "--seed", str(seed)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for seed in (1, 2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "another telar run" in loser or "already holds" in loser
    # Everything in the folder comes from the one run that won.
    winner_seed = 1 if results[0][0] == 0 else 2
    assert f"seed = {winner_seed}" in (out / "config.toml").read_text()
    assert json.loads((out / "summary.json").read_text())["seed"] == winner_seed


def test_default_folders_of_runs_started_in_the_same_second_differ(tmp_path):
    config = TrainConfig()
    folders: list[Path] = []
    def start() -> None:
        folders.append(RunFolder.new(tmp_path, config.preset).path)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(folders)) == 8 and all(f.is_dir() for f in folders)


@pytest.mark.parametrize("users_file", ["model.npz", "metrics.csv", "summary.json",
                                        "figures/loss.png", "notes.txt"])
def test_a_folder_holding_the_users_files_is_refused_and_left_untouched(
        data, tmp_path, capsys, users_file):
    out = tmp_path / "mine"
    path = out / users_file
    path.parent.mkdir(parents=True)
    path.write_bytes(b"the user's own bytes")
    refused(capsys, [*TRAIN, "--data", str(data), "--out", str(out)],
            str(out), users_file.split("/")[0], "--overwrite")
    assert path.read_bytes() == b"the user's own bytes"
    assert not (out / "config.toml").exists()


def test_overwrite_lets_a_new_run_replace_an_old_one(data, tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*TRAIN, "--data", str(data), "--out", str(out), "--seed", "1"]) == 0
    refused(capsys, [*TRAIN, "--data", str(data), "--out", str(out)], "--resume")
    assert main([*TRAIN, "--data", str(data), "--out", str(out), "--seed", "7",
                 "--overwrite"]) == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == 7


def test_temporary_files_left_by_a_killed_run_are_removed_on_the_next_start(data, tmp_path):
    out = tmp_path / "run"
    (out / "figures").mkdir(parents=True)
    stale = [out / ".checkpoint.npz.k3j2l1x0.part", out / "figures" / ".loss.png.abcd1234.part"]
    for path in stale:
        path.write_bytes(b"half a file")
    assert main([*TRAIN, "--data", str(data), "--out", str(out)]) == 0
    assert not any(path.exists() for path in stale)
    assert not list(out.rglob("*.part"))


def test_a_run_that_diverged_in_its_first_epoch_can_be_started_again(data, tmp_path, capsys):
    out = tmp_path / "run"
    argv = [*TRAIN, "--data", str(data), "--out", str(out), "--engine", "autograd",
            "--optimizer", "sgd", "--lr", "1e30"]
    refused(capsys, argv, "training diverged")
    assert (out / "config.toml").exists() and not (out / "checkpoint.npz").exists()
    # --resume has nothing to continue from and says how to start again ...
    err = refused(capsys, ["train", "--resume", str(out)], "start it again")
    assert f"--out {out}" in err
    # ... and starting again in the same folder works.
    assert main([*TRAIN, "--data", str(data), "--out", str(out)]) == 0
    assert (out / "model.npz").exists()


@pytest.mark.parametrize("where", ["under a file", "a dangling symlink", "under /proc"])
def test_an_out_folder_that_cannot_be_made_is_one_line(data, tmp_path, capsys, where):
    if where == "under a file":
        (tmp_path / "file").write_text("mine")
        out = tmp_path / "file" / "run"
    elif where == "a dangling symlink":
        out = tmp_path / "link"
        out.symlink_to(tmp_path / "nowhere" / "at-all")
    else:
        out = Path("/proc/telar-run")
    refused(capsys, [*TRAIN, "--data", str(data), "--out", str(out)], str(out))
    if where == "under a file":
        assert (tmp_path / "file").read_text() == "mine"


# --- reading a run folder that may come from anyone (issue 21) --------------------------------

def finished(folder: Path) -> RunFolder:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text('{"test_accuracy": 0.5, "epochs": 2}')
    return RunFolder(folder)


def test_a_summary_linked_from_outside_the_folder_is_not_followed(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"password": "hunter2"}')
    run = RunFolder(tmp_path / "run")
    run.path.mkdir()
    run.summary_path.symlink_to(secret)
    with pytest.raises(TelarError, match="a link leading out of the run folder"):
        run.summary  # noqa: B018
    inside = finished(tmp_path / "other")  # a link inside the folder is fine
    (inside.path / "copy.json").write_text('{"epochs": 3}')
    inside.summary_path.unlink()
    inside.summary_path.symlink_to("copy.json")
    assert inside.summary == {"epochs": 3}


def test_a_linked_figures_folder_is_never_written_through(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run = finished(tmp_path / "run")
    run.figures_path.symlink_to(outside)
    with pytest.raises(TelarError, match="is a link"):
        run.figures_folder("report")
    (tmp_path / "run2").mkdir()
    run2 = finished(tmp_path / "run2")
    run2.figures_path.mkdir()
    (run2.figures_path / "report").symlink_to(outside)
    with pytest.raises(TelarError, match="is a link"):
        run2.figures_folder("report")
    assert list(outside.iterdir()) == []
    assert finished(tmp_path / "run3").figures_folder("report").is_dir()


@pytest.mark.parametrize(("name", "text", "message"), [
    ("config.toml", 'train = "abc"\n', "train: expected a table, got str"),
    ("config.toml", "a = " + "[" * 5000 + "]" * 5000 + "\n", "config.toml: cannot read it"),
    ("config.toml", "[train]\nepochs = " + "9" * 5000 + "\n", "config.toml: cannot read it as "
                                                             "TOML"),
    ("config.toml", "\x00\xff", "config.toml: cannot read it as TOML"),
    ("summary.json", "[" * 100_000 + "]" * 100_000, "summary.json: cannot read it as JSON"),
    ("summary.json", '{"epochs": ' + "9" * 5000 + "}", "summary.json: cannot read it as JSON"),
    ("summary.json", "{}" + " " * (5 << 20), "larger than the 4,194,304 bytes"),
])
def test_hostile_run_files_are_one_telar_error(tmp_path, name, text, message):
    run = finished(tmp_path / "run")
    (run.path / name).write_text(text)
    with pytest.raises(TelarError, match=message.replace("(", r"\(").replace("[", r"\[")) \
            as info:
        run.summary  # noqa: B018
        run.train_section()
    assert "\n" not in str(info.value)


def test_a_metrics_file_with_a_byte_order_mark_reads_its_epoch_column(tmp_path):
    run = finished(tmp_path / "run")
    run.metrics_path.write_bytes("\ufeffepoch,train_loss\n1,0.5\n2,0.25\n".encode())
    assert run.metrics == {"epoch": [1.0, 2.0], "train_loss": [0.5, 0.25]}


def test_a_million_row_metrics_file_is_refused_by_its_size_not_parsed(tmp_path):
    run = finished(tmp_path / "run")
    with open(run.metrics_path, "w") as f:
        f.write("epoch,train_loss,train_accuracy,test_loss,test_accuracy\n")
        f.writelines(f"{i},0.5,0.5,0.5,0.5\n" for i in range(1_000_000))
    with pytest.raises(TelarError, match="metrics.csv: larger than the 16,777,216 bytes"):
        run.metrics  # noqa: B018


def test_a_fifo_named_summary_json_is_refused_not_waited_on(tmp_path):
    run = RunFolder(tmp_path / "run")
    run.path.mkdir()
    os.mkfifo(run.summary_path)
    with pytest.raises(TelarError, match="not a regular file"):
        run.summary  # noqa: B018


def test_report_gives_one_line_for_a_config_with_wrong_types(tmp_path, capsys):
    from telar.app import architectures
    from telar.io.model_file import save_model

    run = finished(tmp_path / "a")
    run.metrics_path.write_text("epoch,train_loss\n1,0.5\n")
    run.config_path.write_text('train = "abc"\n')
    architecture = {"kind": "mlp", "input_size": 784, "hidden": [], "classes": 3}
    save_model(run.model_path, architecture=architecture,
               arrays=architectures.build(architecture).state_dict(), class_names=list("abc"),
               preprocessing={"input_shape": [28, 28]})
    one_line_error(capsys, ["report", str(run.path)], "train: expected a table")
    run.config_path.write_text('[train]\ndata = 5\n')
    one_line_error(capsys, ["report", str(run.path)], "data: expected a path (text), got int")


def test_a_folder_claimed_once_cannot_be_claimed_again_until_released(tmp_path):
    # Two claims in one process conflict only if the lock is exclusive (a shared flock would let
    # both through): the second is refused naming this process, and succeeds after release.
    folder = RunFolder(tmp_path / "run")
    first = folder.claim()
    try:
        with pytest.raises(ConfigError, match=f"another telar run \\(pid {os.getpid()}\\)"):
            RunFolder(tmp_path / "run").claim(resume=True)
    finally:
        first.release()
    RunFolder(tmp_path / "run").claim(resume=True).release()

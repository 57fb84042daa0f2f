"""Runs of telar train: convolutional networks from layer lists (options and TOML), model files
that evaluate and predict, runs that resume bit for bit, and the default run on the real
Fashion-MNIST."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.fake_data import write_synthetic_fmnist
from helpers.runs import assert_same_model, metrics_without_seconds, start, wait_for

from telar.app.cli import main
from telar.app.inference import load_predictor

LAYERS = "conv(4,3,padding=1) bn relu maxpool(2) dropout2d(0.1) flatten linear(10)"


def settings(data: Path, epochs: int = 3) -> list[str]:
    return ["--data", str(data), "--engine", "autograd", "--layers", LAYERS, "--epochs",
            str(epochs), "--batch-size", "16", "--lr", "0.01", "--augment", "shift=1,flip",
            "--seed", "5"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_synthetic_fmnist(tmp_path_factory.mktemp("fmnist"), n_train=240, n_test=60)


@pytest.fixture(scope="module")
def reference(data, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("conv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        assert main(["train", "--no-progress", *settings(data), "--out", str(root / "run")]) == 0
    return root / "run"


def test_a_conv_run_records_its_layers_and_its_model_file_evaluates_to_the_summary(
        reference, data, capsys):
    predictor = load_predictor(reference)
    arch = predictor.model_file.architecture
    assert arch["kind"] == "layers"
    assert [layer["layer"] for layer in arch["layers"]][:3] == ["unflatten", "conv", "bn"]
    summary = json.loads((reference / "summary.json").read_text())
    assert summary["test_accuracy"] > 0.5  # synthetic classes: chance is 0.1
    capsys.readouterr()
    assert main(["evaluate", str(reference), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == summary["test_accuracy"]
    assert 'layers = "conv(4,3,padding=1) bn relu' in (reference / "config.toml").read_text()


def test_config_toml_of_a_conv_run_reruns_it_with_the_same_weights(reference, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    again = tmp_path / "again"
    assert main(["train", "--no-progress", "--config", str(reference / "config.toml"),
                 "--out", str(again)]) == 0
    assert_same_model(reference / "model.npz", again / "model.npz")


def test_a_killed_conv_run_resumes_to_the_same_weights(reference, data, tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = tmp_path / "killed"
    process = start([*settings(data), "--out", str(run)], env)
    assert wait_for(run / "checkpoint.npz", process)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.communicate()
    resumed = subprocess.run([sys.executable, "-m", "telar", "train", "--no-progress",
                              "--resume", str(run)], env=env, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_model(reference / "model.npz", run / "model.npz")
    assert metrics_without_seconds(reference) == metrics_without_seconds(run)


def test_a_layer_list_from_a_toml_list_trains_the_same_network(reference, data, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = tmp_path / "conv.toml"
    config.write_text(
        "[train]\nengine = \"autograd\"\nepochs = 3\nbatch_size = 16\nlr = 0.01\nseed = 5\n"
        f"augment = \"shift=1,flip\"\ndata = \"{data}\"\n"
        "layers = [{layer = \"conv\", out = 4, kernel = 3, padding = 1}, \"bn\", \"relu\",\n"
        "          \"maxpool(2)\", {layer = \"dropout2d\", p = 0.1}, \"flatten\",\n"
        "          \"linear(10)\"]\n")
    out = tmp_path / "from-toml"
    assert main(["train", "--no-progress", "--config", str(config), "--out", str(out)]) == 0
    assert_same_model(reference / "model.npz", out / "model.npz")


@pytest.mark.parametrize("argv, fragment", [
    (["--layers", "convv(4,3) flatten linear(10)"], "unknown layer 'convv' (did you mean conv?)"),
    (["--layers", "conv(4,3) linear(10)"], "layer 2 'linear(10)': linear needs flat features"),
    (["--layers", "conv(4,3) flatten linear(10)", "--hidden", "64"], "--hidden would be ignored"),
    (["--layers", "flatten linear(10)", "--engine", "handwritten"], "--engine autograd"),
])
def test_bad_layer_lists_are_one_line_errors_pointing_at_the_layer(data, capsys, tmp_path,
                                                                    argv, fragment):
    capsys.readouterr()
    engine = [] if "--engine" in argv else ["--engine", "autograd"]
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(data), *engine, *argv, "--out", str(tmp_path / "o")])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("telar: error:") and fragment in err, err


# ----------------------------------------------------------------------------------- the real data


@pytest.mark.realdata
def test_one_epoch_of_the_seed_preset_learns_fashion_mnist(real_data, tmp_path, capsys):
    out = tmp_path / "run"  # real_data (conftest) skips the test when the data is absent
    assert main(["train", "--no-progress", "--epochs", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    # Chance is 0.10 and a majority-class guess 0.10; one epoch of the report's network with
    # Adam reaches about 0.83. A trainer that does not update, or shuffles labels away from
    # their images, stays near 0.10.
    assert summary["test_accuracy"] > 0.80
    assert summary["parameters"] == 784 * 64 + 64 + 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == summary["test_accuracy"]

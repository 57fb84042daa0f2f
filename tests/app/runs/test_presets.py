"""The presets: the ``lstm`` preset trains an LSTM over image rows end to end (the run's model
file rebuilds it from its layer list, evaluates to the summary's accuracy, and its weights
carry PyTorch's names)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.fake_data import write_synthetic_fmnist

import telar
from telar.app.architectures import rebuild
from telar.app.cli import main
from telar.app.inference import load_predictor
from telar.app.runs.config import build_config
from telar.app.runs.presets import PRESETS
from telar.io.model_file import load_model, save_model
from telar.nn.layer_net import build_sequential, on_flat_rows


def test_the_lstm_preset_is_an_lstm_over_rows_trained_with_adam():
    config = build_config({"preset": "lstm"})
    assert (config.engine, config.layers, config.optimizer) == \
        ("autograd", "lstm(128) linear(10)", "adam")
    assert set(PRESETS) >= {"report", "mlp", "cnn", "lstm"}


def test_an_lstm_network_saved_as_a_model_file_rebuilds_with_the_same_outputs(tmp_path):
    net = build_sequential(on_flat_rows("lstm(12,bidirectional=true) linear(10)"), (784,),
                           seed=3)
    path = tmp_path / "model.npz"
    save_model(path, architecture=net.architecture(), arrays=net.state_dict(),
               class_names=[str(k) for k in range(10)], preprocessing={})
    loaded = load_model(path)
    assert "1.weight_hh_l0_reverse" in loaded.arrays
    again, _ = rebuild(loaded.architecture, loaded.arrays, input_shape=[784], classes=10)
    x = telar.tensor(np.random.default_rng(0).random((5, 784)).astype(np.float32))
    np.testing.assert_array_equal(again(x).data, net(x).data)
    fresh = build_sequential(net.layers, (784,), seed=4)
    assert not np.array_equal(fresh(x).data, net(x).data)  # the weights came from the file


@pytest.mark.slow
def test_an_lstm_preset_run_saves_a_model_file_that_rebuilds_and_evaluates(tmp_path, monkeypatch,
                                                                          capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = write_synthetic_fmnist(tmp_path / "fmnist", n_train=240, n_test=60)
    run = tmp_path / "run"
    # The preset, shortened (a narrower LSTM, 3 epochs) on synthetic images.
    assert main(["train", "--no-progress", "--preset", "lstm", "--data", str(data),
                 "--layers", "lstm(16) linear(10)", "--epochs", "3", "--batch-size", "16",
                 "--lr", "0.01", "--out", str(run)]) == 0
    predictor = load_predictor(run)
    layers = predictor.model_file.architecture["layers"]
    assert [layer["layer"] for layer in layers] == ["unflatten", "lstm", "linear"]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["parameters"] == 4 * 16 * (28 + 16) + 2 * 4 * 16 + 16 * 10 + 10
    assert summary["test_accuracy"] > 0.3  # synthetic classes: chance is 0.1
    capsys.readouterr()
    assert main(["evaluate", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == pytest.approx(
        summary["test_accuracy"])

"""`telar train`: option checks, the run folder, reruns from config.toml, engines, divergence."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
from helpers.cli_error import one_line_error
from helpers.fake_data import write_synthetic_fmnist

from telar.app.cli import main
from telar.engine.array import cuda_problem
from telar.engine.cpu import threads as thread_rules
from telar.io.model_file import load_model


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_fmnist(tmp_path_factory.mktemp("fmnist"))


@pytest.mark.parametrize("argv, expected", [
    (["--epochs", "0"], "--epochs: expected an integer >= 1, got 0"),
    (["--epochs", "ten"], "--epochs: cannot read 'ten' as an integer"),
    (["--lr", "-0.1"], "--lr: expected a number > 0, got -0.1"),
    (["--lr", "nan"], "--lr: expected a finite number, got nan"),
    (["--lr", "fast"], "--lr: cannot read 'fast' as a number"),
    (["--hidden", "64,x"], "--hidden: cannot read '64,x'"),
    (["--hidden", "64,0"], "--hidden: expected a list of 1 or more layer widths, each an "
                           "integer in [1, 65536], got 64,0"),
    (["--hidden", "100000000"], "each an integer in [1, 65536], got 100000000"),
    (["--label-smoothing", "5"], "--label-smoothing: expected a number in [0, 1), got 5"),
    (["--seed", "-1"], "--seed: expected an integer >= 0, got -1"),
    (["--engine", "autograd", "--batch-norm", "--batch-size", "1"],
     "--batch-norm needs batches of at least 2 images"),
    (["--dropout", "1.0"], "--dropout: expected a probability in [0, 1), got 1.0"),
    (["--layers", "flatten dropout(1)"],
     "--layers: layer 2 'dropout(1)': p: expected a probability in [0, 1), got 1"),
    (["--optimizer", "lbfgs"], "--optimizer: expected one of sgd, rmsprop, adam, adamw, "
                               "adagrad, adadelta, got 'lbfgs'"),
    (["--activation", "swish"], "--activation: expected one of"),
    (["--schedule", "linear"], "--schedule: expected one of"),
    (["--preset", "huge"], "--preset: expected one of report, mlp, cnn, lstm, got 'huge'"),
    (["--val-split", "1.5"], "--val-split: expected a number in [0, 1), got 1.5"),
    (["--early-stop", "3"], "--early-stop 3 needs a validation set"),
    (["--engine", "manual", "--dropout", "0.2"],
         "--engine handwritten trains only the report's kind of network"),
    (["--optimizer", "adam", "--momentum", "0.9", "--engine", "autograd"],
     "--momentum applies to --optimizer sgd or rmsprop"),
    (["--schedule", "plateau", "--engine", "autograd"], "--schedule plateau watches"),
    (["--train-csv", "a.csv"], "--train-csv and --test-csv go together"),
    (["--resume", "somewhere", "--epochs", "3"], "--resume continues a run with its own "
                                                  "settings; it takes no --epochs"),
    (["--config", "no/such/file.toml"], "--config no/such/file.toml: no such file"),
])
def test_bad_options_are_one_line_errors_naming_option_and_value(capsys, argv, expected):
    line = one_line_error(capsys, ["train", *argv])
    assert expected in line


def test_bad_values_in_a_config_file_name_the_file_and_the_setting(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text("[train]\nepochs = -2\n")
    line = one_line_error(capsys, ["train", "--config", str(config)])
    assert f"{config}: epochs (--epochs): expected an integer >= 1, got -2" in line
    config.write_text("[train]\nlearning_rate = 0.1\n")
    assert "unknown setting 'learning_rate'" in one_line_error(
        capsys, ["train", "--config", str(config)])
    config.write_text("[train\nepochs = 2\n")
    assert "not valid TOML" in one_line_error(capsys, ["train", "--config", str(config)])


def train(argv, capsys=None):
    assert main(["train", "--no-progress", *argv]) == 0


def read_metrics(path):
    return list(csv.DictReader(path.open()))


def test_a_run_writes_the_whole_run_folder(tmp_path, data_dir, capsys):
    out = tmp_path / "run"
    train(["--data", str(data_dir), "--out", str(out), "--epochs", "3", "--hidden", "32,16",
           "--lr", "0.005", "--batch-size", "32"])
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert f"test accuracy {summary['test_accuracy']:.4f}" in printed
    assert summary["epochs"] == 3 and len(summary["epoch_seconds"]) == 3
    assert summary["parameters"] == 784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert summary["test_accuracy"] > 0.8  # the synthetic classes are easy
    rows = read_metrics(out / "metrics.csv")
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert float(rows[-1]["test_accuracy"]) == pytest.approx(summary["test_accuracy"])
    model = load_model(out / "model.npz")
    assert model.architecture == {"kind": "handwritten", "sizes": [784, 32, 16, 10]}
    assert model.class_names[9] == "Ankle boot"
    for name in ("loss.png", "accuracy.png", "confusion_matrix.png"):
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "config.toml").exists() and (out / "checkpoint.npz").exists()


def test_training_into_a_folder_that_holds_a_run_is_refused(tmp_path, data_dir, capsys):
    out = tmp_path / "run"
    train(["--data", str(data_dir), "--out", str(out), "--epochs", "1", "--hidden", "8"])
    line = one_line_error(capsys, ["train", "--data", str(data_dir), "--out", str(out)])
    assert "already holds a run" in line and f"--resume {out}" in line


def model_arrays(path):
    return load_model(path).arrays


def test_rerunning_config_toml_gives_the_same_numbers(tmp_path, data_dir):
    first, second = tmp_path / "first", tmp_path / "second"
    train(["--data", str(data_dir), "--out", str(first), "--preset", "mlp", "--epochs", "3",
           "--hidden", "48,24", "--val-split", "0.2", "--early-stop", "5", "--seed", "11",
           "--label-smoothing", "0.05", "--clip-grad", "5", "--augment", "shift+flip"])
    train(["--config", str(first / "config.toml"), "--out", str(second)])
    a, b = model_arrays(first / "model.npz"), model_arrays(second / "model.npz")
    assert set(a) == set(b) and any("running_mean" in k for k in a)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    rows_a, rows_b = read_metrics(first / "metrics.csv"), read_metrics(second / "metrics.csv")
    for ra, rb in zip(rows_a, rows_b, strict=True):
        ra.pop("seconds"), rb.pop("seconds")
        assert ra == rb
    assert (first / "config.toml").read_text() == (second / "config.toml").read_text()


def test_options_override_the_config_file(tmp_path, data_dir):
    first, second = tmp_path / "first", tmp_path / "second"
    train(["--data", str(data_dir), "--out", str(first), "--epochs", "1", "--hidden", "8"])
    train(["--config", str(first / "config.toml"), "--out", str(second), "--epochs", "2"])
    summary = json.loads((second / "summary.json").read_text())
    assert summary["epochs"] == 2
    assert "hidden = [8]" in (second / "config.toml").read_text()


def test_both_engines_train_the_report_network_to_the_same_weights(tmp_path, data_dir):
    runs = {}
    for engine in ("manual", "autograd"):
        out = tmp_path / engine
        train(["--data", str(data_dir), "--out", str(out), "--engine", engine, "--epochs", "2",
               "--hidden", "16,8"])
        runs[engine] = model_arrays(out / "model.npz")
    manual, auto = runs["manual"], runs["autograd"]
    # manual: weight{l} is (n_in, n_out); autograd: Linear weights are (n_out, n_in).
    linear_keys = sorted((k for k in auto if k.endswith(".weight")), key=lambda k: int(k[0]))
    assert len(linear_keys) == 3
    for layer, key in enumerate(linear_keys):
        np.testing.assert_allclose(manual[f"weight{layer}"], auto[key].T, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(manual[f"bias{layer}"], auto[key.replace("weight", "bias")],
                                   rtol=1e-3, atol=1e-5)


def test_a_diverging_run_stops_with_one_clear_line_and_writes_no_model(
        tmp_path, data_dir, capsys):
    out = tmp_path / "run"
    line = one_line_error(capsys, ["train", "--no-progress", "--data", str(data_dir), "--out",
                                   str(out), "--engine", "autograd", "--optimizer", "sgd",
                                   "--lr", "1e12", "--epochs", "3", "--hidden", "16"],
                          progress_lines=True)
    # the loss explodes past 1e6 (or to NaN) in the first epoch: stopped there
    assert re.search(r"training diverged: the training loss is (nan|[0-9.e+]+) at epoch 1,", line)
    assert "try a lower --lr" in line
    assert not (out / "model.npz").exists()


@pytest.mark.parametrize("argv, expected", [
    (["--augment", "rotat=10"], "--augment: unknown augmentation 'rotat' (did you mean rotate?)"),
    (["--augment", "rotate=400"],
     "--augment: rotate: expected an angle in [0, 180] degrees, got 400"),
])
def test_bad_augmentations_are_one_line_errors(capsys, argv, expected):
    assert expected in one_line_error(capsys, ["train", *argv])


def test_augmentation_from_the_command_line_or_a_toml_table_is_stored_canonically(tmp_path):
    from telar.app.runs.config import build_config, config_toml, read_config_file

    assert build_config({"augment": "flip,shift=2"}).augment == "shift=2,flip=0.5"
    path = tmp_path / "config.toml"
    path.write_text("[train]\nepochs = 3\n\n[augment]\nrotate = 10\nerase = 0.25\n")
    config = build_config({}, config_file=path)
    assert config.augment == "rotate=10,erase=0.25"
    path.write_text(config_toml(config))  # what a run writes reads back to the same run
    assert build_config({}, config_file=path) == config
    assert read_config_file(path)["augment"] == "rotate=10,erase=0.25"


def test_a_finished_run_has_its_report_html(tmp_path, monkeypatch, capsys):
    from helpers.fake_data import write_synthetic_fmnist

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = write_synthetic_fmnist(tmp_path / "data", 200, 60)
    out = tmp_path / "run"
    assert main(["train", "--no-progress", "--data", str(data), "--epochs", "1",
                 "--hidden", "8", "--out", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "Confusion matrix" in html or "confusion" in html.lower()
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out


def test_ctrl_c_while_the_results_are_written_says_how_to_write_them(
        tmp_path, data_dir, capsys, monkeypatch):
    import telar.app.runs.run as run_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # as Ctrl-C during the final test evaluation would

    out = tmp_path / "run"
    argv = ["train", "--no-progress", "--data", str(data_dir), "--out", str(out),
            "--epochs", "2", "--hidden", "16", "--batch-size", "64"]
    with monkeypatch.context() as patch:
        patch.setattr(run_module, "finish_run", interrupted)
        assert main(argv) == 130
    err = capsys.readouterr().err
    assert f"weights are safe in {out / 'checkpoint.npz'}" in err
    assert f"telar train --resume {out}" in err and not (out / "model.npz").exists()
    assert main(["train", "--no-progress", "--resume", str(out)]) == 0  # the hint works
    assert load_model(out / "model.npz").meta["trained_epochs"] == 2


@pytest.mark.slow  # two runs, each with its report
def test_tensorboard_logs_hold_metrics_csv_the_config_and_the_figures(tmp_path, data_dir,
                                                                       capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "run"
    train(["--data", str(data_dir), "--out", str(out), "--epochs", "2", "--hidden", "8",
           "--tensorboard"])
    assert f"tensorboard: {out / 'tensorboard'}" in capsys.readouterr().out
    # resuming a finished run writes its results again; its logs go on in tensorboard/
    train(["--resume", str(out)])
    events = EventAccumulator(str(out / "tensorboard"), size_guidance={"scalars": 0,
                                                                       "images": 0})
    events.Reload()
    rows = read_metrics(out / "metrics.csv")
    for column, tag in (("train_loss", "loss/train"), ("test_accuracy", "accuracy/test"),
                        ("lr", "learning_rate"), ("seconds", "seconds_per_epoch")):
        assert [(e.step, e.value) for e in events.Scalars(tag)] == \
            [(int(r["epoch"]), float(np.float32(float(r[column])))) for r in rows]
    for tag in ("figures/confusion_matrix", "figures/samples"):
        [image] = events.Images(tag)
        assert image.step == 2 and image.encoded_image_string[:4] == b"\x89PNG"
    assert events.Images("figures/confusion_matrix")[0].encoded_image_string == \
        (out / "figures" / "confusion_matrix.png").read_bytes()
    assert "_hparams_/session_start_info" in events.Tags()["tensors"]


def test_tensorboard_into_a_folder_of_ones_choice(tmp_path, data_dir):
    out, logs = tmp_path / "run", tmp_path / "logs" / "first"
    train(["--data", str(data_dir), "--out", str(out), "--epochs", "1", "--hidden", "8",
           "--tensorboard", str(logs)])
    assert not (out / "tensorboard").exists()
    assert [p.name.startswith("events.out.tfevents.") for p in logs.iterdir()] == [True]


def test_tensorboard_without_its_package_is_one_line_before_anything_is_written(
        tmp_path, data_dir, capsys, monkeypatch):
    import sys

    for name in [n for n in sys.modules if n.split(".")[0] == "tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)  # None: what an absent package gives
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    out = tmp_path / "run"
    one_line_error(capsys, ["train", "--data", str(data_dir), "--out", str(out), "--epochs", "1",
                            "--tensorboard"],
                   "TensorBoard logging needs the tensorboard package",
                   "pip install -e '.[tensorboard]'")
    assert not out.exists()


@pytest.mark.skipif(cuda_problem() is None, reason="this machine has CUDA")
@pytest.mark.parametrize("command", [["train", "--epochs", "1"], ["train", "--preset", "cnn"],
                                     ["evaluate", "no/model.npz"], ["predict", "m.npz", "x.png"],
                                     ["train", "--resume", "somewhere"]])
def test_device_cuda_without_cupy_is_one_line_saying_what_to_install(capsys, command):
    one_line_error(capsys, [*command, "--device", "cuda"], "--device cuda: CUDA is not available",
                   "pip install -e '.[cuda]'")


def test_threads_must_be_a_count_for_every_command_that_computes(capsys):
    for command in (["train"], ["evaluate", "m.npz"], ["predict", "m.npz", "x.png"]):
        one_line_error(capsys, [*command, "--threads", "0"],
                       "--threads: expected an integer >= 1, got '0'")


@pytest.mark.slow  # two runs with their reports (~30 s on the 2-core machines)
def test_the_thread_count_does_not_change_what_a_run_learns(tmp_path, data_dir, monkeypatch):
    """Chunk boundaries never depend on the number of threads (telar.engine.cpu.workers), so
    --threads 1 and --threads 2 train the same convolutional network to the same bits."""
    monkeypatch.setattr(thread_rules, "_budget", None)  # --threads sets it: restored after
    runs = {}
    for threads in ("1", "2"):
        out = tmp_path / f"threads{threads}"
        train(["--data", str(data_dir), "--out", str(out), "--engine", "autograd",
               "--layers", "conv(4,3) relu maxpool(2) flatten linear(10)", "--epochs", "1",
               "--batch-size", "64", "--threads", threads, "--device", "cpu"])
        runs[threads] = model_arrays(out / "model.npz")
    for name in runs["1"]:
        np.testing.assert_array_equal(runs["1"][name], runs["2"][name])


@pytest.mark.skipif(cuda_problem() is not None, reason=f"no CUDA here: {cuda_problem()}")
def test_a_gpu_run_writes_the_files_a_cpu_run_writes_and_evaluates_on_either_device(
        tmp_path, data_dir, capsys):
    runs = {}
    for where in ("cpu", "cuda"):
        out = tmp_path / where
        train(["--data", str(data_dir), "--out", str(out), "--preset", "cnn", "--epochs", "1",
               "--layers", "conv(4,3) bn relu maxpool(2) flatten linear(10)",
               "--device", where])
        runs[where] = model_arrays(out / "model.npz")
    assert runs["cpu"].keys() == runs["cuda"].keys()
    for name, values in runs["cpu"].items():
        assert runs["cuda"][name].dtype == values.dtype
        np.testing.assert_allclose(runs["cuda"][name], values, rtol=1e-3, atol=1e-4)
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "cuda"), "--device", "cuda", "--json"]) == 0
    on_gpu = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(tmp_path / "cuda"), "--device", "cpu", "--json"]) == 0
    on_cpu = json.loads(capsys.readouterr().out)
    assert on_gpu["accuracy"] == pytest.approx(on_cpu["accuracy"], abs=0.01)


@pytest.mark.parametrize("layers, expected", [
    ("flatten linear(3)", "--layers: the network ends with 3 scores per image, the data has 10 "
                          "classes: end it with linear(10)"),
    ("conv(4,3)", "--layers: the network ends with a non-flat output per image"),
])
def test_a_layer_list_that_does_not_end_in_one_score_per_class_is_one_line(
        capsys, data_dir, tmp_path, layers, expected):
    one_line_error(capsys, ["train", "--no-progress", "--data", str(data_dir), "--out",
                            str(tmp_path / "run"), "--engine", "autograd", "--layers", layers],
                   expected, progress_lines=True)
    assert not (tmp_path / "run" / "model.npz").exists()

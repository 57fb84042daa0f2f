"""TensorBoard event files, read back with TensorBoard's own reader (EventAccumulator): the
scalars are metrics.csv's rows, a resumed run shows each epoch once, hyper-parameters and
images are there."""

from __future__ import annotations

import csv
import io
import sys

import numpy as np
import pytest
from helpers.toy_learner import InterruptAt, ToyLearner, data
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from telar.app.evaluation import evaluate
from telar.errors import TelarError
from telar.train import Checkpointer, MetricsLogger, Trainer, TrainingInterrupted
from telar.train.checkpointing import restore_training_checkpoint
from telar.train.tensorboard import EventLog, TensorBoard, png_size, scalar_tag


def read_events(log_dir):
    accumulator = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0,
                                                                "tensors": 0})
    accumulator.Reload()
    return accumulator


def metrics_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def assert_scalars_are_metrics_csv(events, metrics_path):
    """Every column but epoch is a tag whose (step, value) list is the column, as float32."""
    rows = metrics_rows(metrics_path)
    columns = [c for c in rows[0] if c != "epoch"]
    assert sorted(events.Tags()["scalars"]) == sorted(scalar_tag(c) for c in columns)
    for column in columns:
        logged = [(e.step, e.value) for e in events.Scalars(scalar_tag(column))]
        assert logged == [(int(r["epoch"]), float(np.float32(float(r[column])))) for r in rows]


def png_bytes(width, height):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    fig.add_subplot().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def trainer(tmp_path, epochs, callbacks):
    train, val = data()
    return Trainer(ToyLearner(), train, val, epochs=epochs, batch_size=64, seed=3,
                   callbacks=[MetricsLogger(tmp_path / "metrics.csv"),
                              Checkpointer(tmp_path / "checkpoint.npz"), *callbacks],
                   score=evaluate)


def test_each_epoch_is_logged_as_the_metrics_csv_row_with_the_config_as_hparams(tmp_path):
    board = TensorBoard(tmp_path / "tb", hparams={"lr": 0.1, "hidden": [64, 32], "seed": 3,
                                                   "full_batch": False, "optimizer": "adam"})
    trainer(tmp_path, 3, [board]).fit()
    png = png_bytes(320, 240)
    board.add_images({"figures/confusion_matrix": png}, step=3)
    board.close()
    events = read_events(tmp_path / "tb")
    assert_scalars_are_metrics_csv(events, tmp_path / "metrics.csv")
    assert {"loss/train", "accuracy/val", "learning_rate", "seconds_per_epoch"} <= \
        set(events.Tags()["scalars"])
    [image] = events.Images("figures/confusion_matrix")
    assert (image.step, image.width, image.height) == (3, 320, 240)
    assert image.encoded_image_string == png
    content = events.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    hparams = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
    assert hparams["lr"].number_value == 0.1 and hparams["seed"].number_value == 3
    assert hparams["hidden"].string_value == "[64, 32]"
    assert hparams["full_batch"].bool_value is False
    assert hparams["optimizer"].string_value == "adam"


def test_a_resumed_run_shows_each_epoch_once_even_one_logged_after_its_checkpoint(tmp_path):
    with pytest.raises(TrainingInterrupted):
        trainer(tmp_path, 4, [TensorBoard(tmp_path / "tb"), InterruptAt(2, 1)]).fit()
    stale = EventLog(tmp_path / "tb")  # an epoch 3 the checkpoint never saw (a killed run)
    stale.scalars(3, {"loss/train": 99.0, "accuracy/train": 0.0})
    stale.close()
    board = TensorBoard(tmp_path / "tb")
    resumed = trainer(tmp_path, 4, [board])
    restore_training_checkpoint(tmp_path / "checkpoint.npz", resumed)
    assert resumed.state.epoch == 2
    resumed.fit()
    board.close()
    events = read_events(tmp_path / "tb")
    assert [e.step for e in events.Scalars("loss/train")] == [1, 2, 3, 4]
    assert_scalars_are_metrics_csv(events, tmp_path / "metrics.csv")


def test_without_the_tensorboard_package_opening_a_log_is_one_line_naming_the_extra(
        tmp_path, monkeypatch):
    for name in [n for n in sys.modules if n.split(".")[0] == "tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)  # None: what an absent package gives
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(TelarError, match=r"^TensorBoard logging needs the tensorboard package: "
                                         r"pip install -e '\.\[tensorboard\]'"):
        EventLog(tmp_path / "tb")
    assert not (tmp_path / "tb").exists()


def test_tags_group_metrics_by_what_they_measure():
    assert [scalar_tag(c) for c in ("train_loss", "val_accuracy", "test_loss", "lr",
                                    "seconds")] == \
        ["loss/train", "accuracy/val", "loss/test", "learning_rate", "seconds_per_epoch"]


def test_png_size_reads_the_header_and_refuses_other_bytes():
    assert png_size(png_bytes(200, 100))[:2] == (100, 200)
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(b"GIF89a" + bytes(30))

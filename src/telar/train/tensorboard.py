"""TensorBoard event files of a training run: scalars per epoch, hyper-parameters, figures.

Written with the ``tensorboard`` package's own writer and protocol buffers
(:class:`~tensorboard.summary.writer.event_file_writer.EventFileWriter`, ``Event`` and
``Summary`` from ``tensorboard.compat.proto``, the HParams plugin's ``hparams_pb``), imported
only when a log is opened; without the package that is one line naming the extra.

What goes in, step = the epoch number (as in ``metrics.csv``, which stays the record: the
event files are a view of it, and a value here is that row's value as a float32):

- every column of the epoch's row but ``epoch`` as a scalar, under :func:`scalar_tag`
  (``train_loss`` -> ``loss/train``, ``val_accuracy`` -> ``accuracy/val``, ``lr`` ->
  ``learning_rate``, ``seconds`` -> ``seconds_per_epoch``: TensorBoard groups by prefix);
- the run's configuration as hyper-parameters (the HParams dashboard), at step 0;
- PNG figures as images (:meth:`TensorBoard.add_images`, after training).

A resumed run must not show an epoch twice: each start writes TensorBoard's restart marker,
``SessionLog(START)`` at step 1, which makes its readers drop what earlier files hold from
step 1 on, then writes again every epoch of the history the checkpoint kept. The logs then
hold exactly the epochs of ``metrics.csv``, whatever the earlier files had (an epoch written
after the last checkpoint, a run started over with ``--overwrite``).
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

from telar.errors import TelarError
from telar.train.loop import Callback, Trainer

#: Columns whose tag is not ``what/split``.
_SPECIAL_TAGS = {"lr": "learning_rate", "seconds": "seconds_per_epoch"}
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: PNG colour type -> channels (TensorBoard's ``colorspace``): grey, RGB, grey+alpha, RGBA.
_PNG_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def scalar_tag(column: str) -> str:
    """The TensorBoard tag of a ``metrics.csv`` column: ``train_loss`` -> ``loss/train``."""
    if column in _SPECIAL_TAGS:
        return _SPECIAL_TAGS[column]
    split, _, what = column.partition("_")
    return f"{what}/{split}" if what else column


def require_tensorboard() -> Any:
    """The modules the log is written with; TelarError naming the extra when absent."""
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.plugins.hparams import summary_v2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise TelarError("TensorBoard logging needs the tensorboard package: "
                         "pip install -e '.[tensorboard]' (from a clone of telar)") from None
    return event_pb2, summary_pb2, summary_v2, EventFileWriter


def png_size(png: bytes) -> tuple[int, int, int]:
    """``(height, width, channels)`` from a PNG's IHDR chunk; ValueError if not a PNG."""
    if len(png) < 26 or not png.startswith(_PNG_MAGIC) or png[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    return height, width, _PNG_CHANNELS.get(png[25], 4)


def hparam_value(value: Any) -> bool | int | float | str:
    """A configuration value as the HParams plugin takes it (lists and the rest as JSON)."""
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value)


class EventLog:
    """One event file in ``log_dir`` (TensorBoard's writer), and the summaries telar writes."""

    def __init__(self, log_dir: str | Path) -> None:
        self._event_pb2, self._summary_pb2, self._hparams, writer = require_tensorboard()
        self.log_dir = Path(log_dir)
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TelarError(f"--tensorboard {self.log_dir}: cannot create the folder "
                             f"({exc.strerror})") from None
        self._writer = writer(str(self.log_dir))

    def _add(self, step: int, summary: Any = None, **fields: Any) -> None:
        event = self._event_pb2.Event(wall_time=time.time(), step=step, **fields)
        if summary is not None:
            event.summary.CopyFrom(summary)
        self._writer.add_event(event)

    def restart_at(self, step: int) -> None:
        """TensorBoard's restart marker: readers drop earlier files' events from ``step`` on."""
        session = self._event_pb2.SessionLog(status=self._event_pb2.SessionLog.START)
        self._add(step, session_log=session)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        summary = self._summary_pb2.Summary(value=[
            self._summary_pb2.Summary.Value(tag=tag, simple_value=float(value))
            for tag, value in values.items()])
        self._add(step, summary)

    def hparams(self, values: dict[str, Any]) -> None:
        """The HParams plugin's session-start summary of ``values``, at step 0."""
        clean = {str(k): hparam_value(v) for k, v in values.items()}
        self._add(0, self._hparams.hparams_pb(clean))

    def image(self, tag: str, png: bytes, step: int) -> None:
        height, width, channels = png_size(png)
        image = self._summary_pb2.Summary.Image(height=height, width=width,
                                                colorspace=channels, encoded_image_string=png)
        self._add(step, self._summary_pb2.Summary(
            value=[self._summary_pb2.Summary.Value(tag=tag, image=image)]))

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class TensorBoard(Callback):
    """Write the run's epochs (and ``hparams``) as TensorBoard event files in ``log_dir``.

    >>> fit(learner, train, val, epochs=5, score=evaluate,                # doctest: +SKIP
    ...     callbacks=[TensorBoard("runs/x/tensorboard", hparams={"lr": 1e-3})])

    After training, :meth:`add_images` adds figures (PNG bytes) and :meth:`close` ends the
    file; both work after ``on_train_end``, which only flushes.
    """

    def __init__(self, log_dir: str | Path, hparams: dict[str, Any] | None = None) -> None:
        self.log_dir = Path(log_dir)
        self.hparams = dict(hparams or {})
        self.log: EventLog | None = None

    def _open(self) -> EventLog:
        if self.log is None:
            self.log = EventLog(self.log_dir)
        return self.log

    def on_train_begin(self, trainer: Trainer) -> None:
        log = self._open()
        if self.hparams:
            log.hparams(self.hparams)
        log.restart_at(1)
        for row in trainer.state.history:  # a resumed run: its epochs so far, once
            self._write_row(row)
        log.flush()

    def _write_row(self, row: dict[str, float]) -> None:
        values = {scalar_tag(k): v for k, v in row.items() if k != "epoch"}
        self._open().scalars(int(row["epoch"]), values)

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        self._write_row(row)
        self._open().flush()  # a killed run keeps what its checkpoint keeps

    def on_interrupt(self, trainer: Trainer) -> None:
        self._open().flush()

    def on_train_end(self, trainer: Trainer) -> None:
        self._open().flush()

    def add_images(self, images: dict[str, bytes], step: int) -> None:
        """PNG figures (tag -> bytes) at ``step``, e.g. the confusion matrix after training."""
        log = self._open()
        for tag, png in images.items():
            log.image(tag, png, step)
        log.flush()

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None

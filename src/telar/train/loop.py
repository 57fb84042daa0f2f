"""The training loop: epochs of seeded mini-batches, with callbacks doing everything else.

Randomness is derived, never carried: epoch ``e`` of a run with seed ``s`` shuffles with
``default_rng(SeedSequence([s, e]))`` and gives the learner ``default_rng(SeedSequence([s, e, 1]))``
for dropout. So a run continued from a checkpoint taken at the end of epoch ``e`` draws exactly
what an uninterrupted run draws. A checkpoint taken inside an epoch (Ctrl-C) also stores the
batch index, the running sums and the dropout generator's state (``bit_generator.state``).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from telar.engine.cpu.threads import blas_threads, thread_budget_set, threads_for_layers
from telar.errors import TelarError
from telar.train.learner import Learner


class Scores(Protocol):
    """What the loop reads of an evaluation: the mean loss and the accuracy."""

    loss: float
    accuracy: float


Scorer = Callable[[Learner, np.ndarray, np.ndarray], Scores]
"""``score(learner, x, y)``: how the loop evaluates on ``eval_set`` after each epoch. The
project's one evaluator, :func:`telar.app.evaluation.evaluate`, sits above this package, so
callers hand it in (``score=evaluate``) rather than the loop importing it."""


class TrainingDiverged(TelarError):
    """The loss became NaN or infinite; the run stopped before saving the bad weights."""


class TrainingInterrupted(Exception):
    """Ctrl-C: the loop stopped after the current batch (and the callbacks saved a checkpoint)."""

    def __init__(self, state: TrainState) -> None:
        super().__init__(f"interrupted in epoch {state.epoch + 1}, "
                         f"after batch {state.batch} of {state.n_batches}")
        self.state = state


@dataclass
class TrainState:
    """Where a run is: what a checkpoint must hold besides the learner and callbacks.

    ``epoch`` counts finished epochs; ``batch`` the finished batches of the unfinished epoch,
    whose running sums are ``loss_sum`` (sum of per-sample losses), ``correct`` and ``seen``.
    """

    epochs: int
    epoch: int = 0
    batch: int = 0
    n_batches: int = 0
    loss_sum: float = 0.0
    correct: int = 0
    seen: int = 0
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)
    stopped: bool = False
    stop_reason: str = ""
    rng_state: dict[str, Any] | None = None  # the dropout generator's state, inside an epoch

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TrainState:
        return cls(**{k: obj[k] for k in cls.__dataclass_fields__ if k in obj})


class Callback:
    """Hooks the loop calls; override what you need. ``trainer`` gives learner and state."""

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_epoch_begin(self, trainer: Trainer) -> None: ...

    def on_batch_end(self, trainer: Trainer, loss: float, n_correct: int, n: int) -> None: ...

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None: ...

    def on_interrupt(self, trainer: Trainer) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        """What this callback must keep across a resume (arrays allowed)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def epoch_generators(seed: int, epoch: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The shuffling and dropout generators of ``epoch``, derived from ``(seed, epoch)``."""
    return (np.random.default_rng(np.random.SeedSequence([seed, epoch])),
            np.random.default_rng(np.random.SeedSequence([seed, epoch, 1])))


def default_batch_context(batch_size: int | None, learner: Learner | None = None
                          ) -> Callable[[], Any]:
    """BLAS threads for the batches: a learner that reports the layer sizes of its products
    (``matmul_layer_sizes()``) gets threads by the size of its largest product per batch
    (:mod:`telar.engine.cpu.threads`); a full batch, or a learner that doesn't say, keeps the
    default (or the thread budget set by ``telar.set_num_threads``/``--threads``)."""
    sizes = learner.matmul_layer_sizes() if learner is not None else None
    threads = None if batch_size is None or sizes is None else threads_for_layers(
        batch_size, sizes)
    if threads is None:  # the BLAS default, unless a thread budget was set (--threads N)
        threads = thread_budget_set()
    return lambda: blas_threads(threads)


def batch_order(n: int, batch_size: int | None, seed: int, epoch: int) -> list[np.ndarray]:
    """The index batches of one epoch: a seeded permutation cut in ``batch_size`` pieces.

    ``batch_size=None`` is full batch: one batch of every sample, in order. A last batch of a
    single sample joins the one before it (batch normalisation needs two samples).
    """
    if batch_size is None or batch_size >= n:
        return [np.arange(n)]
    order = epoch_generators(seed, epoch)[0].permutation(n)
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2:] = [np.concatenate(batches[-2:])]
    return batches


class Trainer:
    """Runs ``learner`` for ``state.epochs`` epochs on ``train``; evaluates on ``eval_set``
    with ``score`` (:data:`Scorer`, needed when there is an ``eval_set``).

    ``batch_size=None`` is full batch: one update per epoch on all of ``train`` (the report's
    way). ``eval_name`` names the evaluation columns (``val`` or ``test``). ``augment``, if given,
    maps ``(x_batch, generator) -> x_batch`` and draws from the dropout generator.
    ``batch_context`` wraps the batches of each epoch (default: :func:`default_batch_context`).
    """

    def __init__(self, learner: Learner, train: tuple[np.ndarray, np.ndarray],
                 eval_set: tuple[np.ndarray, np.ndarray] | None, *, epochs: int,
                 batch_size: int | None, seed: int, callbacks: Sequence[Callback] = (),
                 eval_name: str = "val", augment: Any = None,
                 state: TrainState | None = None,
                 batch_context: Callable[[], contextlib.AbstractContextManager] | None = None,
                 score: Scorer | None = None) -> None:
        if eval_set is not None and score is None:
            raise TypeError("an eval_set needs score=, e.g. score=telar.app.evaluation.evaluate")
        self.learner = learner
        self.score = score
        self.batch_context = batch_context or default_batch_context(batch_size, learner)
        self.x, self.y = train
        self.eval_set = eval_set
        self.eval_name = eval_name
        self.batch_size = batch_size
        self.seed = seed
        self.callbacks = list(callbacks)
        self.augment = augment
        self.state = state or TrainState(epochs=epochs)
        self.state.epochs = epochs
        self.rng: np.random.Generator | None = None
        #: the latest ``score(...)`` of ``eval_set`` (with ``evaluate``: predictions, logits):
        #: callbacks may use it
        self.last_eval: Any = None
        self._interrupt = False

    # -- checkpoints ------------------------------------------------------------------------
    def rng_state(self) -> dict[str, Any] | None:
        return self.rng.bit_generator.state if self.rng is not None else None

    def request_stop(self, reason: str) -> None:
        """Ask the loop to stop after this epoch (early stopping does)."""
        self.state.stopped = True
        self.state.stop_reason = reason

    def request_interrupt(self) -> None:
        """Ask the loop to stop after the current batch (what Ctrl-C does)."""
        self._interrupt = True

    # -- the loop ---------------------------------------------------------------------------
    def fit(self) -> TrainState:
        state = self.state
        for cb in self.callbacks:
            cb.on_train_begin(self)
        while state.epoch < state.epochs and not state.stopped:
            self._run_epoch()
        for cb in self.callbacks:
            cb.on_train_end(self)
        return state

    def _run_epoch(self) -> None:
        state = self.state
        batches = batch_order(len(self.x), self.batch_size, self.seed, state.epoch)
        state.n_batches = len(batches)
        self.rng = epoch_generators(self.seed, state.epoch)[1]
        if state.batch == 0:
            state.loss_sum, state.correct, state.seen, state.seconds = 0.0, 0, 0, 0.0
        elif state.rng_state is not None:  # resuming inside an epoch
            self.rng.bit_generator.state = state.rng_state
        self.learner.set_rng(self.rng)
        for cb in self.callbacks:
            cb.on_epoch_begin(self)
        started = time.perf_counter()
        with self.batch_context():
            self._run_batches(batches, started)
        row = self._finish_epoch(time.perf_counter() - started)
        for cb in self.callbacks:
            cb.on_epoch_end(self, row)

    def _run_batches(self, batches: list[np.ndarray], started: float) -> None:
        state = self.state
        whole = len(batches) == 1  # full batch: no copy of the whole set
        gather = _BatchGather(self.x, self.y, len(batches[0]))
        for index in batches[state.batch:]:
            xb, yb = (self.x, self.y) if whole else gather(index)
            if self.augment is not None:
                xb = self.augment(xb, self.rng)
            loss, n_correct = self.learner.train_step(xb, yb)
            state.batch += 1
            state.loss_sum += float(loss) * len(index)
            state.correct += int(n_correct)
            state.seen += len(index)
            for cb in self.callbacks:
                cb.on_batch_end(self, float(loss), int(n_correct), len(index))
            if self._interrupt:
                state.seconds += time.perf_counter() - started
                state.rng_state = self.rng_state()
                for cb in self.callbacks:
                    cb.on_interrupt(self)
                raise TrainingInterrupted(state)

    def _finish_epoch(self, seconds: float) -> dict[str, float]:
        state = self.state
        train_seconds = state.seconds + seconds
        row: dict[str, float] = {
            "epoch": state.epoch + 1,
            "train_loss": state.loss_sum / max(state.seen, 1),
            "train_accuracy": state.correct / max(state.seen, 1),
        }
        if self.eval_set is not None:
            scores = self.last_eval = self.score(self.learner, *self.eval_set)
            row[f"{self.eval_name}_loss"] = scores.loss
            row[f"{self.eval_name}_accuracy"] = scores.accuracy
        row["lr"] = self.learner.lr
        row["seconds"] = train_seconds
        state.history.append(row)
        state.epoch += 1
        state.batch = 0
        state.rng_state = None
        return row

    @property
    def eval_loss_key(self) -> str:
        return f"{self.eval_name}_loss"


class _BatchGather:
    """Copies a batch's rows into buffers reused from batch to batch (``np.take(out=)``):
    no allocation per batch. The learner uses a batch only until its step returns."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        self.x, self.y = x, y
        self.xb = np.empty((batch_size, *x.shape[1:]), x.dtype)
        self.yb = np.empty(batch_size, y.dtype)

    def __call__(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = len(index)
        if k > len(self.xb):  # the last batch may have absorbed a single leftover sample
            return self.x[index], self.y[index]
        xb, yb = self.xb[:k], self.yb[:k]
        # mode="clip" skips a second buffer; the indices come from a permutation, so in range
        np.take(self.x, index, axis=0, out=xb, mode="clip")
        np.take(self.y, index, out=yb, mode="clip")
        return xb, yb


def fit(learner: Learner, train: tuple[np.ndarray, np.ndarray],
        eval_set: tuple[np.ndarray, np.ndarray] | None = None, *, epochs: int,
        batch_size: int | None = 128, seed: int = 0, callbacks: Sequence[Callback] = (),
        eval_name: str = "val", augment: Any = None,
        state: TrainState | None = None, score: Scorer | None = None) -> TrainState:
    """Train ``learner`` for ``epochs`` epochs; return the final :class:`TrainState`.

    >>> from telar.app.evaluation import evaluate                           # doctest: +SKIP
    >>> state = fit(learner, (x, y), (x_val, y_val), epochs=5, batch_size=64, seed=1,
    ...             callbacks=[NanGuard(), EarlyStopping(patience=2)], score=evaluate)
    """
    trainer = Trainer(learner, train, eval_set, epochs=epochs, batch_size=batch_size, seed=seed,
                      callbacks=callbacks, eval_name=eval_name, augment=augment, state=state,
                      score=score)
    return trainer.fit()


@contextlib.contextmanager
def stop_on_sigint(trainer: Trainer) -> Iterator[None]:
    """While active, the first Ctrl-C asks ``trainer`` to stop after its batch; a second one
    raises KeyboardInterrupt at once. Does nothing outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        if trainer._interrupt:
            raise KeyboardInterrupt
        trainer.request_interrupt()

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

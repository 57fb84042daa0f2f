"""The report's experiment: full-batch Adam on the report's network, state recorded at marks.

One run trains to the last mark through the training loop (full-batch mode). Epoch ``e`` means
"after ``e`` updates" (epoch 0 is the initial network). Train loss/accuracy of epoch ``e`` come
from the forward pass of update ``e + 1`` (one extra forward after the last update), test
loss/accuracy from a forward pass on the test set at the same parameters, so both curves
describe the same network.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from telar.app.evaluation import Evaluation, evaluate
from telar.handwritten import HandwrittenNetwork
from telar.optim import Adam
from telar.train import Callback, HandwrittenLearner, Trainer


@dataclass
class Split:
    """Images as float (N, 784) and integer labels."""

    x: np.ndarray
    y: np.ndarray


@dataclass
class MarkState:
    """The network's figures after ``epoch`` full-batch updates."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    test_confusion: np.ndarray  # rows: true class, columns: predicted
    test_predicted_counts: list[int]

    def as_dict(self) -> dict:
        return {"epoch": self.epoch, "train_loss": self.train_loss,
                "train_accuracy": self.train_accuracy, "test_loss": self.test_loss,
                "test_accuracy": self.test_accuracy,
                "test_predicted_class_counts": self.test_predicted_counts,
                "test_confusion_matrix": self.test_confusion.tolist()}


@dataclass
class RunResult:
    """Per-epoch history (index = epoch, 0..last mark) and the states at the marks."""

    lr: float
    naive_softmax: bool
    dtype: str
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    marks: dict[int, MarkState] = field(default_factory=dict)
    first_nonfinite_epoch: int | None = None
    seconds: float = 0.0
    max_abs_logit: float = 0.0


def epoch_flops(sizes: Sequence[int], n: int) -> float:
    """Multiply-adds x 2 of one full-batch epoch: forward, dW for every layer, dX but the first."""
    mats = [a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    return 2.0 * n * (2 * sum(mats) + sum(mats[1:]))


class MarkRecorder(Callback):
    """Fills a :class:`RunResult` as the report counts epochs: "epoch ``e``" is the network
    after ``e`` updates.

    The loop's epoch ``k`` is update ``k``: its training loss comes from the forward pass
    *before* the update (the network after ``k - 1`` updates), its test figures from the
    evaluation *after* it (after ``k``). So the training figures of report-epoch ``k - 1``
    arrive with update ``k``, and those of the last epoch from one extra forward at the end.
    """

    def __init__(self, result: RunResult, train: Split, marks: Sequence[int],
                 n_classes: int, network: HandwrittenNetwork) -> None:
        self.result, self.train, self.n_classes, self.network = result, train, n_classes, network
        self.marks = set(marks)
        self._test: dict[int, Evaluation] = {}  # the evaluations at the marks

    def _record_train(self, epoch: int, loss: float, accuracy: float) -> None:
        r = self.result
        r.train_loss.append(float(loss))
        r.train_accuracy.append(float(accuracy))
        if r.first_nonfinite_epoch is None and not (
                np.isfinite(loss) and np.isfinite(self.network.params).all()):
            r.first_nonfinite_epoch = epoch
        if epoch in self.marks:
            test = self._test[epoch]
            r.marks[epoch] = MarkState(
                epoch=epoch, train_loss=float(loss), train_accuracy=float(accuracy),
                test_loss=test.loss, test_accuracy=test.accuracy,
                test_confusion=test.confusion_matrix(self.n_classes),
                test_predicted_counts=np.bincount(test.predictions,
                                                  minlength=self.n_classes).tolist())

    def _record_test(self, epoch: int, test: Evaluation) -> None:
        self.result.test_loss.append(test.loss)
        self.result.test_accuracy.append(test.accuracy)
        if epoch in self.marks:
            self._test[epoch] = test

    def on_train_begin(self, trainer: Trainer) -> None:
        self._record_test(0, trainer.score(trainer.learner, *trainer.eval_set))

    def on_batch_end(self, trainer: Trainer, loss: float, n_correct: int, n: int) -> None:
        self._record_train(trainer.state.epoch, loss, n_correct / n)
        self.result.max_abs_logit = max(self.result.max_abs_logit,
                                        self.network.last_max_abs_logit)

    def on_epoch_end(self, trainer: Trainer, row: dict[str, float]) -> None:
        self._record_test(trainer.state.epoch, trainer.last_eval)

    def on_train_end(self, trainer: Trainer) -> None:
        # The same forward pass an update would make (row blocks included), without the
        # update: the last epoch's figures then equal those a longer run records for it.
        loss, correct = self.network.train_gradients(self.train.x, self.train.y)
        self._record_train(trainer.state.epoch, loss, correct / len(self.train.y))


def run_full_batch(
    train: Split,
    test: Split,
    marks: Sequence[int],
    *,
    lr: float = 1e-4,
    seed: int = 0,
    sizes: Sequence[int] = (784, 64, 32, 16, 10),
    naive_softmax: bool = False,
    dtype: type = np.float32,
    callbacks: Sequence[Callback] = (),
) -> RunResult:
    """Train full batch to ``max(marks)`` epochs with Adam, recording the state at each mark.

    The run goes through the same :class:`~telar.train.Trainer` as ``telar train`` (full-batch
    mode), with a :class:`MarkRecorder`; ``callbacks`` are added after it (a progress bar,
    the NaN guard).
    """
    marks = sorted(set(int(m) for m in marks))
    net = HandwrittenNetwork(sizes, seed=seed, dtype=dtype, naive_softmax=naive_softmax)
    net.track_max_logit = True
    learner = HandwrittenLearner(net)
    learner.attach_optimizer(Adam([learner.parameter], lr=lr))
    x, y = train.x.astype(dtype, copy=False), train.y
    result = RunResult(lr=lr, naive_softmax=naive_softmax, dtype=np.dtype(dtype).name)
    recorder = MarkRecorder(result, Split(x, y), marks, sizes[-1], net)
    trainer = Trainer(learner, (x, y), (test.x.astype(dtype, copy=False), test.y),
                      epochs=marks[-1], batch_size=None, seed=seed, eval_name="test",
                      callbacks=[recorder, *callbacks], score=evaluate)
    start = time.perf_counter()
    with np.errstate(all="ignore"):  # the naive softmax overflows on purpose
        trainer.fit()
    result.seconds = time.perf_counter() - start
    return result

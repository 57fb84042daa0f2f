"""The report's experiment: full-batch Adam on the seed network, state recorded at epoch marks.

One run trains to the last mark. Epoch ``e`` means "after ``e`` updates" (epoch 0 is the
initial network). Train loss/accuracy of epoch ``e`` come from the forward pass of update
``e + 1`` (one extra forward after the last update), test loss/accuracy from a forward pass on
the test set at the same parameters, so both curves describe the same network.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from telar import metrics
from telar.seed import SeedAdam, SeedLearner, SeedNetwork


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


def _loss_and_accuracy(net: SeedNetwork, split: Split, chunk: int = 20000):
    """Mean loss and accuracy over ``split`` plus the predictions (no update)."""
    total, preds = 0.0, np.empty(len(split.y), np.int64)
    for i in range(0, len(split.y), chunk):
        xs, ys = split.x[i : i + chunk], split.y[i : i + chunk]
        total += net.loss(xs, ys) * len(ys)  # leaves the logits in the buffers
        preds[i : i + chunk] = net._buf.acts[-1].argmax(axis=1)
    return total / len(split.y), float(np.mean(preds == split.y)), preds


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
    on_epoch: Callable[[int, float], None] | None = None,
) -> RunResult:
    """Train full batch to ``max(marks)`` epochs, recording the state at each mark.

    ``on_epoch(epoch, train_loss)`` is called after each update (for a progress bar).
    """
    marks = sorted(set(int(m) for m in marks))
    net = SeedNetwork(sizes, seed=seed, dtype=dtype, naive_softmax=naive_softmax)
    net.track_max_logit = True
    learner = SeedLearner(net, SeedAdam(net.params, net.grads, lr=lr))
    x = train.x.astype(dtype, copy=False)
    tx = test.x.astype(dtype, copy=False)
    train_split, test_split = Split(x, train.y), Split(tx, test.y)
    n_classes = sizes[-1]
    result = RunResult(lr=lr, naive_softmax=naive_softmax, dtype=np.dtype(dtype).name)
    last = marks[-1]
    start = time.perf_counter()
    with np.errstate(all="ignore"):  # the naive softmax overflows on purpose
        for epoch in range(last + 1):
            # test first: the parameters after `epoch` updates, as the train forward below
            test_loss, test_acc, test_pred = _loss_and_accuracy(net, test_split)
            if epoch < last:  # forward at the same parameters, then update
                loss, correct = learner.train_step(x, train.y)
                acc = correct / len(train.y)
                result.max_abs_logit = max(result.max_abs_logit, net.last_max_abs_logit)
            else:  # after the last update: one forward for the final train figures
                loss, acc, _ = _loss_and_accuracy(net, train_split)
            result.train_loss.append(float(loss))
            result.train_accuracy.append(float(acc))
            result.test_loss.append(float(test_loss))
            result.test_accuracy.append(float(test_acc))
            if result.first_nonfinite_epoch is None and not (
                    np.isfinite(loss) and np.isfinite(net.params).all()):
                result.first_nonfinite_epoch = epoch
            if epoch in marks:
                result.marks[epoch] = MarkState(
                    epoch=epoch, train_loss=float(loss), train_accuracy=float(acc),
                    test_loss=float(test_loss), test_accuracy=float(test_acc),
                    test_confusion=metrics.confusion_matrix(test.y, test_pred, n_classes),
                    test_predicted_counts=np.bincount(test_pred, minlength=n_classes).tolist())
            if on_epoch is not None and epoch < last:
                on_epoch(epoch + 1, float(loss))
    result.seconds = time.perf_counter() - start
    return result

"""One place that scores a classifier: loss, accuracy, predictions, confusion matrix, per class.

Every caller uses it: the training loop (validation figures each epoch), ``telar train``'s
final test, ``telar evaluate``, ``telar reproduce`` and the Python API. A *model* here is
anything with ``logits(x) -> (n, classes)`` (a learner, a :class:`telar.app.inference.Predictor`).

* cross-entropy from the logits, per sample, with log-sum-exp (no probability is clipped;
  the engine's :func:`~telar.engine.losses.cross_entropy_array`, in float64)::

      loss_i = logsumexp(z_i) - z_i[y_i],   logsumexp(z) = m + log(sum(exp(z - m))),  m = max(z)

* ``accuracy = mean(argmax(z_i) == y_i)``
* ``confusion[i, j]`` = number of samples of true class ``i`` predicted as ``j`` (scikit-learn)
* per class: precision = TP / (TP + FP), recall = TP / (TP + FN),
  F1 = 2 * precision * recall / (precision + recall), support = number of true samples; the
  macro average is the unweighted mean over classes (scikit-learn, ``zero_division=0``).

scikit-learn is imported only by the functions that need it, so the training loop can score
every epoch without loading it.

>>> accuracy([0, 1, 1], [0, 1, 0])
0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from telar.engine.activations import softmax_array
from telar.engine.losses import cross_entropy_array


class HasLogits(Protocol):
    def logits(self, x: np.ndarray) -> np.ndarray: ...


@dataclass
class Evaluation:
    """How a model did on ``(x, y)``: mean loss, accuracy, and per-sample predictions.

    ``logits`` are kept (float32 as the model gave them) so probabilities, the most confident
    mistakes and the like need no second pass.
    """

    loss: float
    accuracy: float
    predictions: np.ndarray
    labels: np.ndarray
    logits: np.ndarray

    @property
    def n(self) -> int:
        return int(len(self.labels))

    def probabilities(self) -> np.ndarray:
        """Softmax of the logits, row by row (``exp(z - max z) / sum``), in float64."""
        return softmax_array(self.logits.astype(np.float64), axis=1)

    def confusion_matrix(self, n_classes: int) -> np.ndarray:
        return confusion_matrix(self.labels, self.predictions, n_classes)

    def per_class(self, class_names: Sequence[str]) -> dict[str, Any]:
        return per_class_report(self.labels, self.predictions, class_names)


def evaluate(model: HasLogits, x: np.ndarray, y: np.ndarray,
             batch_size: int = 4096) -> Evaluation:
    """Score ``model`` on ``(x, y)`` in chunks of ``batch_size`` rows (memory stays small)."""
    y = np.asarray(y)
    if len(x) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Evaluation(float("nan"), float("nan"), empty, empty, np.zeros((0, 0)))
    chunks = [np.asarray(model.logits(x[i:i + batch_size])) for i in range(0, len(x), batch_size)]
    logits = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    predictions = np.argmax(logits, axis=1).astype(np.int64)
    losses = cross_entropy_array(logits, y)
    return Evaluation(loss=float(losses.mean()), accuracy=float((predictions == y).mean()),
                      predictions=predictions, labels=y, logits=logits)


# --- scikit-learn's metrics on label arrays ---------------------------------------------------

def _labels(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    if t.size == 0:
        raise ValueError("no labels to score")
    return t, p


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of predictions equal to the true label."""
    from sklearn import metrics as skm
    t, p = _labels(y_true, y_pred)
    return float(skm.accuracy_score(t, p))


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int = 10) -> np.ndarray:
    """``(n_classes, n_classes)`` int64 counts: rows are true classes, columns predictions."""
    from sklearn import metrics as skm
    t, p = _labels(y_true, y_pred)
    return skm.confusion_matrix(t, p, labels=np.arange(n_classes)).astype(np.int64)


def per_class_report(y_true: Any, y_pred: Any, class_names: Sequence[str]) -> dict[str, Any]:
    """Precision, recall, F1 and support per class (keyed by class name) plus ``"macro avg"``.

    A class that is never predicted gets precision 0 (scikit-learn's ``zero_division=0``).
    """
    from sklearn import metrics as skm
    t, p = _labels(y_true, y_pred)
    labels = np.arange(len(class_names))
    prec, rec, f1, sup = skm.precision_recall_fscore_support(
        t, p, labels=labels, zero_division=0)
    report: dict[str, Any] = {
        name: {"precision": float(prec[i]), "recall": float(rec[i]), "f1": float(f1[i]),
               "support": int(sup[i])}
        for i, name in enumerate(class_names)
    }
    report["macro avg"] = {"precision": float(prec.mean()), "recall": float(rec.mean()),
                           "f1": float(f1.mean()), "support": int(sup.sum())}
    return report

"""Classification metrics, computed by scikit-learn.

* ``accuracy = mean(y_pred == y_true)``
* ``confusion_matrix[i, j]`` = number of samples of true class ``i`` predicted as ``j``
* per class: precision = TP / (TP + FP), recall = TP / (TP + FN),
  F1 = 2 * precision * recall / (precision + recall), support = number of true samples;
  the macro average is the unweighted mean over classes.

>>> accuracy([0, 1, 1], [0, 1, 0])
0.6666666666666666
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm


def _labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    if t.size == 0:
        raise ValueError("no labels to score")
    return t, p


def accuracy(y_true, y_pred) -> float:
    """Fraction of predictions equal to the true label."""
    t, p = _labels(y_true, y_pred)
    return float(skm.accuracy_score(t, p))


def confusion_matrix(y_true, y_pred, n_classes: int = 10) -> np.ndarray:
    """``(n_classes, n_classes)`` int64 counts: rows are true classes, columns predictions."""
    t, p = _labels(y_true, y_pred)
    return skm.confusion_matrix(t, p, labels=np.arange(n_classes)).astype(np.int64)


def per_class_report(y_true, y_pred, class_names: Sequence[str]) -> dict[str, Any]:
    """Precision, recall, F1 and support per class (keyed by class name) plus ``"macro avg"``.

    A class that is never predicted gets precision 0 (scikit-learn's ``zero_division=0``).
    """
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

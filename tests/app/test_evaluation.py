"""The one evaluation path: scores of a model against counts done by hand."""

from __future__ import annotations

import numpy as np
import pytest

from telar.app import evaluation
from telar.app.evaluation import evaluate

NAMES = ("cat", "dog", "owl")


def test_accuracy_counts_matches():
    assert evaluation.accuracy([0, 1, 2, 2], [0, 2, 2, 2]) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        evaluation.accuracy([0, 1, 2], [0, 1])


def test_confusion_matrix_rows_are_true_classes_and_columns_predictions():
    cm = evaluation.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 0, 2, 2], n_classes=4)
    expected = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(cm, expected)


def test_per_class_report_gives_precision_recall_f1_support_and_macro_average():
    rep = evaluation.per_class_report([0, 0, 1, 2, 2, 2], [0, 1, 1, 0, 2, 2], NAMES)
    assert rep["cat"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert rep["dog"]["precision"] == pytest.approx(0.5) and rep["dog"]["recall"] == 1.0
    assert rep["owl"]["precision"] == 1.0 and rep["owl"]["recall"] == pytest.approx(2 / 3)
    assert rep["owl"]["f1"] == pytest.approx(0.8)
    assert rep["macro avg"]["recall"] == pytest.approx((0.5 + 1 + 2 / 3) / 3)
    assert rep["macro avg"]["support"] == 6


def test_a_class_never_predicted_has_zero_precision_not_an_error():
    rep = evaluation.per_class_report([0, 1, 2], [0, 0, 0], NAMES)
    assert rep["dog"]["precision"] == 0.0 and rep["dog"]["recall"] == 0.0


class FixedLogits:
    """A "model" whose logits are given: what evaluate() does with them is all that's tested."""

    def __init__(self, logits: np.ndarray) -> None:
        self.z = logits
        self.calls = 0

    def logits(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.z[x[:, 0].astype(int)]


def test_evaluate_gives_loss_accuracy_predictions_and_confusion_in_chunks():
    z = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 3.0], [0.0, 5.0, 0.0], [1.0, 1.0, 0.0]])
    y = np.array([0, 1, 1, 2])
    model = FixedLogits(z)
    scores = evaluate(model, np.arange(4.0)[:, None], y, batch_size=3)
    assert model.calls == 2  # 3 rows, then 1
    np.testing.assert_array_equal(scores.predictions, [0, 2, 1, 0])
    assert scores.accuracy == 0.5
    by_hand = [np.log(np.exp(r).sum()) - r[t] for r, t in zip(z, y, strict=True)]
    assert scores.loss == pytest.approx(np.mean(by_hand), rel=1e-12)
    np.testing.assert_array_equal(scores.confusion_matrix(3),
                                  [[1, 0, 0], [0, 1, 1], [1, 0, 0]])
    np.testing.assert_allclose(scores.probabilities().sum(axis=1), 1.0)

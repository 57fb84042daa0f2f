"""Metrics against counts done by hand; figures are real, labelled PNGs written atomically."""

from __future__ import annotations

import numpy as np
import pytest

from telar import evaluation as metrics
from telar.report import figures

NAMES = ("cat", "dog", "owl")


def test_accuracy_counts_matches():
    assert metrics.accuracy([0, 1, 2, 2], [0, 2, 2, 2]) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        metrics.accuracy([0, 1, 2], [0, 1])


def test_confusion_matrix_rows_are_true_classes_and_columns_predictions():
    cm = metrics.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 0, 2, 2], n_classes=4)
    expected = np.array([[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(cm, expected)


def test_per_class_report_gives_precision_recall_f1_support_and_macro_average():
    rep = metrics.per_class_report([0, 0, 1, 2, 2, 2], [0, 1, 1, 0, 2, 2], NAMES)
    assert rep["cat"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert rep["dog"]["precision"] == pytest.approx(0.5) and rep["dog"]["recall"] == 1.0
    assert rep["owl"]["precision"] == 1.0 and rep["owl"]["recall"] == pytest.approx(2 / 3)
    assert rep["owl"]["f1"] == pytest.approx(0.8)
    assert rep["macro avg"]["recall"] == pytest.approx((0.5 + 1 + 2 / 3) / 3)
    assert rep["macro avg"]["support"] == 6


def test_a_class_never_predicted_has_zero_precision_not_an_error():
    rep = metrics.per_class_report([0, 1, 2], [0, 0, 0], NAMES)
    assert rep["dog"]["precision"] == 0.0 and rep["dog"]["recall"] == 0.0


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_plot_curves_writes_a_png_and_leaves_no_temporary_files(tmp_path):
    out = tmp_path / "figs" / "loss.png"
    figures.plot_curves([1, 2, 3], {"train": [2.0, 1.0, 0.5], "test": [2.1, 1.2, 0.7]}, out,
                        ylabel="loss", title="Loss")
    width, height = _png_size(out)
    assert width > 300 and height > 200
    assert [p.name for p in out.parent.iterdir()] == ["loss.png"]


def test_plot_curves_refuses_series_of_the_wrong_length(tmp_path):
    with pytest.raises(ValueError, match="'test' has 2 values for 3 epochs"):
        figures.plot_curves([1, 2, 3], {"train": [1, 2, 3], "test": [1, 2]}, tmp_path / "x.png",
                            ylabel="loss")
    assert not list(tmp_path.iterdir())


def test_confusion_matrix_figure_has_class_names_on_both_axes(tmp_path, monkeypatch):
    seen = {}
    original = figures._save

    def spy(fig, path):
        ax = fig.axes[0]
        seen["x"] = [t.get_text() for t in ax.get_xticklabels()]
        seen["y"] = [t.get_text() for t in ax.get_yticklabels()]
        seen["cells"] = sorted(t.get_text() for t in ax.texts)
        seen["labels"] = (ax.get_xlabel(), ax.get_ylabel())
        original(fig, path)

    monkeypatch.setattr(figures, "_save", spy)
    cm = np.array([[5, 1, 0], [0, 7, 2], [1, 0, 9]])
    figures.plot_confusion_matrix(cm, NAMES, tmp_path / "cm.png", title="test set")
    assert seen["x"] == list(NAMES) and seen["y"] == list(NAMES)
    assert seen["cells"] == sorted(str(v) for v in cm.ravel())
    assert seen["labels"] == ("predicted class", "true class")
    assert _png_size(tmp_path / "cm.png")[0] > 300


def test_confusion_matrix_figure_refuses_a_shape_that_does_not_match_the_names(tmp_path):
    with pytest.raises(ValueError, match=r"\(2, 2\) for 3 class names"):
        figures.plot_confusion_matrix(np.eye(2), NAMES, tmp_path / "cm.png")


def test_a_failed_figure_write_keeps_the_previous_file(tmp_path, monkeypatch):
    out = tmp_path / "loss.png"
    out.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(figures.Figure, "savefig", broken)
    with pytest.raises(OSError):
        figures.plot_curves([1], {"train": [1.0]}, out, ylabel="loss")
    assert out.read_bytes() == b"old"

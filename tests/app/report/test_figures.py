"""Figures are real, labelled PNGs written atomically."""

from __future__ import annotations

import numpy as np
import pytest

from telar.app.report import figures

NAMES = ("cat", "dog", "owl")


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

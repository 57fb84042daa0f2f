"""The report's plots: confusion rows normalised by their counts, and PNG bytes that hold no
varying metadata."""

from __future__ import annotations

import io

import numpy as np

from telar.app.report.plots import row_normalised


def test_row_normalising_divides_each_row_by_its_count_and_keeps_empty_rows_zero():
    cm = np.array([[3, 1], [0, 0]])
    np.testing.assert_allclose(row_normalised(cm), [[0.75, 0.25], [0.0, 0.0]])


def test_png_bytes_hold_no_varying_metadata():
    from matplotlib.figure import Figure

    from telar.app.report.plots import png_bytes
    fig = Figure()
    fig.add_subplot().plot([1, 2], [3, 4])
    a, b = png_bytes(fig), png_bytes(fig)
    assert a == b
    from PIL import Image
    assert Image.open(io.BytesIO(a)).format == "PNG"

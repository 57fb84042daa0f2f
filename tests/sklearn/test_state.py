"""A fitted estimator's state as telar file bytes: labels of text, arrays and numbers come
back; anything else is refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from telar.errors import ModelFileError
from telar.sklearn.state import dump_fitted, load_fitted


def test_labels_arrays_and_numbers_come_back_as_they_went_in():
    meta = {"classes_": np.array(["bag", "coat"], dtype=object), "ints": np.arange(3),
            "short": np.array(["a", "bc"]), "best": math.inf, "curve": [0.5, 0.25],
            "betas": (0.9, 0.999), "none": None}
    arrays = {"0.weight": np.ones((2, 3), np.float32)}
    back, back_arrays = load_fitted(dump_fitted(meta, arrays))
    assert back["classes_"].dtype == object and list(back["classes_"]) == ["bag", "coat"]
    assert back["short"].dtype == np.dtype("<U2") and back["ints"].dtype == np.int64
    assert back["best"] == math.inf and back["curve"] == [0.5, 0.25]
    assert back["betas"] == (0.9, 0.999) and back["none"] is None
    np.testing.assert_array_equal(back_arrays["0.weight"], arrays["0.weight"])
    assert list(back_arrays) == ["0.weight"]


def test_labels_that_are_not_text_or_numbers_are_refused_when_stored():
    with pytest.raises(TypeError, match="labels must be strings or numbers"):
        dump_fitted({"classes_": np.array([object()], dtype=object)}, {})


def test_bytes_of_another_kind_are_refused_naming_the_estimator():
    with pytest.raises(ModelFileError, match="the pickled TelarClassifier: the file is empty"):
        load_fitted(b"")
    with pytest.raises(ModelFileError, match="not a telar sklearn file"):
        load_fitted(b"\x80\x04K\x01.")  # a pickle

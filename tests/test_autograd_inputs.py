"""Tensor construction refuses what is not numbers, instead of failing later inside NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import telar


@pytest.mark.parametrize("value", ["abc", None, b"bytes", np.array([1, None], dtype=object),
                                   np.array(["1", "2"]), np.array(["2020-01-01"],
                                                                  dtype="datetime64[D]")])
def test_a_tensor_of_something_other_than_numbers_is_refused_at_construction(value):
    with pytest.raises(TypeError, match="a Tensor holds numbers"):
        telar.Tensor(value)


def test_tensors_of_numbers_are_still_accepted():
    for value in (1, 2.5, True, [1, 2], np.arange(3), np.ones(2, np.complex64)):
        assert telar.Tensor(value).data.dtype.kind in "biufc"

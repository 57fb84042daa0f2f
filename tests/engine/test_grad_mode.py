"""no_grad: no graph recorded inside it, and the mode restored on the way out."""

from __future__ import annotations

import numpy as np
import pytest

import telar


def test_no_grad_records_no_graph_and_restores_on_exit():
    w = telar.tensor(np.ones(3), requires_grad=True)
    with telar.no_grad():
        y = w * 2.0
        assert not telar.is_grad_enabled()
    assert telar.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_restores_the_mode_even_after_an_exception():
    with pytest.raises(ZeroDivisionError), telar.no_grad():
        _ = 1 / 0
    assert telar.is_grad_enabled()

"""no_grad: no graph recorded inside it, the mode restored on the way out, and per thread."""

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


def test_leaving_a_nested_block_restores_the_outer_blocks_mode_not_enabled():
    w = telar.tensor(np.ones(3), requires_grad=True)
    with telar.no_grad():
        with telar.no_grad():
            pass
        assert not telar.is_grad_enabled()  # still inside the outer no_grad
        assert not (w * 2.0).requires_grad
        with telar.enable_grad():
            assert (w * 2.0).requires_grad
        assert not telar.is_grad_enabled()
    assert telar.is_grad_enabled()


def test_no_grad_on_one_thread_leaves_another_thread_recording():
    import threading

    w = telar.tensor(np.ones(3), requires_grad=True)
    inside, done = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def scorer() -> None:  # holds no_grad() open while the main thread computes
        with telar.no_grad():
            seen["scorer"] = (w * 2.0).requires_grad
            inside.set()
            done.wait(10)

    thread = threading.Thread(target=scorer)
    thread.start()
    assert inside.wait(10)
    y = w * 3.0  # the main thread, while the other sits inside no_grad()
    done.set()
    thread.join()
    assert seen["scorer"] is False
    assert y.requires_grad and telar.is_grad_enabled()
    y.sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0, 3.0])

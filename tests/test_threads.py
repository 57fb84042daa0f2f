"""``telar.set_num_threads`` / ``telar.get_num_threads``: PyTorch's calls over the thread
budget of telar.engine.cpu.threads."""

from __future__ import annotations

import pytest

import telar
from telar.engine.cpu import threads as thread_rules
from telar.engine.cpu import workers


def test_set_num_threads_caps_the_chunk_threads_and_get_num_threads_reads_it(monkeypatch):
    monkeypatch.setattr(thread_rules, "cores", lambda: 6)
    monkeypatch.setattr(workers, "WORKERS", None)
    try:
        assert telar.get_num_threads() == 6
        telar.set_num_threads(3)
        assert telar.get_num_threads() == 3 and workers.workers() == 3
    finally:
        thread_rules.set_thread_budget(None)
    assert telar.get_num_threads() == 6


def test_set_num_threads_refuses_what_is_not_a_count():
    with pytest.raises(ValueError, match="positive int"):
        telar.set_num_threads(0)

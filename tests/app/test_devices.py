"""``--device`` and ``--threads``: the device asked for, or one line saying what is missing."""

from __future__ import annotations

import pytest

from telar.app.devices import apply_threads, choose_device, out_of_memory_message
from telar.engine.array import cuda_problem
from telar.engine.cpu import threads as thread_rules
from telar.engine.devices import CPU
from telar.errors import ConfigError

HAS_CUDA = cuda_problem() is None


def test_cpu_is_the_default_and_auto_takes_the_gpu_only_where_there_is_one():
    assert choose_device(None) == CPU and choose_device("cpu") == CPU
    assert choose_device(" CPU ") == CPU
    assert choose_device("auto") == (CPU if not HAS_CUDA else choose_device("cuda"))


@pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")
def test_cuda_without_cupy_or_a_gpu_is_one_line_naming_what_is_missing_and_the_install():
    with pytest.raises(ConfigError) as info:
        choose_device("cuda")
    message = str(info.value)
    assert message.startswith("--device cuda: CUDA is not available: ")
    assert "pip install -e '.[cuda]'" in message and "\n" not in message


def test_an_unknown_device_names_the_choices():
    with pytest.raises(ConfigError, match="--device: expected one of cpu, cuda, auto, got 'tpu'"):
        choose_device("tpu")


def test_threads_sets_the_budget_and_refuses_what_is_not_a_count(monkeypatch):
    monkeypatch.setattr(thread_rules, "_budget", None)
    assert apply_threads(None) is None and thread_rules.thread_budget_set() is None
    assert apply_threads("3") == 3 and thread_rules.thread_budget_set() == 3
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ConfigError, match=f"--threads: expected an integer >= 1, got '{bad}'"):
            apply_threads(bad)


def test_out_of_memory_names_a_smaller_batch_size_to_try():
    assert "try --batch-size 64" in out_of_memory_message(128)
    assert "--batch-size 128" in out_of_memory_message(None)  # full batch: use mini-batches

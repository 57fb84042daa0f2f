"""Devices: without a GPU backend every query answers truthfully, and "cpu" is the one
device."""

from __future__ import annotations

import pytest

import telar


def test_devices_answer_truthfully_without_a_gpu_backend():
    assert telar.cuda.is_available() is False and telar.accelerator.is_available() is False
    assert telar.backends.mps.is_available() is False
    assert str(telar.device("cpu")) == "cpu" and telar.device("cpu") == "cpu"
    assert telar.ones(2).device == telar.device("cpu")
    with pytest.raises(RuntimeError):
        telar.zeros(2, device="cuda")

"""The thread rule: BLAS threads by the core count and the size of the largest matrix product,
chunk threads by the core count and the number of chunks, a budget (``--threads``) over both."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from telar import nn, optim
from telar.engine.cpu import threads as thread_rules
from telar.engine.cpu.threads import (
    MIN_FLOPS_FOR_THREADS,
    MIN_FLOPS_PER_THREAD,
    chunk_workers_for,
    matmul_flops,
    set_thread_budget,
    thread_budget,
    threads_for,
    threads_for_flops,
)
from telar.handwritten import HandwrittenNetwork, network
from telar.train import HandwrittenLearner, Learner, ModuleLearner
from telar.train.loop import default_batch_context

MLP_PRESET = [(784, 1024), (1024, 512), (512, 10)]
REPORT_NETWORK = [(784, 64), (64, 32), (32, 16), (16, 10)]


def blas_thread_counts() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


class SizedLearner:
    """Only what the policy looks at: the layer sizes of the learner's products."""

    def __init__(self, sizes: list[tuple[int, int]]) -> None:
        self.sizes = sizes

    def matmul_layer_sizes(self) -> list[tuple[int, int]]:
        return self.sizes


def test_largest_product_flops_are_two_times_batch_times_inputs_times_outputs():
    assert matmul_flops(128, MLP_PRESET) == 2 * 128 * 784 * 1024
    assert matmul_flops(128, []) == 0.0


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(thread_rules, "cores", lambda: 2)
    monkeypatch.setattr(thread_rules, "_budget", None)


@pytest.mark.parametrize("cores, flops, threads", [
    (2, 205e6, 2), (8, 205e6, 8), (16, 205e6, 8), (64, 205e6, 8),   # the mlp preset
    (16, 12.8e6, 1), (2, 12.8e6, 1),                                  # the report's network
    (16, MIN_FLOPS_FOR_THREADS - 1, 1), (16, MIN_FLOPS_FOR_THREADS, 2),
    (16, 16 * MIN_FLOPS_PER_THREAD, 16), (16, 1e12, 16), (1, 1e12, 1),
    (16, 0.0, 1),                                                     # convolutional nets
])
def test_blas_threads_grow_with_the_product_up_to_the_cores(cores, flops, threads):
    assert threads_for(cores, flops) == threads


def test_every_blas_thread_gets_at_least_its_share_of_the_product():
    for cores in (1, 2, 4, 16, 96):
        for flops in (5e7, 7.4e7, 1.3e8, 2.05e8, 4e8, 1e9):
            n = threads_for(cores, flops)
            assert 1 <= n <= cores and flops / n >= MIN_FLOPS_PER_THREAD
            if n < cores:  # one more thread would get less than its share
                assert flops / (n + 1) < MIN_FLOPS_PER_THREAD


@pytest.mark.parametrize("cores, chunks, workers", [(16, 2, 2), (16, 40, 16), (2, 40, 2),
                                                      (4, 1, 1), (4, 0, 1)])
def test_chunk_threads_are_one_per_chunk_at_most_one_per_core(cores, chunks, workers):
    assert chunk_workers_for(cores, chunks) == workers


def test_a_thread_budget_replaces_the_core_count_everywhere(two_cores):
    assert thread_budget() == 2 and threads_for_flops(205e6) is None  # all: the BLAS default
    set_thread_budget(1)
    try:
        assert thread_budget() == 1 and threads_for_flops(205e6) == 1
        set_thread_budget(16)
        assert threads_for_flops(205e6) == 8  # the rule, with 16 as the core count
    finally:
        set_thread_budget(None)
    assert thread_budget() == 2


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4"])
def test_a_thread_budget_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="positive int"):
        set_thread_budget(bad)


def test_the_mlp_preset_gets_all_blas_threads_and_the_report_network_one(two_cores):
    assert threads_for_flops(matmul_flops(128, MLP_PRESET)) is None
    assert threads_for_flops(matmul_flops(128, REPORT_NETWORK)) == 1
    assert threads_for_flops(MIN_FLOPS_FOR_THREADS) is None
    assert threads_for_flops(MIN_FLOPS_FOR_THREADS - 1) == 1


def test_the_loop_pins_blas_to_one_thread_only_for_small_products(two_cores):
    before = blas_thread_counts()
    with default_batch_context(128, SizedLearner(REPORT_NETWORK))():
        assert all(n == 1 for n in blas_thread_counts())
    with default_batch_context(128, SizedLearner(MLP_PRESET))():
        assert blas_thread_counts() == before
    # A learner that does not report its sizes keeps the default.
    with default_batch_context(128, Learner())():
        assert blas_thread_counts() == before


def test_the_report_network_learner_gets_one_blas_thread_in_the_loop():
    learner = HandwrittenLearner(HandwrittenNetwork(seed=0))
    assert learner.matmul_layer_sizes() == REPORT_NETWORK
    with default_batch_context(128, learner)():
        assert all(n == 1 for n in blas_thread_counts())


def test_row_blocks_run_on_one_blas_thread_whatever_the_caller_set(monkeypatch):
    # The blocks' own threads are the parallelism; BLAS threads in each would oversubscribe.
    if max(blas_thread_counts(), default=1) < 2:
        pytest.skip("BLAS has one thread here: nothing to pin")
    monkeypatch.setattr(network, "BLOCK_ROWS", 16)
    net = HandwrittenNetwork((12, 6, 3), seed=0)
    seen: list[int] = []
    forward_rows = net._forward_rows

    def recording(x, buf):
        seen.extend(blas_thread_counts())
        return forward_rows(x, buf)

    monkeypatch.setattr(net, "_forward_rows", recording)
    x = np.random.default_rng(0).standard_normal((50, 12)).astype(np.float32)
    net.train_gradients(x, np.arange(50) % 3, workers=2)
    assert seen and all(n == 1 for n in seen)


def test_module_learner_reports_the_sizes_of_its_linear_layers():
    model = nn.build_mlp({"hidden": [16, 8], "input_size": 6, "batch_norm": True, "seed": 0})
    learner = ModuleLearner(model, optim.Adam(model.parameters()))
    assert learner.matmul_layer_sizes() == [(6, 16), (16, 8), (8, 10)]
    assert np.isfinite(learner.train_step(np.zeros((4, 6), np.float32), np.arange(4))[0])


def test_a_thread_budget_limits_the_blas_where_the_rule_would_keep_the_default(two_cores):
    set_thread_budget(1)
    try:
        with default_batch_context(None, Learner())():  # a full batch: no rule applies
            assert all(n == 1 for n in blas_thread_counts())
    finally:
        set_thread_budget(None)


def test_a_blas_block_on_one_thread_is_not_the_limit_another_thread_sees():
    import threading

    from telar.engine.cpu import threads
    from telar.engine.cpu.threads import blas_limit, blas_threads

    entered, leave = threading.Event(), threading.Event()
    seen: list[int | None] = []

    def worker() -> None:  # a request thread scoring an upload, say
        with blas_threads(1):
            entered.set()
            leave.wait(10)

    other = threading.Thread(target=worker)
    other.start()
    entered.wait(10)
    seen.append(blas_limit())  # this thread opened no block: split_matmul must not split
    with blas_threads(1):
        seen.append(blas_limit())
    leave.set()
    other.join(10)
    # the old module-wide variable said 1 here while the other thread's block was open, and
    # blocks closing out of order on two threads left it at 1 for good
    assert seen == [None, 1] and blas_limit() is None
    assert getattr(threads, "_open", []) == []  # every block closed: the BLAS restored

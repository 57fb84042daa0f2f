"""The fused recurrent cells: gradients against central differences and against the plain
step-by-step reference (whose graph the engine differentiates by itself)."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar.engine import gradcheck
from telar.engine import recurrent as fused
from telar.engine.reference import recurrent as plain

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
T, N, I, H = 4, 3, 5, 4


def make_inputs(kind: str, bias: bool = True, seed: int = 0, dtype=np.float64):
    """x, h0, [c0], w_ih, w_hh, [b_ih, b_hh] as leaves requiring gradients."""
    rng = np.random.default_rng(seed)
    g = GATES[kind] * H

    def leaf(*shape, scale=1.0):
        return telar.tensor((rng.normal(size=shape) * scale).astype(dtype), requires_grad=True)

    states = [leaf(N, H)] + ([leaf(N, H)] if kind == "lstm" else [])
    weights = [leaf(g, I, scale=0.5), leaf(g, H, scale=0.5)]
    biases = [leaf(g, scale=0.5), leaf(g, scale=0.5)] if bias else [None, None]
    return [leaf(T, N, I), *states, *weights, *biases]


def call(module, kind: str, inputs, reverse: bool, nonlinearity: str = "tanh"):
    if kind == "rnn":
        return getattr(module, kind)(*inputs, nonlinearity=nonlinearity, reverse=reverse)
    return getattr(module, kind)(*inputs, reverse=reverse)


def weighted_sum(results, seed: int = 1):
    """A scalar that depends on every returned tensor (output, h_n and c_n) differently."""
    rng = np.random.default_rng(seed)
    total = None
    for r in results:
        term = (r * rng.normal(size=r.shape)).sum()
        total = term if total is None else total + term
    return total


CASES = [(kind, reverse, bias) for kind in GATES for reverse in (False, True)
         for bias in (True, False)]


@pytest.mark.parametrize(("kind", "reverse", "bias"), CASES)
def test_every_gradient_of_a_cell_matches_central_differences(kind, reverse, bias):
    inputs = make_inputs(kind, bias)
    present = [t for t in inputs if t is not None]

    def loss(*tensors):
        it = iter(tensors)
        args = [next(it) if t is not None else None for t in inputs]
        return weighted_sum(call(fused, kind, args, reverse))

    report = gradcheck(loss, present, atol=1e-7, rtol=1e-5)
    assert report, report.table()


def test_relu_rnn_gradients_match_central_differences():
    inputs = make_inputs("rnn", seed=3)
    report = gradcheck(lambda *a: weighted_sum(fused.rnn(*a, nonlinearity="relu")), inputs,
                       atol=1e-7, rtol=1e-5)
    assert report, report.table()


@pytest.mark.parametrize(("kind", "reverse", "bias"), CASES)
def test_fused_cell_equals_the_step_by_step_reference_values_and_gradients(kind, reverse, bias):
    results = {}
    for name, module in (("fused", fused), ("plain", plain)):
        inputs = make_inputs(kind, bias, seed=7)
        out = call(module, kind, inputs, reverse)
        weighted_sum(out).backward()
        results[name] = ([o.array for o in out], [t.grad for t in inputs if t is not None])
    for got, want in zip(results["fused"][0] + results["fused"][1],
                         results["plain"][0] + results["plain"][1], strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_last_state_is_the_last_step_run_and_reverse_keeps_time_order():
    inputs = make_inputs("gru", seed=2)
    out, h_n = fused.gru(*inputs)
    back, h_back = fused.gru(*inputs, reverse=True)
    np.testing.assert_array_equal(h_n.array, out.array[-1])
    np.testing.assert_array_equal(h_back.array, back.array[0])
    flipped, _ = fused.gru(telar.tensor(inputs[0].array[::-1].copy()), *inputs[1:])
    np.testing.assert_allclose(back.array, flipped.array[::-1], atol=1e-14)


def test_float32_inputs_give_float32_outputs_and_gradients():
    inputs = make_inputs("lstm", dtype=np.float32)
    out, h_n, c_n = fused.lstm(*inputs)
    (out.sum() + c_n.sum()).backward()
    assert {out.dtype, h_n.dtype, c_n.dtype} == {np.dtype(np.float32)}
    assert all(t.grad.dtype == np.float32 for t in inputs)


def test_no_gradient_is_computed_for_constant_inputs():
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = make_inputs("lstm")
    x, h0, c0 = (telar.tensor(t.array) for t in (x, h0, c0))
    fused.lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh)[0].sum().backward()
    assert x.grad is None and h0.grad is None and w_ih.grad is not None


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a.__setitem__(0, telar.tensor(np.zeros((T, N)))), "expected the input"),
    (lambda a: a.__setitem__(1, telar.tensor(np.zeros((N + 1, H)))), "initial state"),
    (lambda a: a.__setitem__(2, telar.tensor(np.zeros((N, H + 1)))), "initial cell state"),
    (lambda a: a.__setitem__(3, telar.tensor(np.zeros((4 * H, I + 1)))), "do not fit"),
    (lambda a: a.__setitem__(0, telar.tensor(np.zeros((0, N, I)))), "no time step"),
])
def test_shapes_that_do_not_fit_are_refused_with_what_was_expected(change, message):
    inputs = make_inputs("lstm")
    change(inputs)
    with pytest.raises(ValueError, match=message):
        fused.lstm(*inputs)


def test_an_unknown_nonlinearity_is_refused():
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        fused.rnn(*make_inputs("rnn"), nonlinearity="sigmoid")


def test_take_step_passes_the_gradient_to_its_step_only():
    x = telar.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    (fused.take_step(x, 1) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0] * 4, [2] * 4, [0] * 4])


@pytest.mark.parametrize("kind", list(GATES))
def test_the_two_bias_gradients_are_equal_but_never_the_same_array(kind):
    # d/db_ih = d/db_hh for the RNN and LSTM (the GRU's differ in the n block); an optimiser
    # scaling one in place must not scale the other.
    inputs = make_inputs(kind)
    weighted_sum(call(fused, kind, inputs, False)).backward()
    b_ih, b_hh = inputs[-2], inputs[-1]
    assert not np.shares_memory(b_ih.grad, b_hh.grad)
    if kind != "gru":
        np.testing.assert_array_equal(b_ih.grad, b_hh.grad)

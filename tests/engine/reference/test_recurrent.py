"""The step-by-step reference cells against PyTorch's own (one layer, float64)."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar.engine.reference import recurrent as plain

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_reference_cells_give_pytorchs_outputs_and_final_states(kind):
    rng = np.random.default_rng(0)
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](3, 4)
    module = module.double()
    x, h0, c0 = rng.normal(size=(5, 2, 3)), rng.normal(size=(1, 2, 4)), rng.normal(size=(1, 2, 4))
    weights = [telar.tensor(p.detach().numpy()) for p in module.parameters()]
    with torch.no_grad():
        state = (torch.tensor(h0), torch.tensor(c0)) if kind == "lstm" else torch.tensor(h0)
        want, want_state = module(torch.tensor(x), state)
    states = [telar.tensor(h0[0])] + ([telar.tensor(c0[0])] if kind == "lstm" else [])
    got = getattr(plain, kind)(telar.tensor(x), *states, *weights)
    np.testing.assert_allclose(got[0].array, want.numpy(), atol=1e-12)
    finals = want_state if kind == "lstm" else (want_state,)
    for mine, theirs in zip(got[1:], finals, strict=True):
        np.testing.assert_allclose(mine.array, theirs[0].numpy(), atol=1e-12)

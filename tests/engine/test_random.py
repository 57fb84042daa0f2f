"""telar's default generator: manual_seed makes every default draw reproducible, and an
explicit generator keeps its own stream."""

from __future__ import annotations

import numpy as np

import telar


def test_manual_seed_makes_every_default_draw_reproducible():
    def draws():
        layer = telar.nn.Linear(4, 3)
        drop = telar.nn.Dropout(0.5)
        loader = telar.utils.data.DataLoader(list(range(10)), batch_size=10, shuffle=True)
        return (layer.weight.array.copy(), drop(telar.ones(20)).tolist(),
                next(iter(loader)).tolist(), telar.randn(3).tolist())

    telar.manual_seed(123)
    first = draws()
    telar.manual_seed(123)
    second = draws()
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1:] == second[1:]
    telar.manual_seed(124)
    assert draws()[3] != first[3]


def test_an_explicit_rng_keeps_its_own_stream():
    telar.manual_seed(0)
    a = telar.nn.Linear(3, 2, rng=5).weight.array.copy()
    telar.manual_seed(99)
    b = telar.nn.Linear(3, 2, rng=5).weight.array.copy()
    np.testing.assert_array_equal(a, b)

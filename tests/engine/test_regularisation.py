"""Dropout and 2-D dropout: inverted scaling, whole channels, and a gradient that is the
mask drawn."""

from __future__ import annotations

import numpy as np
from helpers.engine import FAST, SEEDS, SHAPES, check, leaf, normal_leaf
from hypothesis import given
from hypothesis import strategies as st

import telar
from telar.engine import functional as F


@FAST
@given(SHAPES, SEEDS, st.sampled_from([0.0, 0.3, 0.8]))
def test_dropout_gradient_is_the_mask_it_drew(shape, seed, p):
    x = leaf(shape, seed)

    def fn(x):  # the same generator state every call: the same mask
        return F.dropout(x, p, True, np.random.default_rng(seed))

    check(fn, x)


def test_inverted_dropout_keeps_the_expected_value():
    x = telar.tensor(np.ones((200, 500), dtype=np.float32))
    out = F.dropout(x, 0.25, True, np.random.default_rng(0)).array
    assert out.dtype == np.float32
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.01
    assert abs(out.mean() - 1.0) < 0.01
    assert F.dropout(x, 0.25, False, np.random.default_rng(0)) is x


def test_dropout2d_zeroes_whole_channels_and_its_gradient_is_the_mask():
    x = normal_leaf((64, 8, 3, 3), 11)
    out = F.dropout2d(x, 0.25, True, np.random.default_rng(0))
    ratio = out.array / x.array
    per_channel = ratio.reshape(64, 8, 9)
    assert np.allclose(per_channel, per_channel[:, :, :1])  # one value per feature map
    assert set(np.round(np.unique(per_channel), 6)) == {0.0, round(1 / 0.75, 6)}
    assert 0.15 < (per_channel[:, :, 0] == 0).mean() < 0.35
    out.backward(np.ones(out.shape))
    np.testing.assert_allclose(x.grad, ratio)
    assert F.dropout2d(x, 0.25, False, np.random.default_rng(0)) is x
    check(lambda x: F.dropout2d(x, 0.5, True, np.random.default_rng(3)),
          normal_leaf((2, 3, 2, 2), 1))

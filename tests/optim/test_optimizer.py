"""The optimiser base class: each parameter once."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import optim
from telar.errors import TelarError


@pytest.mark.parametrize("make", [
    lambda optim, p, q: optim.SGD([p, q, p], lr=0.1),
    lambda optim, p, q: optim.Adam([{"params": [p]}, {"params": [q, p]}], lr=0.1),
])
def test_an_optimiser_given_one_parameter_twice_refuses_it(make):
    p = telar.Tensor(np.zeros(3), requires_grad=True)
    q = telar.Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(TelarError, match="is parameter 0 again"):
        make(optim, p, q)


def test_sgd_with_distinct_parameters_moves_each_once():
    p = telar.Tensor(np.zeros(2), requires_grad=True)
    q = telar.Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([p, q], lr=0.5)
    p.grad, q.grad = np.ones(2), np.full(2, 2.0)
    opt.step()
    np.testing.assert_array_equal(p.data, [-0.5, -0.5])
    np.testing.assert_array_equal(q.data, [-1.0, -1.0])

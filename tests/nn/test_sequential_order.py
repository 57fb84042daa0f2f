"""Sequential runs ``ReLU`` then ``MaxPool2d`` as max-pool then ReLU (cheaper); the values and
gradients must be exactly those of the written order, ties and all-negative windows included."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import nn


def tie_heavy_input(shape, seed) -> np.ndarray:
    """Integers in [-3, 3]: many windows tie (zeros after ReLU, equal positives) and some are
    entirely negative, the cases where a wrong tie rule would move a gradient."""
    return np.random.default_rng(seed).integers(-3, 4, size=shape).astype(np.float64)


def written_order(layers, x: telar.Tensor) -> telar.Tensor:
    for layer in layers:
        x = layer(x)
    return x


@pytest.mark.parametrize("pool", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2,
                                                       "padding": 1}])
def test_relu_then_maxpool_gives_the_written_orders_values_and_gradients_exactly(pool):
    layers = [nn.ReLU(), nn.MaxPool2d(**pool), nn.ReLU(), nn.MaxPool2d(2)]
    data = tie_heavy_input((3, 2, 9, 8), 0)
    g_seed = np.random.default_rng(1)
    x_ref, x_new = telar.tensor(data, requires_grad=True), telar.tensor(data, requires_grad=True)
    ref = written_order(layers, x_ref)
    out = nn.Sequential(*layers)(x_new)
    g = g_seed.normal(size=ref.shape)
    ref.backward(g)
    out.backward(g)
    np.testing.assert_array_equal(out.data, ref.data)
    np.testing.assert_array_equal(x_new.grad, x_ref.grad)
    assert np.count_nonzero(x_ref.grad) > 0 and np.count_nonzero(x_ref.grad == 0) > 0


def test_a_small_cnn_with_the_swapped_order_matches_central_differences():
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, rng=0, dtype=np.float64), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 3 * 3, 2, rng=1,
                                                                 dtype=np.float64))
    x = telar.tensor(np.random.default_rng(2).normal(size=(2, 1, 7, 6)), requires_grad=True)
    report = telar.gradcheck(lambda x, *params: net(x), [x, *net.parameters()],
                             atol=1e-7, rtol=1e-5)
    assert report, "\n" + report.table()


def test_only_the_exact_relu_and_maxpool_classes_are_swapped():
    class MyReLU(nn.ReLU):
        pass

    relu, pool, other = nn.ReLU(), nn.MaxPool2d(2), MyReLU()
    assert nn.Sequential(relu, pool)._order == [pool, relu]
    assert nn.Sequential(other, pool)._order == [other, pool]
    assert nn.Sequential(pool, relu)._order == [pool, relu]
    assert list(nn.Sequential(relu, pool)) == [relu, pool]  # the written order is kept

"""Sequential runs a ``ReLU`` next to a ``MaxPool2d`` as one fused max-pool-and-ReLU step
(cheaper); the values and gradients must be exactly those of the written order, ties and
all-negative windows included."""

from __future__ import annotations

import numpy as np
import pytest

import telar
from telar import nn
from telar.engine import functional as F
from telar.engine import functional as TF


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
    layers = [nn.ReLU(), nn.MaxPool2d(**pool), nn.MaxPool2d(2), nn.ReLU()]
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


def test_only_the_exact_relu_and_maxpool_classes_are_fused():
    class MyReLU(nn.ReLU):
        pass

    relu, pool, other = nn.ReLU(), nn.MaxPool2d(2), MyReLU()
    (fused,) = nn.Sequential(relu, pool)._order
    assert (fused.relu, fused.pool, fused.modules) == (relu, pool, (relu, pool))
    (fused,) = nn.Sequential(pool, relu)._order
    assert (fused.relu, fused.pool, fused.modules) == (relu, pool, (pool, relu))
    assert nn.Sequential(other, pool)._order == [other, pool]
    relu2 = nn.ReLU()
    order = nn.Sequential(relu, pool, relu2)._order  # a layer is fused once
    assert order[1] is relu2 and order[0].modules == (relu, pool)
    assert list(nn.Sequential(relu, pool)) == [relu, pool]  # the written order is kept


@pytest.mark.parametrize("shape", [(4, 3, 8, 6), (3, 2, 7, 9)])  # whole tiles, cropped edge
def test_the_fused_pass_equals_relu_then_pool_on_float32_ties(shape):
    # float32 as trained, with ties at zero and between positives, and all-negative windows
    data = tie_heavy_input(shape, 3).astype(np.float32)
    g = np.random.default_rng(4).normal(size=(shape[0], shape[1], shape[2] // 2,
                                              shape[3] // 2)).astype(np.float32)
    x_ref, x_new = telar.tensor(data, requires_grad=True), telar.tensor(data, requires_grad=True)
    ref = F.max_pool2d(TF.relu(x_ref), 2)
    out = F.max_pool2d_relu(x_new, 2)
    ref.backward(g)
    out.backward(g)
    np.testing.assert_array_equal(out.data, ref.data)
    np.testing.assert_array_equal(x_new.grad, x_ref.grad)

"""In-place optimiser kernels against steps computed by hand (and PyTorch when installed)."""

from __future__ import annotations

import numpy as np
import pytest

from telar.optim.kernels import adam_update_, flush_tiny_


def test_adam_two_steps_match_a_hand_computed_update():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p = np.array([1.0, -2.0, 0.5])
    m, v = np.zeros(3), np.zeros(3)
    g1, g2 = np.array([0.3, -0.1, 0.0]), np.array([0.1, 0.2, -0.4])
    adam_update_(p, g1, m, v, 1, lr, b1, b2, eps)
    adam_update_(p, g2, m, v, 2, lr, b1, b2, eps)
    # by hand: moments, bias correction, step, for t = 1 then t = 2
    exp_p = np.array([1.0, -2.0, 0.5])
    mm, vv = np.zeros(3), np.zeros(3)
    for t, g in ((1, g1), (2, g2)):
        mm = b1 * mm + (1 - b1) * g
        vv = b2 * vv + (1 - b2) * g * g
        m_hat, v_hat = mm / (1 - b1**t), vv / (1 - b2**t)
        exp_p = exp_p - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(p, exp_p, rtol=1e-12)
    np.testing.assert_allclose(m, mm, rtol=1e-12)
    np.testing.assert_allclose(v, vv, rtol=1e-12)


def test_adam_leaves_the_gradient_untouched_and_allocates_into_scratch():
    p, g = np.ones(4, np.float32), np.full(4, 0.5, np.float32)
    m, v, s = np.zeros_like(p), np.zeros_like(p), np.empty_like(p)
    adam_update_(p, g, m, v, 1, 0.1, scratch=s)
    np.testing.assert_array_equal(g, 0.5)
    np.testing.assert_allclose(p, 0.9, rtol=1e-6)
    with pytest.raises(ValueError, match="from 1"):
        adam_update_(p, g, m, v, 0, 0.1)


def test_adam_kernel_matches_torch_adam_and_adamw_over_several_steps():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((5, 6))
    for wd, decoupled, cls in ((0.0, False, torch.optim.Adam), (0.1, False, torch.optim.Adam),
                               (0.1, True, torch.optim.AdamW)):
        p = rng.standard_normal(6)
        tp = torch.tensor(p.copy(), requires_grad=True)
        opt = cls([tp], lr=0.05, weight_decay=wd)
        m, v = np.zeros(6), np.zeros(6)
        for t, g in enumerate(grads, start=1):
            adam_update_(p, g, m, v, t, 0.05, weight_decay=wd, decoupled=decoupled)
            tp.grad = torch.tensor(g)
            opt.step()
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_flush_tiny_zeroes_only_values_below_the_threshold():
    a = np.array([1e-38, -1e-31, 1e-29, -2.0, 0.0, 5e-45], np.float32)
    flush_tiny_(a, scratch=np.empty_like(a))
    np.testing.assert_array_equal(a, np.array([0, 0, 1e-29, -2.0, 0, 0], np.float32))


def test_adam_keeps_decayed_moments_out_of_the_subnormal_range():
    from telar.nn import Parameter
    from telar.optim import Adam

    p = Parameter(np.zeros(3, np.float32))
    p.grad = np.array([1e-3, 0, 0], np.float32)
    adam = Adam([p], lr=1e-3)
    adam.step()
    p.grad[...] = 0  # m = 1e-4 * 0.9**k: subnormal (< 1.18e-38) for k in ~740..900
    for _ in range(800):
        adam.step()
    m, v = adam.state[id(p)]["exp_avg"], adam.state[id(p)]["exp_avg_sq"]
    tiny = np.finfo(np.float32).tiny
    assert not ((m != 0) & (np.abs(m) < tiny)).any()
    assert m[0] == 0 and v[0] > 0  # v decays slower and is still normal

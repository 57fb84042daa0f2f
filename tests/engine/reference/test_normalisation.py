"""The step-by-step batch norm is the oracle for the fused ones.

:func:`telar.engine.normalisation.batch_norm` (features ``(N, C)``, and images through
:func:`~telar.engine.normalisation.batch_norm2d`) must give the values, the gradients and the
running statistics of :func:`telar.engine.reference.normalisation.batch_norm`, in training and
in evaluation, with and without the affine ``gamma``/``beta``; the reference itself is checked
against central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers.oracle import assert_close, leaves, run

from telar.engine import normalisation as fused
from telar.engine.gradcheck import gradcheck
from telar.engine.reference import normalisation as reference

SHAPES = {"features": (6, 4), "images": (3, 4, 5, 3)}
FUSED = {"features": [fused.batch_norm],
         "images": [fused.batch_norm, fused.batch_norm2d]}  # batch_norm sends 4-D on
CASES = [(kind, fn) for kind, fns in FUSED.items() for fn in fns]


def bn_arrays(shape: tuple[int, ...], affine: str, dtype: type, seed: int = 0
              ) -> tuple[list[np.ndarray | None], np.ndarray, np.ndarray]:
    """``[x, gamma, beta]`` (``affine``: "both", "weight", "bias" or "none" say which exist)
    and running statistics: a mean and a positive variance per channel."""
    rng = np.random.default_rng(seed)
    c = shape[1]
    x = (rng.normal(size=shape) * 2.0 + 0.5).astype(dtype)
    gamma = rng.normal(size=c).astype(dtype) if affine in ("both", "weight") else None
    beta = rng.normal(size=c).astype(dtype) if affine in ("both", "bias") else None
    running_mean = rng.normal(size=c).astype(dtype)
    running_var = rng.uniform(0.5, 2.0, size=c).astype(dtype)
    return [x, gamma, beta], running_mean, running_var


def run_bn(fn, arrays, running_mean, running_var, training, momentum=0.1):
    """``fn`` on fresh leaves and on its own copy of the running statistics (``None`` stays
    ``None``): its output, gradients and the statistics afterwards."""
    stats = [None if s is None else s.copy() for s in (running_mean, running_var)]
    out, grads = run(fn, arrays, *stats, training, momentum)
    return out, grads, stats


def assert_matches_reference(fn, arrays, running_mean, running_var, training, tol):
    got, got_grads, got_stats = run_bn(fn, arrays, running_mean, running_var, training)
    want, want_grads, want_stats = run_bn(reference.batch_norm, arrays, running_mean,
                                          running_var, training)
    assert_close(got, want, tol, "output")
    for name, g, r in zip(("x", "weight", "bias"), got_grads, want_grads, strict=True):
        assert_close(g, r, tol, f"gradient of {name}")
    for name, g, r in zip(("running_mean", "running_var"), got_stats, want_stats, strict=True):
        assert_close(g, r, tol, name)


def case_id(case: tuple) -> str:
    kind, fn = case
    return f"{kind}-{fn.__name__}"


@pytest.mark.parametrize("affine", ["both", "none", "weight", "bias"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fused_batch_norm_matches_the_reference_values_gradients_and_running_statistics(
        case, training, affine):
    kind, fn = case
    arrays, running_mean, running_var = bn_arrays(SHAPES[kind], affine, np.float64)
    assert_matches_reference(fn, arrays, running_mean, running_var, training, 1e-10)


@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fused_batch_norm_without_running_statistics_uses_the_batch_like_the_reference(
        case, training):
    kind, fn = case
    arrays, _, _ = bn_arrays(SHAPES[kind], "both", np.float64, seed=1)
    assert_matches_reference(fn, arrays, None, None, training, 1e-10)


@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fused_batch_norm_in_float32_matches_the_reference(case, training):
    kind, fn = case
    arrays, running_mean, running_var = bn_arrays(SHAPES[kind], "both", np.float32, seed=2)
    assert_matches_reference(fn, arrays, running_mean, running_var, training, 1e-5)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fused_batch_norm_running_statistics_follow_the_reference_over_several_steps(case):
    kind, fn = case
    _, fused_mean, fused_var = bn_arrays(SHAPES[kind], "both", np.float64)
    ref_mean, ref_var = fused_mean.copy(), fused_var.copy()
    for step in range(4):
        arrays, _, _ = bn_arrays(SHAPES[kind], "both", np.float64, seed=10 + step)
        fn(*leaves(arrays), fused_mean, fused_var, True, 0.3)
        reference.batch_norm(*leaves(arrays), ref_mean, ref_var, True, 0.3)
    assert_close(fused_mean, ref_mean, 1e-10, "running_mean")
    assert_close(fused_var, ref_var, 1e-10, "running_var")


def test_fused_batch_norm_on_channels_last_images_matches_the_reference():
    """A tuned convolution returns channels-last memory: the usual input of batch_norm2d."""
    arrays, running_mean, running_var = bn_arrays(SHAPES["images"], "both", np.float64, 3)
    x = arrays[0]
    arrays[0] = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    assert not arrays[0].flags.c_contiguous
    for training in (True, False):
        assert_matches_reference(fused.batch_norm2d, arrays, running_mean, running_var,
                                 training, 1e-10)


@pytest.mark.parametrize("training", [True, False], ids=["training", "evaluation"])
@pytest.mark.parametrize("kind", ["features", "images"])
def test_reference_batch_norm_backward_agrees_with_central_differences(kind, training):
    arrays, running_mean, running_var = bn_arrays(SHAPES[kind], "both", np.float64, seed=4)

    def bn(x, gamma, beta):  # fresh statistics each call: the finite differences move none
        return reference.batch_norm(x, gamma, beta, running_mean.copy(), running_var.copy(),
                                    training)

    report = gradcheck(bn, leaves(arrays), names=["x", "gamma", "beta"])
    assert report.passed, "\n" + report.table()

"""Check backward rules against central differences, for functions and for whole models.

For every checked entry ``x_j`` the numerical derivative is
``(f(x + eps e_j) - f(x - eps e_j)) / (2 eps)`` (error ``O(eps^2)``), compared with the
analytic one from :meth:`Tensor.backward`. An entry passes when
``|analytic - numeric| <= atol + rtol * |numeric|`` (``numpy.allclose``'s rule); the report
also gives each input's largest relative error ``|a - n| / max(|a|, |n|)`` (0 where both
are 0). Run it in float64: float32 rounding swamps the differences.

>>> import numpy as np, telar
>>> x = telar.tensor(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
>>> bool(telar.gradcheck(lambda t: (t * t).sum(), [x]))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from telar.engine.array import Array, host, xp
from telar.engine.grad_mode import no_grad
from telar.engine.tensor import Tensor


@dataclass
class EntryReport:
    """The comparison for one input (or parameter)."""

    name: str
    shape: tuple[int, ...]
    checked: int
    max_abs_error: float
    max_rel_error: float
    passed: bool


@dataclass
class GradcheckReport:
    """All inputs' comparisons; true when every one passed."""

    entries: list[EntryReport] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(e.passed for e in self.entries)

    def __bool__(self) -> bool:
        return self.passed

    def table(self) -> str:
        """A printable table: name, shape, entries checked, max abs/rel error, verdict."""
        rows = [f"{'parameter':<22} {'shape':<14} {'checked':>7} {'max abs err':>12} "
                f"{'max rel err':>12}  result"]
        for e in self.entries:
            rows.append(f"{e.name:<22} {str(e.shape):<14} {e.checked:>7} {e.max_abs_error:>12.3e} "
                        f"{e.max_rel_error:>12.3e}  {'ok' if e.passed else 'FAIL'}")
        return "\n".join(rows)


def _scalar_output(fn: Callable[..., Tensor], args: Sequence[Tensor],
                   projection: list[Array | None]) -> Tensor:
    """``fn(*args)`` reduced to a scalar; a non-scalar output is projected on a fixed random
    direction ``r`` (``sum(out * r)``), which checks the whole Jacobian-vector product."""
    out = fn(*args)
    if out.array.size == 1:
        return out if out.array.ndim == 0 else out.sum()
    if projection[0] is None:
        projection[0] = host.random.default_rng(12345).normal(size=out.shape).astype(out.dtype)
    return (out * projection[0]).sum()


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-6, rtol: float = 1e-4, max_entries: int | None = None,
              names: Sequence[str] | None = None, seed: int = 0,
              wrt: Sequence[Tensor] | None = None) -> GradcheckReport:
    """Compare ``fn``'s backward with central differences for each input requiring a gradient.

    Args:
        fn: called as ``fn(*inputs)``; returns a Tensor (non-scalar outputs are projected on a
            fixed random direction).
        inputs: the arguments of ``fn``.
        eps: the finite-difference step.
        atol, rtol: the tolerance, ``|a - n| <= atol + rtol * |n|`` per entry.
        max_entries: check at most this many entries per tensor (chosen at random with
            ``seed``); ``None`` checks every entry.
        names: a name per checked tensor for the report.
        wrt: the tensors to check, when they are not the inputs themselves (a model's
            parameters, with ``fn`` closing over the model).
    """
    targets = list(wrt) if wrt is not None else [t for t in inputs if t.requires_grad]
    names = list(names) if names is not None else [f"input {i}" for i in range(len(targets))]
    projection: list[Array | None] = [None]
    for t in targets:
        t.grad = None
    _scalar_output(fn, inputs, projection).backward()
    analytic = [xp.zeros_like(t.array) if t.grad is None else t.grad.copy() for t in targets]

    rng = host.random.default_rng(seed)
    report = GradcheckReport()
    with no_grad():
        for name, t, a_grad in zip(names, targets, analytic, strict=True):
            flat = t.array.reshape(-1)  # a view: perturbing it perturbs the tensor
            if t.array.size and not xp.shares_memory(flat, t.array):
                raise ValueError(f"{name}: gradcheck needs contiguous tensors")
            count = flat.size
            chosen = (xp.arange(count) if max_entries is None or max_entries >= count
                      else rng.choice(count, size=max_entries, replace=False))
            numeric = xp.empty(len(chosen))
            for k, j in enumerate(chosen):
                original = flat[j]
                flat[j] = original + eps
                plus = float(_scalar_output(fn, inputs, projection).array)
                flat[j] = original - eps
                minus = float(_scalar_output(fn, inputs, projection).array)
                flat[j] = original
                numeric[k] = (plus - minus) / (2 * eps)
            got = a_grad.reshape(-1)[chosen].astype(xp.float64)
            diff = xp.abs(got - numeric)
            scale = xp.maximum(xp.abs(got), xp.abs(numeric))
            rel = xp.divide(diff, scale, out=xp.zeros_like(diff), where=scale > 0)
            report.entries.append(EntryReport(
                name=name, shape=tuple(t.shape), checked=len(chosen),
                max_abs_error=float(diff.max(initial=0.0)),
                max_rel_error=float(rel.max(initial=0.0)),
                passed=bool(xp.all(diff <= atol + rtol * xp.abs(numeric)))))
    for t in targets:
        t.grad = None
    return report

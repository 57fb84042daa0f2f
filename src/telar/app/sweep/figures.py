"""The sweep report's figures (matplotlib, one ``Figure`` each, returned as PNG bytes).

``None`` where there is nothing to draw yet (no trial has a score).
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure

from telar.app.report.plots import png_bytes
from telar.app.sweep.spec import SweepSpec

COLOURS = {"COMPLETE": "#1f77b4", "PRUNED": "#999999"}


def _scored(trials: list[Any]) -> list[tuple[Any, float]]:
    """(trial, score) of complete and pruned trials (a pruned one: its last epoch's score)."""
    out = []
    for t in trials:
        if t.state.name == "COMPLETE" and t.value is not None:
            out.append((t, float(t.value)))
        elif t.state.name == "PRUNED" and t.intermediate_values:
            out.append((t, float(t.intermediate_values[max(t.intermediate_values)])))
    return out


def history_png(trials: list[Any], spec: SweepSpec) -> bytes | None:
    """Each trial's score against its number, and the best so far (complete trials)."""
    scored = _scored(trials)
    if not scored:
        return None
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.add_subplot()
    for state, label in (("COMPLETE", "complete"), ("PRUNED", "pruned (last epoch)")):
        points = [(t.number, v) for t, v in scored if t.state.name == state]
        if points:
            ax.scatter(*zip(*points, strict=True), color=COLOURS[state], label=label, s=18)
    best, line = None, []
    better = max if spec.direction == "maximize" else min
    for t, v in sorted(scored, key=lambda p: p[0].number):
        if t.state.name == "COMPLETE":
            best = v if best is None else better(best, v)
        if best is not None:
            line.append((t.number, best))
    if line:
        ax.step(*zip(*line, strict=True), where="post", color="#d62728", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(spec.objective)
    ax.legend(fontsize=8)
    ax.set_title("Optimisation history")
    return png_bytes(fig)


def importance_png(weights: dict[str, float]) -> bytes:
    """Horizontal bars: each parameter's share of the objective's variance (fANOVA)."""
    names = list(weights)[::-1]
    fig = Figure(figsize=(6.0, 0.5 + 0.4 * len(names)))
    ax = fig.add_subplot()
    ax.barh(names, [weights[n] for n in names], color="#1f77b4")
    ax.set_xlabel("importance (share of the objective's variance)")
    ax.set_xlim(0, 1)
    return png_bytes(fig)


def params_png(trials: list[Any], spec: SweepSpec) -> bytes | None:
    """One panel per parameter: the objective of each scored trial against its value."""
    scored = _scored(trials)
    if not scored or not spec.space:
        return None
    n = len(spec.space)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.0 * cols, 3.2 * rows))
    for i, param in enumerate(spec.space):
        ax = fig.add_subplot(rows, cols, i + 1)
        points = [(t.params[param.name], v, t.state.name) for t, v in scored
                  if param.name in t.params]
        if param.kind == "choice":
            labels = [str(c) for c in param.choices]
            xs = [labels.index(str(p)) for p, _, _ in points]
            ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=8)
        else:
            xs = [p for p, _, _ in points]
            if param.kind == "log":
                ax.set_xscale("log")
        ax.scatter(xs, [v for _, v, _ in points], s=18,
                   c=[COLOURS[s] for _, _, s in points])
        ax.set_xlabel(param.name)
        ax.set_ylabel(spec.objective)
    fig.tight_layout()
    return png_bytes(fig)


def epochs_png(trials: list[Any], spec: SweepSpec) -> bytes | None:
    """The per-epoch validation score of every trial (pruned ones grey)."""
    curves = [t for t in trials if t.intermediate_values]
    if not curves:
        return None
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.add_subplot()
    for t in curves:
        steps = sorted(t.intermediate_values)
        grey = t.state.name != "COMPLETE"
        ax.plot(steps, [t.intermediate_values[s] for s in steps], marker="o", markersize=3,
                color="#bbbbbb" if grey else None, alpha=0.9, label=None if grey else
                f"trial {t.number}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(spec.objective)
    if sum(1 for t in curves if t.state.name == "COMPLETE") <= 12:
        ax.legend(fontsize=7)
    ax.set_title("Validation score per epoch (grey: pruned or failed)")
    return png_bytes(fig)

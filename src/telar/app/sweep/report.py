"""What a sweep leaves to read: ``sweep.html``, ``best.toml`` and the table in the terminal.

``sweep.html`` is one self-contained page (figures inline as base64 PNG, like a run's
report.html): the trials sorted by the objective, best first, each linked to its run's
report; the optimisation history; the parameter importances (Optuna's fANOVA, when at least
two finished trials differ); the objective against each parameter; the validation score per
epoch of every trial.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from telar.app.report import page as P
from telar.app.sweep import figures
from telar.app.sweep.optional import optuna
from telar.app.sweep.spec import SweepSpec, best_toml
from telar.app.sweep.study import FAIL_REASON, SweepFolder
from telar.io.atomic import atomic_write_text

STATE_ORDER = {"COMPLETE": 0, "PRUNED": 1, "RUNNING": 2, "WAITING": 3, "FAIL": 4}


def sorted_trials(study: Any, spec: SweepSpec) -> list[Any]:
    """Complete trials best first, then pruned (by their last score), running, failed."""
    sign = -1.0 if spec.direction == "maximize" else 1.0

    def key(t: Any) -> tuple[int, float, int]:
        value = trial_value(t)
        return (STATE_ORDER.get(t.state.name, 5),
                sign * value if value is not None else math.inf, t.number)
    return sorted(study.get_trials(deepcopy=False), key=key)


def trial_value(trial: Any) -> float | None:
    """A trial's objective: its value, or a pruned trial's last reported score."""
    if trial.value is not None:
        return float(trial.value)
    if trial.intermediate_values:
        return float(trial.intermediate_values[max(trial.intermediate_values)])
    return None


def trial_note(trial: Any) -> str:
    attrs = trial.user_attrs
    note = attrs.get(FAIL_REASON) or attrs.get("pruned") or ""
    if "retry_of" in attrs:
        note = f"retry of trial {attrs['retry_of']}" + (f"; {note}" if note else "")
    return note


def table_rows(study: Any, spec: SweepSpec) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the trials table (text cells)."""
    names = [p.name for p in spec.space]
    header = ["trial", "state", spec.objective, "epochs", *names, "seconds", "note"]
    rows = []
    for t in sorted_trials(study, spec):
        value = trial_value(t)
        seconds = (t.datetime_complete - t.datetime_start).total_seconds() \
            if t.datetime_complete and t.datetime_start else None
        rows.append([str(t.number), t.state.name.lower(),
                     f"{value:.4f}" if value is not None else "",
                     str(t.user_attrs.get("epochs", "")),
                     *(_format(t.params.get(n, "")) for n in names),
                     f"{seconds:.1f}" if seconds is not None else "", trial_note(t)])
    return header, rows


def text_table(study: Any, spec: SweepSpec) -> str:
    """The trials table as aligned text, for the terminal."""
    header, rows = table_rows(study, spec)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in [header, *rows])


def _format(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def best_trial(study: Any) -> Any | None:
    try:
        return study.best_trial
    except ValueError:
        return None


def write_report(folder: SweepFolder, spec: SweepSpec, study: Any) -> list[Path]:
    """Write ``sweep.html`` and (once a trial is complete) ``best.toml``; return their paths."""
    written = []
    best = best_trial(study)
    if best is not None:
        run = folder.trial_dir(best.number)
        if not (run / "report.html").exists() and (run / "model.npz").exists():
            from telar.app.sweep.trial import write_run_report

            write_run_report(run)  # trial_reports = false: the best trial's report at least
        config = spec.trial_config(best.params)
        atomic_write_text(folder.best_path, best_toml(spec, config, best.number, best.value))
        written.append(folder.best_path)
    atomic_write_text(folder.html_path, sweep_html(folder, spec, study))
    written.insert(0, folder.html_path)
    return written


def importances(study: Any) -> tuple[dict[str, float], str]:
    """Optuna's parameter importances, or ``({}, why not)``."""
    state = optuna().trial.TrialState
    complete = study.get_trials(deepcopy=False, states=(state.COMPLETE,))
    if len(complete) < 2:
        return {}, "Parameter importances need at least two complete trials."
    try:
        return optuna().importance.get_param_importances(study), ""
    except (ValueError, RuntimeError) as exc:
        return {}, f"Parameter importances could not be computed: {exc}"


def sweep_html(folder: SweepFolder, spec: SweepSpec, study: Any) -> str:
    trials = study.get_trials(deepcopy=False)
    best = best_trial(study)
    header, rows = table_rows(study, spec)
    links = []
    for row in rows:
        run = folder.trial_dir(int(row[0]))
        target = "report.html" if (run / "report.html").exists() else ""
        href = f"{run.relative_to(folder.path).as_posix()}/{target}"
        links.append(f'<a href="{P.esc(href)}">{P.esc(row[0])}</a>')
    numeric = [True, False, True, True, *([False] * len(spec.space)), True, False]
    body = _linked_table(header, rows, links, numeric)
    weights, why = importances(study)
    n_state: dict[str, int] = {}
    for t in trials:
        n_state[t.state.name.lower()] = n_state.get(t.state.name.lower(), 0) + 1
    counts = ", ".join(f"{n} {s}" for s, n in sorted(n_state.items()))
    best_text = (f"<p>Best: trial {best.number}, {spec.objective} {best.value:.4f}; its "
                 f"configuration is in <code>best.toml</code>: <code>telar train --config "
                 f"{P.esc(folder.best_path)}</code></p>" if best is not None
                 else "<p>No trial has completed yet.</p>")
    parts = [
        P.section("summary", "Summary",
                  f"<p>{len(trials)} trials ({counts or 'none'}); objective {spec.objective} "
                  f"on val_split {spec.val_split} of the training set ({spec.direction}); "
                  f"sampler {spec.sampler}, pruner {spec.pruner}.</p>" + best_text),
        P.section("trials", "Trials, best first", body),
        P.section("history", "Optimisation history",
                  _figure(figures.history_png(trials, spec), "optimisation history")),
        P.section("importance", "Parameter importances",
                  _figure(figures.importance_png(weights), "parameter importances")
                  if weights else f'<p class="muted">{P.esc(why)}</p>'),
        P.section("parameters", "Objective against each parameter",
                  _figure(figures.params_png(trials, spec), "objective against parameters")),
        P.section("epochs", "Validation score per epoch",
                  _figure(figures.epochs_png(trials, spec), "score per epoch")),
        P.section("spec", "Spec", f"<pre>{P.esc(spec.toml())}</pre>"),
    ]
    return P.page(f"telar sweep: {folder.path.name}", "".join(parts),
                  subtitle=str(folder.path))


def _figure(png: bytes | None, alt: str) -> str:
    return P.figure(png, alt) if png else '<p class="muted">Nothing to plot yet.</p>'


def _linked_table(header: list[str], rows: list[list[str]], links: list[str],
                  numeric: list[bool]) -> str:
    """The trials table; the first cell of each row is a link (already HTML)."""
    def cls(i: int) -> str:
        return ' class="num"' if numeric[i] else ""
    head = "".join(f"<th{cls(i)}>{P.esc(h)}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + f"<td{cls(0)}>{link}</td>"
                   + "".join(f"<td{cls(i)}>{P.esc(c)}</td>" for i, c in enumerate(row) if i)
                   + "</tr>" for row, link in zip(rows, links, strict=True))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

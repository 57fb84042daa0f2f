"""Running a script of examples/ as a user would: from a folder of its own, as ``__main__``.

The script text is the file in ``examples/``; where a run is shortened by a constant, the test
substitutes exactly that line and nothing else.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import telar

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, workdir: Path, monkeypatch, *, argv: list[str] | None = None,
                replace: tuple[str, str] | None = None, helpers: tuple[str, ...] = ()) -> dict:
    """Run examples/``name`` as ``__main__`` from ``workdir`` (with the example scripts it
    imports, ``helpers``), with ``argv`` and telar seeded 0; the script's globals."""
    text = (EXAMPLES / name).read_text()
    if replace is not None:
        assert text.count(replace[0]) == 1, f"{replace[0]!r} is not one line of {name}"
        text = text.replace(replace[0], replace[1])
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / name).write_text(text)
    for helper in helpers:
        (workdir / helper).write_text((EXAMPLES / helper).read_text())
    monkeypatch.chdir(workdir)
    monkeypatch.syspath_prepend(str(workdir))
    monkeypatch.setattr(sys, "argv", [name, *(argv or [])])
    monkeypatch.setenv("MPLBACKEND", "Agg")
    telar.manual_seed(0)
    return runpy.run_path(str(workdir / name), run_name="__main__")

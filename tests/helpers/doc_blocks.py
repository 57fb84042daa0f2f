"""The code blocks of the documentation (README.md and docs/**/*.md), read and run.

The convention every page follows:

- a block fenced ```` ```python ```` runs, in page order, in one namespace per page;
- a block fenced ```` ```console ```` runs each line starting with ``$ `` as a shell command
  (a line ending in ``\\`` continues on the next); the other lines are its output, not checked;
- an HTML comment line ``<!-- not run: REASON -->`` just before a block skips it (the reason is
  required);
- ```` ```text ````, ```` ```toml ````, ```` ```json ```` and ```` ```csv ```` blocks are not run.

Every block of a page runs from one temporary working folder, so relative outputs (``runs/x``)
stay out of the repository; ``telar`` and ``python`` on ``PATH`` are this tree's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
RUN = ("python", "console")
NOT_RUN = ("text", "toml", "json", "csv", "")
NOT_RUN_MARK = re.compile(r"^<!--\s*not run:\s*(?P<reason>\S.*?)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language, first code line (1-based) and text."""

    page: str  # relative to the repository
    lang: str
    line: int
    code: str
    skip_reason: str | None  # from a <!-- not run: REASON --> line just before it

    @property
    def runs(self) -> bool:
        return self.lang in RUN and self.skip_reason is None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[str]:
    """README.md and every Markdown page of docs/, relative to the repository."""
    docs = sorted(p.relative_to(REPOSITORY).as_posix() for p in (REPOSITORY / "docs").rglob("*.md"))
    return ["README.md", *docs]


def blocks(page: str, text: str | None = None) -> list[Block]:
    """The fenced code blocks of ``page`` (or of ``text``, named ``page``), in order."""
    lines = (text if text is not None else (REPOSITORY / page).read_text()).splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        start = FENCE.match(lines[i])
        if not start:
            i += 1
            continue
        fence, indent = start["fence"], len(start["indent"])
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        mark = NOT_RUN_MARK.match(previous.strip())
        code = "\n".join(line[indent:] for line in lines[i + 1:end])
        found.append(Block(page, start["lang"].lower(), i + 2, code,
                           mark["reason"] if mark else None))
        i = end + 1
    return found


def commands(block: Block) -> list[tuple[int, str]]:
    """The ``$ `` commands of a console block: (line in the page, command), continuation
    lines (ending in a backslash) joined."""
    out: list[tuple[int, str]] = []
    lines = block.code.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("$ "):
            first, command = block.line + i, lines[i][2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            out.append((first, command))
        i += 1
    return out


def shim_environment(folder: Path) -> dict[str, str]:
    """An environment where ``telar`` and ``python`` are this tree's, through shims in
    ``folder``/bin."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "telar").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m telar "$@"\n')
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    for shim in ("telar", "python"):
        (bin_dir / shim).chmod(0o755)
    env = dict(os.environ)
    src = str(REPOSITORY / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env["MPLBACKEND"] = "Agg"
    env["TELAR_REPOSITORY"] = str(REPOSITORY)  # for pages that copy a file of the clone
    return env


def run_command(line: int, command: str, page: str, cwd: Path, env: dict[str, str],
                timeout: float = 300) -> None:
    """Run one console command with bash; raise AssertionError naming the page and line."""
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"{page}:{line}: `{command}` exited {done.returncode}\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def run_python(block: Block, namespace: dict) -> None:
    """Execute a python block in ``namespace``; a traceback names the page and its line."""
    source = "\n" * (block.line - 1) + block.code
    exec(compile(source, str(REPOSITORY / block.page), "exec"), namespace)  # noqa: S102

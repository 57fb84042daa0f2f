"""The documentation works as written: every code block of README.md and docs/ runs, and the
site builds with no warning.

The convention (blocks that run, ``<!-- not run: REASON -->``) is in :mod:`helpers.doc_blocks`.
Each page is one test, its blocks run in order from a temporary folder; a failure names the
page and the line of the block or command that broke. The pages train on the real
Fashion-MNIST (small subsets, an epoch or two), so they are skipped where it is absent.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.doc_blocks import (
    NOT_RUN,
    REPOSITORY,
    RUN,
    blocks,
    commands,
    pages,
    run_command,
    run_python,
    shim_environment,
)

RUNNABLE_PAGES = [page for page in pages() if any(b.runs for b in blocks(page))]


@pytest.fixture(scope="module")
def fashion_mnist_present() -> None:
    from telar.data import find_source

    if find_source() is None:
        pytest.skip("the real Fashion-MNIST files are not available (the pages train on them)")


def test_every_block_of_every_page_runs_or_says_why_not():
    problems = []
    for page in pages():
        for block in blocks(page):
            if block.lang not in RUN + NOT_RUN:
                problems.append(f"{block.where}: a ```{block.lang} block is neither run (python, "
                                f"console) nor plain text (text, toml, json, csv)")
            if block.lang == "console" and block.skip_reason is None and not commands(block):
                problems.append(f"{block.where}: a console block with no '$ ' command")
    assert not problems, "\n".join(problems)


@pytest.mark.realdata
@pytest.mark.slow  # a page trains a network or two: seconds each on an idle machine
@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_the_page_runs_as_written(page, tmp_path, monkeypatch, fashion_mnist_present):
    work = tmp_path / "work"
    work.mkdir()
    (work / "examples").symlink_to(REPOSITORY / "examples")  # `python examples/x.py` as in a clone
    env = shim_environment(tmp_path)
    monkeypatch.chdir(work)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.setattr(sys, "argv", [page])
    namespace: dict = {"__name__": "__main__"}
    for block in blocks(page):
        if not block.runs:
            continue
        if block.lang == "python":
            run_python(block, namespace)
        else:
            for line, command in commands(block):
                run_command(line, command, page, work, env)


def test_the_site_builds_with_every_page_in_the_nav_once():
    """Every page of docs/ is in mkdocs.yml's nav (strict mode only warns), and no nav entry
    names a missing file."""
    import re

    config = "\n".join(line for line in (REPOSITORY / "mkdocs.yml").read_text().splitlines()
                       if not line.lstrip().startswith("#"))
    nav = re.findall(r":\s*([\w./-]+\.md)\s*$", config, re.M)
    on_disk = {p.relative_to(REPOSITORY / "docs").as_posix()
               for p in (REPOSITORY / "docs").rglob("*.md")}
    assert sorted(set(nav)) == sorted(nav), "a page is in the nav twice"
    assert set(nav) <= on_disk, f"in the nav but missing: {sorted(set(nav) - on_disk)}"
    assert on_disk <= set(nav), f"pages not in the nav: {sorted(on_disk - set(nav))}"


@pytest.mark.slow
def test_the_site_builds_strictly_and_offline(tmp_path):
    if not all(importlib.util.find_spec(name) for name in ("mkdocs", "mkdocstrings")):
        pytest.skip("the docs extra is not installed: pip install -e '.[docs]'")
    env = shim_environment(tmp_path)
    env["NO_MKDOCS_2_WARNING"] = "1"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(tmp_path / "site")], cwd=REPOSITORY, env=env,
                          capture_output=True, text=True, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNING" not in output, output
    cli = (tmp_path / "site" / "reference" / "cli.html").read_text()
    from telar.app.cli import build_parser

    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.choices and a.dest == "command"]
    for name, sub in subparsers.choices.items():  # every sub-command and every option
        assert f"telar {name}" in cli, name
        for action in sub._actions:
            for option in action.option_strings:
                assert option in cli, f"telar {name} {option}"
    assert "fonts.googleapis" not in (tmp_path / "site" / "index.html").read_text()


# --------------------------------------------------------------- the runner itself can fail

PAGE = """\
# A page

```python
x = 1
```

<!-- not run: needs a GPU -->
```console
$ telar train --gpu
```

```console
$ telar train --epochs 1 \\
    --out runs/x
output line
```
"""


def test_blocks_are_found_with_their_lines_languages_and_reasons():
    found = blocks("page.md", PAGE)
    assert [(b.lang, b.line, b.skip_reason) for b in found] == [
        ("python", 4, None), ("console", 9, "needs a GPU"), ("console", 13, None)]
    assert [b.runs for b in found] == [True, False, True]
    assert commands(found[2]) == [(13, "telar train --epochs 1  --out runs/x")]


def test_a_failing_command_names_the_page_and_line(tmp_path):
    env = shim_environment(tmp_path)
    with pytest.raises(AssertionError, match=r"page\.md:7: `telar --no-such-option` exited 2"):
        run_command(7, "telar --no-such-option", "page.md", tmp_path, env)


def test_a_failing_python_block_names_the_page_and_line():
    (block,) = blocks("docs/page.md", "text\n\n```python\nx = 1\n1 / 0\n```\n")
    with pytest.raises(ZeroDivisionError) as caught:
        run_python(block, {})
    last = caught.traceback[-1]
    assert Path(str(last.path)).name == "page.md" and last.lineno + 1 == 5

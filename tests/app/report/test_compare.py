"""`telar compare`: curves overlaid on one page, summaries in one HTML and Markdown table."""

from __future__ import annotations

import base64
import json
import re

import pytest

from telar.app.cli import main


def write_run(folder, summary, rows, eval_name="test"):
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary))
    header = f"epoch,train_loss,train_accuracy,{eval_name}_loss,{eval_name}_accuracy,lr,seconds"
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def two_runs(tmp_path):
    a = write_run(tmp_path / "seed-20", {
        "test_accuracy": 0.4321, "test_loss": 2.2345, "epochs": 2, "parameters": 52650,
        "train_seconds": 3.0, "preset": "seed", "engine": "manual"},
        [(1, 2.3, 0.2, 2.29, 0.25, 1e-4, 1.5), (2, 2.25, 0.4, 2.2345, 0.4321, 1e-4, 1.5)])
    b = write_run(tmp_path / "mlp|wide", {
        "test_accuracy": 0.8765, "test_loss": 0.3456, "epochs": 3, "parameters": 1234,
        "train_seconds": 6.0, "preset": "mlp", "engine": "autograd"},
        [(1, 1.0, 0.6, 0.9, 0.7, 1e-3, 2), (2, 0.6, 0.8, 0.5, 0.8, 1e-3, 2),
         (3, 0.4, 0.86, 0.3456, 0.8765, 1e-3, 2)], eval_name="val")
    return a, b


def markdown_rows(text):
    lines = [line for line in text.splitlines() if line.startswith("|")]
    split = [re.split(r"(?<!\\) \| ", line.strip("| ")) for line in lines]
    header, rows = split[0], split[2:]
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_compare_prints_a_markdown_table_whose_values_are_the_summaries(two_runs, tmp_path,
                                                                          capsys):
    out = tmp_path / "cmp.html"
    assert main(["compare", *map(str, two_runs), "--out", str(out)]) == 0
    rows = markdown_rows(capsys.readouterr().out)
    assert [r["run"] for r in rows] == ["seed-20", "mlp\\|wide"]
    for row, run in zip(rows, two_runs, strict=True):
        summary = json.loads((run / "summary.json").read_text())
        assert float(row["test accuracy"]) == pytest.approx(summary["test_accuracy"], abs=5e-5)
        assert float(row["test loss"]) == pytest.approx(summary["test_loss"], abs=5e-5)
        assert int(row["epochs"]) == summary["epochs"]
        assert int(row["parameters"].replace(",", "")) == summary["parameters"]
        assert row["network"] == summary.get("network", summary["preset"])
        assert row["engine"] == summary["engine"]
        assert float(row["seconds per epoch"]) == pytest.approx(
            summary["train_seconds"] / summary["epochs"])


def test_the_compare_page_is_self_contained_and_overlays_both_curves(two_runs, tmp_path):
    out = tmp_path / "cmp.html"
    assert main(["compare", *map(str, two_runs), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]*)"', html)
    assert len(sources) == 2  # loss and accuracy
    for src in sources:
        assert base64.b64decode(src.split(",", 1)[1])[:4] == b"\x89PNG"
    assert not re.search(r"https?://", html)
    assert "<td>seed-20</td>" in html and "<td>mlp|wide</td>" in html
    assert '<td class="num">0.8765</td>' in html


def test_overlay_has_one_line_per_run_and_set(tmp_path):
    from telar.app.report.compare import overlay_png
    from telar.app.run_folder import RunFolder
    runs = []
    for name in "ab":
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.csv").write_text("epoch,train_loss,val_loss\n"
                                                     "1,1.0,1.1\n2,0.5,0.6\n")
        runs.append(RunFolder(tmp_path / name))
    assert overlay_png(runs, "loss")[:4] == b"\x89PNG"
    assert overlay_png(runs, "accuracy") is None


def bad_folder(tmp_path, kind):
    folder = tmp_path / kind
    if kind != "missing":
        folder.mkdir()
    if kind == "bad-json":
        (folder / "summary.json").write_text("{oops")
    return folder


@pytest.mark.parametrize("kind, words", [("missing", "no such folder"),
                                         ("empty", "no summary.json"),
                                         ("bad-json", "cannot read it as JSON")])
def test_a_bad_run_folder_is_a_one_line_error(two_runs, tmp_path, capsys, kind, words):
    bad = bad_folder(tmp_path, kind)
    with pytest.raises(SystemExit) as info:
        main(["compare", str(two_runs[0]), str(bad), "--out", str(tmp_path / "x.html")])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"telar: error: {bad}") and words in err[0]
    assert not (tmp_path / "x.html").exists()


def test_dollar_signs_and_control_characters_in_run_names_are_inert(two_runs, tmp_path,
                                                                    capsys):
    a, b = two_runs
    odd = a.rename(a.parent / "$\\foo$ \x1b[2J")  # math text and a terminal escape
    summary = json.loads((b / "summary.json").read_text())
    summary["preset"] = "mlp\x1b]0;owned\x07"
    (b / "summary.json").write_text(json.dumps(summary))
    out = tmp_path / "page.html"
    assert main(["compare", str(odd), str(b), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\x07" not in printed
    assert "$\\foo$ \\x1b[2J" in printed and "mlp\\x1b]0;owned\\x07" in printed
    assert out.read_text().count("data:image/png;base64,") == 2


def test_compare_writes_through_a_fifo_and_refuses_a_link(two_runs, tmp_path, capsys):
    import os
    import threading

    from helpers.cli_error import one_line_error

    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    assert main(["compare", *map(str, two_runs), "--out", str(fifo)]) == 0
    reader.join(30)
    assert got and got[0].startswith("<!DOCTYPE html>") and not fifo.is_file()
    target = tmp_path / "mine.html"
    target.write_text("keep")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    one_line_error(capsys, ["compare", *map(str, two_runs), "--out", str(link)],
                   "is a symbolic link")
    assert link.is_symlink() and target.read_text() == "keep"

"""``telar reproduce`` end to end: the JSON, Markdown, history and figures it writes, one-line
refusals, its run folder kept, and the real data learned."""

from __future__ import annotations

import csv
import html
import json

import pytest
from helpers.fake_data import noisy_class_arrays, write_idx_set

from telar.app.cli import main


@pytest.fixture
def tiny_idx_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TELAR_MIRROR", "http://127.0.0.1:9/")
    monkeypatch.delenv("TELAR_DATA", raising=False)
    return write_idx_set(tmp_path / "data", noisy_class_arrays(120, 40, seed=0))


def test_reproduce_command_writes_consistent_json_markdown_history_and_figures(
        tiny_idx_data, tmp_path, capsys):
    out = tmp_path / "rep"
    status = main(["reproduce", "--data", str(tiny_idx_data), "--epochs", "5,3", "--lr", "1e-2",
                   "--high-lrs", "0.05", "--high-lr-epochs", "3", "--out", str(out),
                   "--no-progress"])
    assert status == 0
    doc = json.loads((out / "reproduce.json").read_text())
    assert [m["epoch"] for m in doc["marks"]] == [3, 5]
    assert doc["config"]["train_images"] == 120 and doc["config"]["lr"] == 0.01
    with open(out / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == list(range(6))
    for m in doc["marks"]:
        row = rows[m["epoch"]]
        assert float(row["train_loss"]) == pytest.approx(m["train_loss"], rel=1e-5)
        assert float(row["test_accuracy"]) == pytest.approx(m["test_accuracy"], rel=1e-5)
    assert doc["marks"][1]["train_loss"] < float(rows[0]["train_loss"])
    assert [(r["lr"], r["softmax"], r["dtype"]) for r in doc["high_lr"]] == [
        (0.05, "stable", "float32"), (0.05, "naive", "float32"), (0.05, "naive", "float64")]
    assert all(sum(r["test_predicted_class_counts"]) == 40 for r in doc["high_lr"])
    md = (out / "reproduce.md").read_text()
    last = doc["marks"][1]
    assert f"| 5 | {last['train_loss']:.4f} | {last['train_accuracy']:.4f} |" in md
    assert "higher learning rates" in md
    for e in (3, 5):
        for kind in ("loss", "accuracy", "confusion"):
            assert (out / "figures" / f"epoch{e:04d}_{kind}.png").read_bytes()[:4] == b"\x89PNG"
    assert "test acc" in capsys.readouterr().out
    page = (out / "report.html").read_text()
    for c in doc["claims"]:
        assert html.escape(c["claim"], quote=True) in page
    assert page.count('<img src="data:image/png;base64,') == 6  # 3 figures at 2 marks
    assert "http://" not in page and "https://" not in page
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0  # rebuilt from the folder alone
    assert (out / "report.html").read_text() == page


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0,5"], "epochs must be positive"),
    (["--epochs", "ten"], "comma-separated epochs"),
    (["--high-lrs", "-1"], "learning rates must be positive"),
    (["--limit", "3"], "--limit must be at least 10"),
    (["--seed", "-5"], "--seed must be an integer >= 0"),
    (["--lr", "inf"], "--lr must be a positive number"),
])
def test_reproduce_refuses_bad_options_in_one_line(tiny_idx_data, tmp_path, capsys, args,
                                                   message):
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--data", str(tiny_idx_data), "--out", str(tmp_path / "o"),
              "--no-progress", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("telar: error:") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_reproduce_twice_into_one_folder_keeps_the_first_results(tiny_idx_data, tmp_path,
                                                                 capsys):
    out = tmp_path / "rep"
    argv = ["reproduce", "--data", str(tiny_idx_data), "--epochs", "2", "--high-lrs", "none",
            "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    first = (out / "reproduce.json").read_bytes()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--seed", "3"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "--overwrite" in err and err.count("\n") == 1
    assert (out / "reproduce.json").read_bytes() == first
    assert main([*argv, "--seed", "3", "--overwrite"]) == 0
    assert json.loads((out / "reproduce.json").read_text())["config"]["seed"] == 3


def test_reproduce_out_naming_a_file_is_one_line(tiny_idx_data, tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--data", str(tiny_idx_data), "--out", str(tmp_path / "file")])
    assert exc.value.code == 2 and "is not a folder" in capsys.readouterr().err
    assert (tmp_path / "file").read_text() == "mine"


def test_reproduce_names_the_missing_data_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TELAR_MIRROR", "http://127.0.0.1:9/")
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--data", str(tmp_path / "nowhere"), "--no-progress",
              "--out", str(tmp_path / "o")])
    assert exc.value.code == 2
    assert "nowhere" in capsys.readouterr().err


@pytest.mark.realdata
def test_reproduce_on_the_real_data_learns_and_reports_each_mark(real_data, tmp_path):
    # More rows than one row block: the path every full `telar reproduce` takes.
    from telar.errors import DataError
    try:
        status = main(["reproduce", "--epochs", "1,10", "--limit", "6000", "--lr", "1e-2",
                       "--high-lrs", "none", "--out", str(tmp_path / "rep"), "--no-progress"])
    except DataError as exc:  # pragma: no cover - only without the data set
        pytest.skip(str(exc))
    assert status == 0
    doc = json.loads((tmp_path / "rep" / "reproduce.json").read_text())
    first, last = doc["marks"]
    assert doc["config"]["train_images"] == 6000
    assert last["train_loss"] < first["train_loss"] < 2.5
    assert last["test_accuracy"] > 0.35  # ten classes: chance is 0.1

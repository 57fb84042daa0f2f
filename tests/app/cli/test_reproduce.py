"""``telar reproduce``: the experiment's bookkeeping, the claim checks, and the CLI end to end."""

from __future__ import annotations

import csv
import html
import json

import numpy as np
import pytest

from telar.app.cli import main
from telar.app.reproduce.claims import check_high_lr, check_marks
from telar.app.reproduce.experiment import MarkState, Split, epoch_flops, run_full_batch
from telar.handwritten import HandwrittenNetwork
from telar.optim import Adam
from telar.train import HandwrittenLearner

SIZES = (12, 6, 5, 4, 3)


def toy(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (rng.standard_normal((3, 12))[y] + rng.standard_normal((n, 12)) * 0.7)
    return Split(x.astype(np.float32), y)


def test_mark_figures_are_those_of_the_network_after_that_many_updates():
    train, test = toy(), toy(40, seed=1)
    run = run_full_batch(train, test, [2, 5], lr=1e-2, sizes=SIZES)
    assert len(run.train_loss) == 6 and sorted(run.marks) == [2, 5]
    net = HandwrittenNetwork(SIZES, seed=0)
    learner = HandwrittenLearner(net)
    learner.attach_optimizer(Adam([learner.parameter], lr=1e-2))
    for e in range(6):
        assert run.train_loss[e] == pytest.approx(net.loss(train.x, train.y), rel=1e-5)
        assert run.test_loss[e] == pytest.approx(net.loss(test.x, test.y), rel=1e-5)
        assert run.test_accuracy[e] == pytest.approx(np.mean(net.predict(test.x) == test.y))
        if e < 5:
            learner.train_step(train.x, train.y)
    state = run.marks[5]
    assert state.train_loss == run.train_loss[5]
    assert np.trace(state.test_confusion) / len(test.y) == pytest.approx(state.test_accuracy)
    assert state.test_predicted_counts == state.test_confusion.sum(axis=0).tolist()


def test_one_run_to_the_last_mark_matches_a_shorter_run_at_the_earlier_mark():
    train, test = toy(), toy(40, seed=1)
    long = run_full_batch(train, test, [3, 7], lr=1e-2, sizes=SIZES)
    short = run_full_batch(train, test, [3], lr=1e-2, sizes=SIZES)
    assert long.marks[3].as_dict() == short.marks[3].as_dict()


def test_epoch_flops_counts_forward_and_both_backward_products():
    # forward 2*n*(a*b + b*c), dW 2*n*(a*b + b*c), dX only for the second layer 2*n*b*c
    assert epoch_flops((4, 3, 2), 10) == 2 * 10 * (2 * (12 + 6) + 6)
    assert 12e9 < epoch_flops((784, 64, 32, 16, 10), 60000) < 13.5e9


def mark(epoch, loss, acc, coat_recall=0.9):
    cm = np.eye(10, dtype=np.int64) * 100
    cm[4, 4] = int(100 * coat_recall)
    cm[4, 6] = 100 - cm[4, 4]
    return MarkState(epoch, loss, acc, loss, acc, cm, cm.sum(0).tolist())


def test_claims_hold_for_figures_like_the_reports_and_fail_with_a_sentence_otherwise():
    report_like = {20: mark(20, 2.25, 0.3), 200: mark(200, 1.0, 0.6, coat_recall=0.1),
                   1000: mark(1000, 0.5, 0.96), 2000: mark(2000, 0.45, 0.99)}
    assert all(c.holds for c in check_marks(report_like))
    measured = {20: mark(20, 1.9, 0.55), 200: mark(200, 0.6, 0.78),
                1000: mark(1000, 0.38, 0.86), 2000: mark(2000, 0.33, 0.865)}
    checks = check_marks(measured)
    assert [c.holds for c in checks] == [False, True, False, False, False, True, False]
    assert "0.550 (not below 0.5)" in checks[0].note
    assert "Coat's test recall at 200 epochs is 0.900" in checks[2].note
    assert "+0.5 points" in checks[-1].note


def _row(lr, softmax, share, nonfinite=None, cls=0):
    return {"lr": lr, "softmax": softmax, "dtype": "float32", "largest_class_share": share,
            "largest_class": cls, "test_accuracy": 0.1 if share > 0.9 else 0.8,
            "first_nonfinite_epoch": nonfinite}


def test_high_lr_claim_blames_the_naive_softmax_when_only_it_collapses():
    check = check_high_lr([_row(1e-2, "stable", 0.2), _row(1e-2, "naive", 1.0, nonfinite=12)])
    assert check.holds is False
    assert "naive softmax collapse" in check.note and "epoch 12" in check.note
    assert check_high_lr([_row(1e-2, "stable", 0.95)]).holds is True
    assert check_high_lr([]) is None


@pytest.fixture
def tiny_idx_data(tmp_path, monkeypatch):
    from telar.data import write_idx

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TELAR_MIRROR", "http://127.0.0.1:9/")
    monkeypatch.delenv("TELAR_DATA", raising=False)
    rng = np.random.default_rng(0)
    folder = tmp_path / "data"
    for kind, n in (("train", 120), ("t10k", 40)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        base = rng.integers(0, 256, (10, 28, 28))
        images = np.clip(base[labels] + rng.integers(-30, 30, (n, 28, 28)), 0, 255)
        write_idx(folder / f"{kind}-images-idx3-ubyte.gz", images.astype(np.uint8))
        write_idx(folder / f"{kind}-labels-idx1-ubyte.gz", labels)
    return folder


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


@pytest.mark.parametrize("block_rows", [None, 16])
def test_largest_logit_is_tracked_whether_or_not_the_batch_is_split_in_row_blocks(
        monkeypatch, block_rows):
    # The real training set (60,000 rows) goes through the row-block path; a toy set only
    # does so when the block is made smaller than the batch.
    import telar.handwritten.network as network
    if block_rows:
        monkeypatch.setattr(network, "BLOCK_ROWS", block_rows)
    train, test = toy(), toy(40, seed=1)
    run = run_full_batch(train, test, [3], lr=1e-2, sizes=SIZES)
    net = HandwrittenNetwork(SIZES, seed=0)
    learner = HandwrittenLearner(net)
    learner.attach_optimizer(Adam([learner.parameter], lr=1e-2))
    expected = 0.0
    for _ in range(3):  # the logits of each update's forward pass, before the update
        expected = max(expected, float(np.abs(net.forward(train.x)).max()))
        learner.train_step(train.x, train.y)
    assert expected > 0
    assert run.max_abs_logit == pytest.approx(expected, rel=1e-5)


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

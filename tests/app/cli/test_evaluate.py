"""`telar evaluate`: the scores of a run's model, and refusal of bad model files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers.cli_error import one_line_error
from helpers.fake_data import synthetic_images, write_synthetic_fmnist

from telar.app.cli import main
from telar.data import write_kaggle_csv
from telar.io.telar_file import META_KEY


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two small runs on synthetic data: the report's network (hand-written engine) and a
    BN/dropout MLP. Corrupt files are tested once for loader and CLI in io/test_model_file.py."""
    root = tmp_path_factory.mktemp("runs")
    data = write_synthetic_fmnist(root / "data")
    common = ["train", "--no-progress", "--data", str(data), "--epochs", "2",
              "--batch-size", "32", "--lr", "0.005"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root / "cache"))
        assert main([*common, "--hidden", "16", "--out", str(root / "seed")]) == 0
        assert main([*common, "--preset", "mlp", "--hidden", "32", "--warmup", "0",
                     "--out", str(root / "mlp")]) == 0
    return {"seed": root / "seed", "mlp": root / "mlp", "data": data}


def evaluate_json(capsys, *argv):
    capsys.readouterr()
    assert main(["evaluate", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("kind", ["seed", "mlp"])
def test_evaluating_a_run_folder_gives_the_summary_test_accuracy(runs, capsys, kind):
    summary = json.loads((runs[kind] / "summary.json").read_text())
    result = evaluate_json(capsys, str(runs[kind]))
    assert result["accuracy"] == pytest.approx(summary["test_accuracy"], abs=1e-12)
    assert result["loss"] == pytest.approx(summary["test_loss"], rel=1e-5)
    cm = np.array(result["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == result["n"] == 200
    assert np.trace(cm) / cm.sum() == pytest.approx(result["accuracy"])
    recall = result["per_class"]["Trouser"]["recall"]
    assert recall == pytest.approx(cm[1, 1] / cm[1].sum())


def test_evaluating_on_a_csv_file_scores_those_images(runs, tmp_path, capsys):
    images, labels = synthetic_images(50, seed=7)
    csv_path = tmp_path / "few.csv"
    write_kaggle_csv(csv_path, images, labels)
    result = evaluate_json(capsys, str(runs["seed"] / "model.npz"), "--csv", str(csv_path))
    assert result["n"] == 50
    assert np.array(result["confusion_matrix"]).sum(axis=1).tolist() == \
        np.bincount(labels, minlength=10).tolist()


def test_the_table_names_every_class_and_the_confusion_matrix(runs, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(runs["mlp"])]) == 0
    text = capsys.readouterr().out
    summary = json.loads((runs["mlp"] / "summary.json").read_text())
    assert f"accuracy  {summary['test_accuracy']:.4f}" in text
    for name in ("T-shirt/top", "Ankle boot", "macro avg", "confusion matrix"):
        assert name in text


def refused(capsys, path, reason):
    one_line_error(capsys, ["evaluate", str(path)], str(path), reason)


def copy_model(runs, tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes((runs["seed"] / "model.npz").read_bytes())
    return path


def rewrite(path, change):
    with np.load(path) as npz:
        members = {k: npz[k] for k in npz.files}
    change(members)
    np.savez(path, **members)


def test_a_model_whose_architecture_does_not_fit_its_weights_is_refused(runs, tmp_path, capsys):
    path = copy_model(runs, tmp_path)

    def widen(members):
        meta = json.loads(members[META_KEY].tobytes())
        meta["architecture"]["sizes"] = [784, 99, 10]
        members[META_KEY] = np.frombuffer(json.dumps(meta).encode(), np.uint8)

    rewrite(path, widen)
    refused(capsys, path, "shape")


def test_a_missing_model_is_refused(tmp_path, capsys):
    refused(capsys, tmp_path / "nothing-here", "no such file")


def test_class_names_with_control_characters_are_printed_escaped(runs, tmp_path, capsys):
    from telar.io.model_file import load_model, save_model

    model = load_model(runs["seed"] / "model.npz")
    names = list(model.class_names)
    names[0] = "T-shirt\x1b[2J\rowned"
    path = tmp_path / "model.npz"
    save_model(path, architecture=model.architecture, arrays=model.arrays, class_names=names,
               preprocessing=model.preprocessing)
    capsys.readouterr()
    assert main(["evaluate", str(path), "--data", str(runs["data"])]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out
    assert "T-shirt\\x1b[2J\\rowned" in out

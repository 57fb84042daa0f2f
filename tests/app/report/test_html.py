"""`telar report`: one self-contained report.html per run folder."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from helpers.fake_data import write_synthetic_fmnist

from telar.app.cli import main
from telar.app.report.html import build_report, most_confident_mistakes
from telar.io.model_file import load_model, save_model

SECTIONS = ("summary", "config", "curves", "confusion", "per-class", "misclassified", "samples",
            "timing")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_fmnist(tmp_path_factory.mktemp("fmnist"), n_train=300, n_test=120)


@pytest.fixture(scope="module")
def weak_run(tmp_path_factory, data_dir):
    """A run that still gets many test images wrong (two epochs, 8 hidden units, small lr)."""
    data = data_dir
    out = tmp_path_factory.mktemp("runs") / "weak"
    assert main(["train", "--no-progress", "--data", str(data), "--out", str(out),
                 "--epochs", "2", "--hidden", "8", "--lr", "0.0005", "--batch-size", "64"]) == 0
    build_report(out)
    return out


def images_of(html):
    return re.findall(r'<img src="([^"]*)"', html)


def test_the_report_has_every_section_and_only_png_data_uris(weak_run):
    html = (weak_run / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in html, section
    sources = images_of(html)
    # loss, accuracy, confusion counts and row-normalised, mistakes and their saliency, samples,
    # time per epoch
    assert len(sources) == 8
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"https?://", html), "the page must not reach the network"
    assert "<script" not in html
    for ref in re.findall(r'(?:src|href)="([^"]*)"', html):  # no file or URL it would fetch
        assert ref.startswith(("#", "data:")), ref


def test_the_embedded_figures_are_the_bytes_written_to_the_figures_folder(weak_run):
    html = (weak_run / "report.html").read_text(encoding="utf-8")
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in images_of(html)}
    written = {p.read_bytes() for p in (weak_run / "figures" / "report").glob("*.png")}
    assert written and embedded == written


def test_the_report_tabulates_the_summary_config_and_per_class_scores(weak_run, data_dir):
    import json

    from sklearn.metrics import precision_recall_fscore_support

    from telar.app.inference import load_predictor
    from telar.app.report.predictions import probabilities_of

    html = (weak_run / "report.html").read_text(encoding="utf-8")
    summary = json.loads((weak_run / "summary.json").read_text())
    assert f"<td>test_accuracy</td><td>{summary['test_accuracy']:.4f}</td>" in html
    assert "<td>hidden</td><td>[8]</td>" in html
    from telar.data import load_fashion_mnist
    data = load_fashion_mnist(data_dir, download=False)
    predictor = load_predictor(weak_run / "model.npz")
    predicted = probabilities_of(predictor, data.test_images).argmax(axis=1)
    assert float((predicted == data.test_labels).mean()) == pytest.approx(
        summary["test_accuracy"])
    p, r, f, s = precision_recall_fscore_support(data.test_labels, predicted,
                                                 labels=range(10), zero_division=0)
    assert (f'<td>Trouser</td><td class="num">{p[1]:.4f}</td><td class="num">{r[1]:.4f}</td>'
            f'<td class="num">{f[1]:.4f}</td><td class="num">{s[1]}</td>') in html


def test_a_class_name_with_markup_is_escaped_everywhere(tmp_path, weak_run):
    import shutil
    run = tmp_path / "hostile"
    shutil.copytree(weak_run, run)
    model = load_model(run / "model.npz")
    names = list(model.class_names)
    names[1] = '<script>alert("x")</script>'
    save_model(run / "model.npz", architecture=model.architecture, arrays=model.arrays,
               class_names=names, preprocessing=model.preprocessing)
    html = build_report(run).read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_report_cli_rebuilds_and_bad_folders_are_one_line_errors(tmp_path, weak_run, capsys):
    (weak_run / "report.html").unlink()
    assert main(["report", str(weak_run)]) == 0
    assert (weak_run / "report.html").exists()
    assert capsys.readouterr().out.strip() == str(weak_run / "report.html")
    (tmp_path / "empty").mkdir()
    for target, words in ((tmp_path / "nowhere", "no such folder"),
                          (tmp_path / "empty", "no summary.json")):
        with pytest.raises(SystemExit) as info:
            main(["report", str(target)])
        assert info.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("telar: error:") and words in err[0]


def test_a_broken_metrics_file_names_its_line(tmp_path, weak_run, capsys):
    import shutil
    run = tmp_path / "broken"
    shutil.copytree(weak_run, run)
    lines = (run / "metrics.csv").read_text().splitlines()
    lines[2] = lines[2].replace(lines[2].split(",")[1], "oops", 1)
    (run / "metrics.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SystemExit):
        main(["report", str(run)])
    assert "metrics.csv, line 3: column 'train_loss' holds 'oops'" in capsys.readouterr().err


def test_most_confident_mistakes_are_wrong_and_sorted_by_probability():
    labels = np.array([0, 1, 2, 0, 1])
    probs = np.array([[0.9, 0.1, 0.0],   # right
                      [0.6, 0.4, 0.0],   # wrong, 0.6
                      [0.05, 0.95, 0.0],  # wrong, 0.95
                      [0.2, 0.8, 0.0],   # wrong, 0.8
                      [0.1, 0.9, 0.0]])  # right
    assert most_confident_mistakes(labels, probs, 2).tolist() == [2, 3]
    assert most_confident_mistakes(labels, probs, 10).tolist() == [2, 3, 1]


def test_dollar_signs_in_class_names_are_drawn_not_parsed_as_math(weak_run, tmp_path, capsys):
    import shutil

    from helpers.model_files import edit_meta

    run = tmp_path / "$\\foo$ run"
    shutil.copytree(weak_run, run)
    (run / "report.html").unlink()

    def rename(meta):  # matplotlib's math text raised on "\foo" and lost the whole report
        meta["class_names"] = [r"$\foo$", "$x^{$", *meta["class_names"][2:]]
    edit_meta(run / "model.npz", rename)
    assert main(["report", str(run)]) == 0
    html = (run / "report.html").read_text()
    assert "$\\foo$" in html and len(images_of(html)) >= 5

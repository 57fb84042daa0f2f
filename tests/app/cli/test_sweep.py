"""`telar sweep`: bad input is one line before any trial; a sweep end to end; its best.toml
trains again with `telar train --config`; trial folders read by `telar evaluate`."""

from __future__ import annotations

import csv
import json

import pytest
from helpers.cli_error import one_line_error
from helpers.fake_data import write_synthetic_fmnist

from telar.app.cli import main


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_fmnist(tmp_path_factory.mktemp("fmnist"), n_train=300, n_test=60)


def write_spec(path, data_dir, extra="", space='lr = { log = [1e-3, 1e-2] }\n'):
    path.write_text(f'base = "report"\ntrials = 2\nval_split = 0.2\npruner = "none"\n{extra}'
                    f'[fixed]\nepochs = 2\nengine = "autograd"\nbatch_size = 32\n'
                    f'data = "{data_dir}"\n[space]\n{space}')
    return path


@pytest.mark.parametrize("extra, space, expected", [
    ("", 'lrr = { log = [1e-3, 1e-2] }\n', "[space]: unknown option 'lrr'"),
    ("", 'lr = { log = [1e-2, 1e-3] }\n', "[space] lr: inverted range [0.01, 0.001]"),
    ("", 'warmup = { int = [3, 1] }\n', "[space] warmup: inverted range [3, 1]"),
    ("", 'optimizer = { choice = ["adam", "lbfgs"] }\n',
     "[space]: optimizer (--optimizer): expected one of"),
    ("", 'augment = { choice = ["shift=1", "rotat=10"] }\n',
     "[space]: augment (--augment): unknown augmentation 'rotat'"),
    ('objective = "test_accuracy"\n', 'lr = { log = [1e-3, 1e-2] }\n',
     "objective 'test_accuracy': a sweep never scores on the test set"),
])
def test_a_bad_spec_is_one_line_naming_the_key_before_any_trial(
        tmp_path, data_dir, capsys, extra, space, expected):
    spec = write_spec(tmp_path / "s.toml", data_dir, extra, space)
    line = one_line_error(capsys, ["sweep", str(spec), "--out", str(tmp_path / "out")])
    assert f"telar: error: {spec}: " in line and expected in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, expected", [
    (["--jobs", "0"], "sweep: argument --jobs: expected an integer >= 1, got 0"),
    (["--dask", "somewhere"], "--dask 'somewhere': expected tcp://HOST:PORT"),
    (["--jobs", "2", "--dask", "local:2"], "not allowed with argument"),
])
def test_bad_options_are_one_line(tmp_path, data_dir, capsys, argv, expected):
    spec = write_spec(tmp_path / "s.toml", data_dir)
    assert expected in one_line_error(capsys, ["sweep", str(spec), "--out",
                                               str(tmp_path / "out"), *argv])
    assert not (tmp_path / "out").exists()


def test_a_spec_is_needed_unless_resuming_or_printing(tmp_path, capsys):
    assert "give SPEC.toml" in one_line_error(capsys, ["sweep", "--out", str(tmp_path)])
    assert "holds no sweep" in one_line_error(capsys, ["sweep", "--out", str(tmp_path),
                                                       "--print"])


@pytest.mark.slow
def test_a_sweep_end_to_end_and_its_best_toml_trains_again(tmp_path, data_dir, capsys):
    spec = write_spec(tmp_path / "s.toml", data_dir, extra="trial_reports = true\n")
    out = tmp_path / "sweep"
    assert main(["sweep", str(spec), "--out", str(out), "--print", "--no-progress"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split()[:3] == ["trial", "state", "val_accuracy"]
    assert len(printed) == 3 and all(" complete " in line for line in printed[1:])
    best_number = int(printed[1].split()[0])
    html = (out / "sweep.html").read_text()
    for n in (0, 1):
        assert (out / "trials" / f"trial-{n:04d}" / "report.html").exists()
        assert f'href="trials/trial-{n:04d}/report.html"' in html

    # another spec into the same folder: refused, nothing changed
    other = write_spec(tmp_path / "other.toml", data_dir, space='lr = { log = [1e-4, 1e-2] }\n')
    before = (out / "sweep.toml").read_text()
    assert "holds another sweep" in one_line_error(capsys, ["sweep", str(other), "--out",
                                                            str(out), "--resume"])
    assert "already holds this sweep; continue it with --resume" in one_line_error(
        capsys, ["sweep", str(spec), "--out", str(out)])
    assert (out / "sweep.toml").read_text() == before

    # --print alone: the same table, nothing run
    assert main(["sweep", "--out", str(out), "--print"]) == 0
    assert capsys.readouterr().out.splitlines() == printed

    # best.toml reruns the best trial: the same validation accuracy, epoch for epoch
    again = tmp_path / "again"
    assert main(["train", "--config", str(out / "best.toml"), "--out", str(again),
                 "--no-progress"]) == 0
    capsys.readouterr()

    def val_accuracy(run):
        with open(run / "metrics.csv") as f:
            return [float(r["val_accuracy"]) for r in csv.DictReader(f)]
    assert val_accuracy(again) == val_accuracy(out / "trials" / f"trial-{best_number:04d}")

    # a trial folder is an ordinary run folder
    assert main(["evaluate", str(out / "trials" / "trial-0000"), "--json"]) == 0
    assert "accuracy" in json.loads(capsys.readouterr().out)

"""`telar predict`: pictures in, top classes out; broken files reported, the rest predicted.

The models are written directly with the model-file writer, with weights whose answers are
known: class 0 (T-shirt/top) looks for a wide band across the middle of the 28×28 input,
class 1 (Trouser) for a tall band down it. A wide dark bar on white must come out as
T-shirt/top, a tall one as Trouser, through both engines (autodiff ``mlp`` and the
hand-written ``seed`` network with a ReLU hidden layer).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from helpers.pictures import bar, encode, png_header_only, shoe
from PIL import Image

from telar.app.cli import main
from telar.app.photos import load_image
from telar.data.fashion_mnist import CLASS_NAMES
from telar.io.model_file import save_model

PREPROCESSING = {"input_shape": [28, 28], "flatten": True, "scale": 1 / 255,
                 "dtype": "float32"}
WIDE = load_image(encode(bar(100, 50))).reshape(-1) > 0   # rows 7..20 of the input
TALL = load_image(encode(bar(30, 120))).reshape(-1) > 0   # columns 10..16


def detectors() -> np.ndarray:
    """(2, 784) weights: 0.05 on the wide band, and on the tall band."""
    return np.stack([WIDE, TALL]).astype(np.float32) * 0.05


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    weight = np.zeros((10, 784), np.float32)
    weight[:2] = detectors()
    save_model(root / "linear.npz", architecture={"kind": "mlp", "hidden": []},
               arrays={"1.weight": weight, "1.bias": np.zeros(10, np.float32)},
               class_names=CLASS_NAMES, preprocessing=PREPROCESSING)
    run = root / "seed-run"
    w1 = np.zeros((2, 10), np.float32)
    w1[0, 0] = w1[1, 1] = 1.0
    save_model(run / "model.npz", architecture={"kind": "seed", "sizes": [784, 2, 10]},
               arrays={"weight0": detectors().T.copy(), "bias0": np.zeros(2, np.float32),
                       "weight1": w1, "bias1": np.zeros(10, np.float32)},
               class_names=CLASS_NAMES, preprocessing=PREPROCESSING)
    return {"mlp": root / "linear.npz", "seed": run}


@pytest.fixture()
def pictures(tmp_path):
    folder = tmp_path / "photos"
    (folder / "more").mkdir(parents=True)
    (folder / "wide.png").write_bytes(encode(bar(100, 50)))
    (folder / "more" / "tall.jpg").write_bytes(encode(bar(30, 120), "JPEG", quality=95))
    (folder / "readme.txt").write_text("not a picture, and not picked up from a folder")
    return folder


def predict(capsys, *argv):
    capsys.readouterr()
    status = main(["predict", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def json_lines(out: str) -> dict[str, dict]:
    records = [json.loads(line) for line in out.splitlines()]
    return {r["file"].rsplit("/", 1)[-1]: r for r in records}


@pytest.mark.parametrize("kind", ["mlp", "seed"])
def test_a_folder_of_pictures_is_classified_by_both_engines(models, pictures, capsys, kind):
    status, out, err = predict(capsys, models[kind], pictures, "--json", "--top", "3")
    assert status == 0 and err == ""
    records = json_lines(out)
    assert sorted(records) == ["tall.jpg", "wide.png"]
    wide, tall = records["wide.png"]["predictions"], records["tall.jpg"]["predictions"]
    assert [p["class"] for p in wide][:2] == ["T-shirt/top", "Trouser"]
    assert [p["class"] for p in tall][:2] == ["Trouser", "T-shirt/top"]
    assert [p["rank"] for p in wide] == [1, 2, 3]
    # logits 0.05 * (sum of the band's pixels / 255): softmax over them and eight zeros
    x = load_image(encode(bar(100, 50))).reshape(-1) / 255
    z = np.zeros(10)
    z[:2] = detectors() @ x
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert wide[0]["probability"] == pytest.approx(p[0], rel=1e-5)
    assert wide[1]["probability"] == pytest.approx(p[1], rel=1e-5)


def test_the_table_lists_every_picture_with_its_top_classes(models, pictures, capsys):
    status, out, err = predict(capsys, models["seed"], pictures / "wide.png",
                               pictures / "more" / "tall.jpg", "--top", "2")
    assert status == 0
    header, first, second = out.splitlines()
    assert header.split() == ["file", "top", "1", "top", "2"]
    assert first.startswith(str(pictures / "wide.png")) and "T-shirt/top" in first
    assert second.split()[1] == "Trouser" and second.endswith("%")
    assert header.index("top 2") == first.index("Trouser")  # columns line up


def test_bad_files_are_reported_one_line_each_and_the_rest_still_predicted(
        models, pictures, capsys):
    jpeg = encode(shoe(), "JPEG")
    bad = {"notes.png": b"hello, I am text\n", "empty.jpg": b"",
           "bomb.png": png_header_only(20000, 20000), "cut.jpg": jpeg[: len(jpeg) // 2]}
    for name, data in bad.items():
        (pictures / name).write_bytes(data)
    missing = pictures / "gone.png"
    empty_folder = pictures.parent / "nothing-here"
    empty_folder.mkdir()
    status, out, err = predict(capsys, models["mlp"], pictures, missing, empty_folder, "--json")
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 6 and all(line.startswith("telar: error: ") for line in lines)
    for name, reason in [("notes.png", "not an image"), ("empty.jpg", "empty"),
                         ("bomb.png", "more pixels than telar reads"),
                         ("cut.jpg", "truncated or corrupt"), ("gone.png", "no such file"),
                         ("nothing-here", "no pictures")]:
        assert any(name in line and reason in line for line in lines), (name, lines)
    assert "Traceback" not in err
    assert sorted(json_lines(out)) == ["tall.jpg", "wide.png"]


def test_control_characters_in_file_names_are_escaped(models, tmp_path, capsys):
    path = tmp_path / "evil\n\x1b[2Jname.png"
    path.write_bytes(encode(bar(100, 50)))
    status, out, _ = predict(capsys, models["mlp"], path)
    assert status == 0
    assert "\x1b" not in out and len(out.splitlines()) == 2
    assert "evil\\n\\x1b[2Jname.png" in out
    path.write_bytes(b"")
    status, _, err = predict(capsys, models["mlp"], path)
    assert status == 2 and len(err.splitlines()) == 1 and "\x1b" not in err


def test_the_csv_file_holds_every_rank_of_every_picture(models, pictures, tmp_path, capsys):
    target = tmp_path / "out" / "predictions.csv"
    status, out, _ = predict(capsys, models["mlp"], pictures, "--csv", target, "--top", "10")
    assert status == 0 and "T-shirt/top" in out  # the table still goes to stdout
    rows = list(csv.DictReader(target.open()))
    assert len(rows) == 20
    assert {r["file"].rsplit("/", 1)[-1] for r in rows} == {"wide.png", "tall.jpg"}
    for name in ("wide.png", "tall.jpg"):
        mine = [r for r in rows if r["file"].endswith(name)]
        assert [int(r["rank"]) for r in mine] == list(range(1, 11))
        assert sum(float(r["probability"]) for r in mine) == pytest.approx(1, abs=1e-5)
        assert sorted(int(r["class_index"]) for r in mine) == list(range(10))
    assert [p.name for p in target.parent.iterdir()] == ["predictions.csv"]


def test_show_input_saves_what_the_network_saw_and_explain_its_saliency(
        models, pictures, tmp_path, capsys):
    out_dir = tmp_path / "seen"
    (pictures / "more" / "wide.png").write_bytes(encode(bar(100, 50)))  # a second wide.png
    status, _, _ = predict(capsys, models["seed"], pictures, "--show-input", out_dir,
                           "--explain")
    assert status == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["tall.jpg.input.png", "tall.jpg.saliency.png", "wide.png-2.input.png",
                     "wide.png-2.saliency.png", "wide.png.input.png", "wide.png.saliency.png"]
    seen = np.asarray(Image.open(out_dir / "wide.png.input.png"))
    np.testing.assert_array_equal(seen, load_image(encode(bar(100, 50))))
    with Image.open(out_dir / "tall.jpg.saliency.png") as png:
        assert png.format == "PNG" and png.width > 300


def test_explain_alone_writes_into_the_current_folder(models, pictures, tmp_path,
                                                      monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, _, _ = predict(capsys, models["mlp"], pictures / "wide.png", "--explain")
    assert status == 0 and (tmp_path / "wide.png.saliency.png").is_file()


def test_a_real_photo_goes_through_the_whole_command(models, tmp_path, capsys):
    import sklearn.datasets

    photo = tmp_path / "china.jpg"
    photo.write_bytes((Path(sklearn.datasets.__file__).parent
                       / "images" / "china.jpg").read_bytes())
    status, out, err = predict(capsys, models["seed"], photo, "--json", "--top", "10",
                               "--explain", "--show-input", tmp_path / "seen")
    assert status == 0 and err == ""
    record = json.loads(out)
    assert sum(p["probability"] for p in record["predictions"]) == pytest.approx(1)
    assert (tmp_path / "seen" / "china.jpg.saliency.png").is_file()


@pytest.mark.parametrize("argv, message", [
    (["--top", "0"], "--top must be at least 1"),
    (["--json", "--csv", "x.csv"], "not allowed with argument"),
])
def test_bad_options_are_one_line_errors(models, pictures, capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(["predict", str(models["mlp"]), str(pictures), *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("telar: error:") and message in err[0]


def test_a_bad_model_is_refused_before_any_picture_is_read(pictures, tmp_path, capsys):
    model = tmp_path / "model.npz"
    model.write_bytes(b"not a model")
    with pytest.raises(SystemExit) as info:
        main(["predict", str(model), str(pictures)])
    assert info.value.code == 2
    assert "not an .npz" in capsys.readouterr().err


# --- hostile pictures, targets and names (issue 21) -------------------------------------------

def test_a_picture_whose_exif_crashes_pillow_is_its_own_error_and_the_rest_are_predicted(
        models, pictures, capsys):
    from helpers.pictures import raw_exif

    # orientation 6 beside ResolutionUnit typed as a BYTE: struct.error inside Pillow
    odd = encode(bar(100, 50), "JPEG", exif=raw_exif([(0x0112, 3, 1, 6), (0x0128, 1, 1, 0)]))
    (pictures / "odd.jpg").write_bytes(odd)
    (pictures / "broken.jpg").write_bytes(odd[:200])
    status, out, err = predict(capsys, models["mlp"], pictures, "--json")
    assert status == 2 and "Traceback" not in err
    assert len(err.splitlines()) == 1 and "broken.jpg" in err
    assert sorted(json_lines(out)) == ["odd.jpg", "tall.jpg", "wide.png"]


def test_a_fifo_named_like_a_picture_in_a_folder_is_skipped_not_waited_on(
        models, pictures, capsys):
    import os

    os.mkfifo(pictures / "pipe.png")  # opening it would block until someone writes
    status, out, err = predict(capsys, models["mlp"], pictures, "--json")
    assert status == 0 and err == ""
    assert sorted(json_lines(out)) == ["tall.jpg", "wide.png"]


def test_csv_to_a_fifo_is_written_through_and_a_link_is_refused(models, pictures, tmp_path,
                                                                capsys):
    import os
    import threading

    fifo = tmp_path / "rows.csv"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    status, _, _ = predict(capsys, models["mlp"], pictures, "--csv", fifo)
    reader.join(timeout=30)
    assert status == 0 and got and got[0].startswith("file,rank,class_index,class,probability")
    assert os.path.exists(fifo) and not fifo.is_file()  # still the FIFO
    kept = tmp_path / "kept.csv"
    kept.write_text("mine")
    link = tmp_path / "link.csv"
    link.symlink_to(kept)
    with pytest.raises(SystemExit) as info:
        main(["predict", str(models["mlp"]), str(pictures), "--csv", str(link)])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "is a symbolic link" in err
    assert link.is_symlink() and kept.read_text() == "mine"


def test_an_existing_saliency_picture_is_kept_without_overwrite(models, pictures, tmp_path,
                                                                monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "wide.png.saliency.png"
    mine.write_bytes(b"my own picture")
    status, out, err = predict(capsys, models["mlp"], pictures / "wide.png",
                               pictures / "more" / "tall.jpg", "--explain")
    assert status == 2 and mine.read_bytes() == b"my own picture"
    assert err.count("\n") == 1 and "wide.png.saliency.png" in err and "--overwrite" in err
    assert (tmp_path / "tall.jpg.saliency.png").is_file() and "Trouser" in out
    status, _, _ = predict(capsys, models["mlp"], pictures / "wide.png", "--explain",
                           "--overwrite")
    assert status == 0 and mine.read_bytes().startswith(b"\x89PNG")


def test_dollar_signs_and_control_characters_in_names_are_inert(tmp_path, capsys,
                                                               monkeypatch):
    names = [r"$\foo$", "Tro\x1b[2Juser", *CLASS_NAMES[2:]]
    weight = np.zeros((10, 784), np.float32)
    weight[:2] = detectors()
    save_model(tmp_path / "odd.npz", architecture={"kind": "mlp", "hidden": []},
               arrays={"1.weight": weight, "1.bias": np.zeros(10, np.float32)},
               class_names=names, preprocessing=PREPROCESSING)
    picture = tmp_path / "$\\bar$.png"
    picture.write_bytes(encode(bar(100, 50)))
    monkeypatch.chdir(tmp_path)
    status, out, err = predict(capsys, tmp_path / "odd.npz", picture, "--explain",
                               "--csv", tmp_path / "p.csv")
    assert status == 0 and err == "" and "\x1b" not in out
    assert r"$\foo$" in out and "Tro\\x1b[2Juser" in out
    assert "\x1b" not in (tmp_path / "p.csv").read_text()
    assert (tmp_path / "$\\bar$.png.saliency.png").is_file()

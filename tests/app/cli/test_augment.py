"""`telar augment --preview`: the PNG grid it writes, and one-line errors for bad options."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers.fake_data import tiny_arrays, write_idx_set
from matplotlib.image import imread

from telar.app.cli import main

# As in tests/data: no user cache, TELAR_DATA, system data set or internet.
pytestmark = pytest.mark.usefixtures("isolated_data_env")


def telar(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "telar", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_idx_set(tmp_path_factory.mktemp("augment-data"), tiny_arrays(seed=3))


def test_preview_writes_a_png_grid_with_a_row_per_image_and_a_column_per_copy(tmp_path,
                                                                             data_dir):
    wide, tall = tmp_path / "wide.png", tmp_path / "out" / "tall.png"
    result = telar("augment", "--preview", "--out", str(wide), "--data", str(data_dir),
                   "--count", "2", "--copies", "7", "--augment", "shift=2,flip,rotate=10")
    assert result.returncode == 0, result.stderr
    assert f"wrote {wide} (2 images x 7 augmented copies; --augment rotate=10,shift=2,flip=0.5)" \
        in result.stdout
    assert main(["augment", "--preview", "--out", str(tall), "--data", str(data_dir),
                 "--count", "9", "--copies", "1", "--no-download", "--augment", "flip"]) == 0
    wide_png, tall_png = imread(wide), imread(tall)
    assert wide_png.shape[1] > 2 * wide_png.shape[0] > 200  # 8 columns of 2 rows
    assert tall_png.shape[0] > 2 * tall_png.shape[1] > 200  # 2 columns of 9 rows
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out", "tall.png", "wide.png"]


@pytest.mark.parametrize("args, message", [
    (["--augment", "rotat"], "--augment: unknown augmentation 'rotat' (did you mean rotate?)"),
    (["--augment", "rotate=400"],
     "--augment: rotate: expected an angle in [0, 180] degrees, got 400"),
    (["--count", "0"], "--count must be between 1 and 50, got 0"),
    (["--copies", "99"], "--copies must be between 1 and 16, got 99"),
    (["--seed", "-1"], "--seed must be 0 or more, got -1"),
    (["--count", "two"], "augment: argument --count: invalid int value: 'two'"),
])
def test_bad_options_fail_with_one_line_and_write_nothing(args, message, tmp_path, data_dir,
                                                         capsys):
    out = tmp_path / "grid.png"
    with pytest.raises(SystemExit) as exit_:
        main(["augment", "--preview", "--out", str(out), "--data", str(data_dir), *args])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == f"telar: error: {message}\n"
    assert not out.exists()


@pytest.mark.parametrize("args, message", [
    ([], "augment: nothing to do; use --preview --out FILE.png"),
    (["--preview"], "augment: --preview needs --out FILE.png"),
    (["--preview", "--out", "grid.jpg"], "--out grid.jpg: must be a .png file"),
])
def test_a_preview_needs_a_png_file_to_write(args, message, capsys):
    with pytest.raises(SystemExit):
        main(["augment", *args])
    assert capsys.readouterr().err == f"telar: error: {message}\n"


def test_missing_data_is_one_line_without_traceback(tmp_path):
    result = telar("augment", "--preview", "--out", str(tmp_path / "g.png"), "--no-download")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("telar: error:") and not (tmp_path / "g.png").exists()

"""Model files and checkpoints: what is written reads back; anything broken, lying about its
sizes, nested absurdly or of the wrong types is refused, naming the file, before anything big
is allocated; and the files earlier versions saved load and score exactly as they did.

The memory cases run in a child process under an address-space limit
(tests/helpers/bounded.py). The saved runs are tests/fixtures/v1-runs (telar 0.1.0) and
tests/fixtures/main-runs (main just before the engine became a package); each README says how
they were made and what they scored then.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers.bounded import python_bounded
from helpers.fake_data import write_synthetic_fmnist
from helpers.model_files import (
    GOOD_META,
    WEIGHTS,
    edit_meta,
    members,
    npy_bytes,
    write_good,
    write_members,
)

from telar.errors import ModelFileError
from telar.io.model_file import load_checkpoint, load_model, save_checkpoint, save_model
from telar.io.telar_file import META_KEY

ARRAYS = {"0.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
          "0.bias": np.zeros(3, dtype=np.float32), "steps": np.array(7, dtype=np.int64)}


def write_model(path):
    save_model(path, architecture={"kind": "mlp", "sizes": [4, 3]}, arrays=ARRAYS,
               class_names=["a", "b", "c"], preprocessing={"scale": 1 / 255})
    return path


def test_model_file_reads_back_arrays_and_metadata(tmp_path):
    model = load_model(write_model(tmp_path / "model.npz"))
    assert set(model.arrays) == set(ARRAYS)
    for name, value in ARRAYS.items():
        np.testing.assert_array_equal(model.arrays[name], value)
        assert model.arrays[name].dtype == value.dtype
    assert model.architecture == {"kind": "mlp", "sizes": [4, 3]}
    assert model.class_names == ("a", "b", "c")
    assert json.loads((tmp_path / "model.json").read_text())["class_names"] == ["a", "b", "c"]


def refused(path, match):
    with pytest.raises(ModelFileError, match=match) as info:
        load_model(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_a_weight(path):
    data = bytearray(path.read_bytes())
    # The weight values 0..11 as float32: change the bytes of one of them in place.
    at = data.find(np.float32(5).tobytes())
    assert at > 0
    data[at:at + 4] = np.float32(-5).tobytes()
    path.write_bytes(bytes(data))


def rewrite_members(path, change):
    with np.load(path) as npz:
        members = {k: npz[k] for k in npz.files}
    change(members)
    np.savez(path, **members)


def bump_version(path):
    def bump(members):
        meta = json.loads(members[META_KEY].tobytes())
        meta["format_version"] = 99
        members[META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    rewrite_members(path, bump)


def add_pickled_array(path):
    rewrite_members(path, lambda m: m.update(evil=np.array([print], dtype=object)))


def replace_with_text(path):
    path.write_text("label,pixel1\n1,2\n")


CORRUPTIONS = {
    "truncated": (truncate, "corrupt or truncated"),
    "flipped bytes in an array": (flip_a_weight, "corrupt"),
    "another format version": (bump_version, "format version 99"),
    "a pickled object array": (add_pickled_array, "pickled"),
    "not an npz at all": (replace_with_text, "not an .npz"),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupt_model_file_is_refused_by_the_loader_and_by_telar_evaluate(
        corruption, tmp_path, capsys):
    from telar.app.cli import main

    path = write_model(tmp_path / "model.npz")
    corrupt, message = CORRUPTIONS[corruption]
    corrupt(path)
    refused(path, message)
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("telar: error:") and err.count("\n") == 1
    assert message in err and str(path) in err


def test_every_cut_of_a_model_file_is_refused(tmp_path):
    path = write_model(tmp_path / "model.npz")
    data = path.read_bytes()
    for cut in (len(data) - 10, 100, 5):
        path.write_bytes(data[:cut])
        refused(path, "corrupt or truncated|not an .npz")


def test_a_numpy_file_is_not_taken_for_a_model(tmp_path):
    np.save(tmp_path / "weights.npy", np.ones(3))
    refused(tmp_path / "weights.npy", "not an .npz")


def test_npz_without_telar_metadata_is_refused(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, w=np.ones(3))
    refused(path, "no telar metadata")


def test_checkpoint_is_not_taken_for_a_model_file(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, {"epoch": 1}, {"w": np.ones(2)})
    refused(path, "telar-checkpoint file, not a telar-model")
    meta, arrays = load_checkpoint(path)
    assert meta["epoch"] == 1


def test_empty_and_missing_files_are_refused(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    refused(tmp_path / "empty.npz", "empty")
    refused(tmp_path / "missing.npz", "no such file")


def test_an_array_missing_from_the_archive_is_refused(tmp_path):
    path = write_model(tmp_path / "model.npz")
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w") as dst:
        for item in src.infolist():
            if item.filename != "0.bias.npy":
                dst.writestr(item, src.read(item))
    path.write_bytes(buffer.getvalue())
    refused(path, "'0.bias' is missing")


LOAD = "import sys; from telar.io.model_file import load_model; load_model(sys.argv[1])"


def npy_header(dtype: str, shape: tuple[int, ...]) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": dtype, "fortran_order": False,
                                               "shape": shape})
    return out.getvalue()


def refused_with(path, *fragments):
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def assert_refused_in_bounded_child(path, fragment):
    result = python_bounded(LOAD, str(path))
    assert "MemoryError" not in result.stderr, result.stderr[-500:]
    assert "ModelFileError" in result.stderr and fragment in result.stderr, result.stderr[-800:]


def test_a_member_header_claiming_ten_to_the_twelve_floats_is_refused_before_reading(tmp_path):
    path = write_good(tmp_path / "model.npz")
    entries = members(path)
    entries["0.weight.npy"] = npy_header("<f8", (10**12,)) + bytes(64)
    write_members(path, entries)
    assert_refused_in_bounded_child(path, "declares <f8[1000000000000]")


def deflated_zeros(n_bytes: int, prefix: bytes) -> tuple[bytes, int]:
    """A raw deflate stream of ``prefix`` then ``n_bytes`` zeros, built from one repeated
    full-flush block (a few MB for gigabytes), and its CRC-32."""
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) == block
    crc = zlib.crc32(prefix)
    for _ in range(n_bytes >> 20):
        crc = zlib.crc32(chunk, crc)
    return head + block * (n_bytes >> 20) + b"\x03\x00", crc


def test_a_zip_bomb_member_is_refused_by_its_declared_size(tmp_path):
    # 0.weight inflates to 3 GiB of zeros behind a valid .npy header, in a 3 MB file.
    path = write_good(tmp_path / "model.npz")
    entries = members(path)
    zeros = 3 << 30
    header = npy_header("<f4", (zeros // 4,))
    data, crc = deflated_zeros(zeros, header)
    with zipfile.ZipFile(path, "w") as archive:
        for name, raw in entries.items():
            if name != "0.weight.npy":
                archive.writestr(name, raw)
    _append_deflated_member(path, "0.weight.npy", data, crc, len(header) + zeros)
    assert path.stat().st_size < 8 << 20
    assert_refused_in_bounded_child(path, "refuses it rather than fill memory")


def _append_deflated_member(path, name: str, data: bytes, crc: int, size: int) -> None:
    """Add a member whose deflate stream is already made (zipfile would inflate it itself)."""
    with zipfile.ZipFile(path, "a") as archive:
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.CRC, info.compress_size, info.file_size = crc, len(data), size
        archive.fp.seek(archive.start_dir)
        info.header_offset = archive.start_dir
        archive.fp.write(info.FileHeader(zip64=False))
        archive.fp.write(data)
        archive.start_dir = archive.fp.tell()
        archive.filelist.append(info)
        archive.NameToInfo[name] = info
        archive._didModify = True


def test_metadata_nested_a_hundred_thousand_deep_is_a_clear_error(tmp_path):
    path = write_good(tmp_path / "model.npz")
    entries = members(path)
    deep = b'{"format": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    entries[f"{META_KEY}.npy"] = npy_bytes(np.frombuffer(deep, np.uint8))
    write_members(path, entries)
    refused_with(path, "nested more than 64 levels deep")


@pytest.mark.parametrize(("change", "fragment"), [
    ({"input_shape": 784}, "preprocessing.input_shape: expected a list of 1 to 4 dimensions, "
                           "each an integer >= 1, at most 16777216 values in all, got 784"),
    ({"input_shape": "28x28"}, "preprocessing.input_shape: expected"),
    ({"input_shape": [2, -2]}, "preprocessing.input_shape: expected"),
    ({"input_shape": [4096, 4097]}, "at most 16777216 values in all, got [4096, 4097]"),
    ({"dtype": "object"}, "preprocessing.dtype: expected one of float32, float64, got 'object'"),
    ({"dtype": ["float32"]}, "preprocessing.dtype: expected"),
    ({"scale": "1/255"}, "preprocessing.scale: expected a number > 0, got '1/255'"),
    ({"scale": 0}, "preprocessing.scale: expected a number > 0, got 0"),
    ({"scale": True}, "preprocessing.scale: expected a number > 0, got True"),
    ({"flatten": "yes"}, "preprocessing.flatten: expected true or false, got 'yes'"),
])
def test_preprocessing_of_the_wrong_types_is_refused_at_load(tmp_path, change, fragment):
    pre = {**GOOD_META["preprocessing"], **change}
    refused_with(write_good(tmp_path / "model.npz", preprocessing=pre), fragment)


def test_class_names_that_are_not_a_list_of_text_are_refused_at_load(tmp_path):
    refused_with(write_good(tmp_path / "model.npz", class_names=["a", 2, "c"]),
            "class_names: expected a list of 1 or more class names, each text, got ['a', 2, 'c']")


def test_non_finite_scale_in_the_json_is_refused(tmp_path):
    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["preprocessing"].update(scale=float("nan")))
    refused_with(path, "preprocessing.scale: expected a finite number, got nan")


def test_a_good_file_still_loads(tmp_path):
    model = load_model(write_good(tmp_path / "model.npz"))
    np.testing.assert_array_equal(model.arrays["0.weight"], WEIGHTS["0.weight"])
    assert model.preprocessing["input_shape"] == [2, 2]


def test_a_big_endian_fortran_order_member_reads_back_exactly(tmp_path):
    array = np.asfortranarray(np.arange(12, dtype=">f8").reshape(3, 4))
    path = tmp_path / "model.npz"
    save_model(path, arrays={"w": array}, sidecar=False, architecture={"kind": "other"},
               class_names=["a", "b"], preprocessing={})
    np.testing.assert_array_equal(load_model(path).arrays["w"], array)


FIXTURES = Path(__file__).parents[1] / "fixtures"
# What `telar evaluate RUN --data data --json` printed when each run was saved (READMEs).
SCORES = {
    "v1-runs/seed": (0.28, 1.7617793012543592),
    "v1-runs/mlp": (0.52, 1.5063260985917295),
    "main-runs/layers": (0.96, 0.3738003660013986),
    "main-runs/mlp": (0.56, 1.6165979862962556),
    "main-runs/report": (0.21, 1.9984700927490644),
}


def telar(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "telar", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.mark.parametrize("run", sorted(SCORES))
def test_a_saved_model_file_evaluates_to_the_scores_it_had(run: str, tmp_path: Path) -> None:
    write_synthetic_fmnist(tmp_path / "data", n_train=300, n_test=100)
    result = telar("evaluate", str(FIXTURES / run), "--data", "data", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    accuracy, loss = SCORES[run]
    assert scores["accuracy"] == pytest.approx(accuracy, abs=1e-12)
    assert scores["loss"] == pytest.approx(loss, rel=1e-9)


@pytest.mark.parametrize("run", sorted(r for r in SCORES if r.startswith("main-runs")))
def test_a_saved_checkpoint_resumes_and_scores_as_its_model_file(run: str,
                                                                 tmp_path: Path) -> None:
    # The run had finished: resuming rebuilds the learner from the checkpoint alone (its
    # configuration, weights, optimiser state) and writes the results again, which must be
    # the results the run wrote when it was saved.
    write_synthetic_fmnist(tmp_path / "data", n_train=300, n_test=100)
    folder = tmp_path / "run"
    shutil.copytree(FIXTURES / run, folder)
    saved = json.loads((folder / "summary.json").read_text())
    (folder / "model.npz").unlink()
    (folder / "summary.json").unlink()
    result = telar("train", "--resume", "run", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["test_accuracy"] == saved["test_accuracy"]
    assert summary["test_loss"] == pytest.approx(saved["test_loss"], rel=1e-12)
    assert summary["epochs"] == saved["epochs"] == 8
    assert abs(summary["test_loss"] - SCORES[run][1]) < 1e-6  # the model file's, in float32

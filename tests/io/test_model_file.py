"""Model and checkpoint files: what is written reads back; anything broken is refused."""

import io
import json
import zipfile

import numpy as np
import pytest

from telar.errors import ModelFileError
from telar.io.model_file import load_checkpoint, load_model, save_checkpoint, save_model
from telar.io.state import decode as join_state
from telar.io.state import encode as split_state
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


def test_nested_optimiser_state_goes_through_json_and_arrays_unchanged():
    state = {"state": {0: {"step": 3, "exp_avg": np.ones(2)}, 1: {"step": 3}},
             "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1]}]}
    arrays = {}
    tree = split_state(state, "optim", arrays)
    back = join_state(json.loads(json.dumps(tree)), arrays)
    assert back["state"][1] == {"step": 3}
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    np.testing.assert_array_equal(back["state"][0]["exp_avg"], np.ones(2))

"""Model files that lie about their sizes, nest their metadata absurdly or hold the wrong types.

Each is refused with a ModelFileError naming the file, before anything big is allocated; the
memory cases run in a child process under an address-space limit (tests/helpers/bounded.py).
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib

import numpy as np
import pytest
from helpers.bounded import python_bounded

from telar.errors import ModelFileError
from telar.io.model_file import load_model, save_model
from telar.io.telar_file import META_KEY

WEIGHTS = {"0.weight": np.ones((3, 4), np.float32), "0.bias": np.zeros(3, np.float32)}
GOOD_META = {"architecture": {"kind": "mlp", "input_size": 4, "hidden": [], "classes": 3},
             "class_names": ["a", "b", "c"],
             "preprocessing": {"input_shape": [2, 2], "scale": 1 / 255, "dtype": "float32"}}
LOAD = "import sys; from telar.io.model_file import load_model; load_model(sys.argv[1])"
LOAD_PREDICTOR = ("import sys; from telar.app.inference import load_predictor; "
                  "load_predictor(sys.argv[1])")


def write_good(path, **changes):
    meta = {**GOOD_META, **changes}
    save_model(path, arrays=WEIGHTS, sidecar=False, **meta)
    return path


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def npy_header(dtype: str, shape: tuple[int, ...]) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": dtype, "fortran_order": False,
                                               "shape": shape})
    return out.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def edit_meta(path, edit) -> None:
    entries = members(path)
    meta = json.loads(np.load(io.BytesIO(entries[f"{META_KEY}.npy"])).tobytes())
    edit(meta)
    entries[f"{META_KEY}.npy"] = npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8))
    write_members(path, entries)


def refused(path, *fragments):
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
    refused(path, "nested more than 64 levels deep")


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
    refused(write_good(tmp_path / "model.npz", preprocessing=pre), fragment)


def test_class_names_that_are_not_a_list_of_text_are_refused_at_load(tmp_path):
    refused(write_good(tmp_path / "model.npz", class_names=["a", 2, "c"]),
            "class_names: expected a list of 1 or more class names, each text, got ['a', 2, 'c']")


def test_non_finite_scale_in_the_json_is_refused(tmp_path):
    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["preprocessing"].update(scale=float("nan")))
    refused(path, "preprocessing.scale: expected a finite number, got nan")


def refused_by_the_architecture_registry(path, *fragments):
    """The architecture is the application's to check (telar.app.architectures), before it
    builds anything: load_predictor refuses the file, naming it, in one line."""
    from telar.app.inference import load_predictor

    load_model(path)  # the container itself is fine
    with pytest.raises(ModelFileError) as info:
        load_predictor(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_a_hundred_million_wide_layer_is_refused_before_anything_is_built(tmp_path):
    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["architecture"].update(hidden=[100_000_000]))
    refused_by_the_architecture_registry(
        path, "architecture.hidden: expected a list of layer widths, each an integer in "
              "[1, 65536], got [100000000]")


def test_layers_wider_than_the_file_holds_weights_for_are_refused_before_anything_is_built(
        tmp_path):
    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["architecture"].update(hidden=[65536, 65536]))
    # Built, this is 17 GB of weights: the child, capped at 1 GiB, shows nothing was.
    result = python_bounded(LOAD_PREDICTOR, str(path))
    assert "MemoryError" not in result.stderr, result.stderr[-500:]
    assert "ModelFileError" in result.stderr, result.stderr[-800:]
    assert "architecture does not fit its weights: its layer shapes declare 4295557123 " \
           "parameters, the file holds 15 numbers" in result.stderr, result.stderr[-800:]


def test_an_architecture_whose_input_size_differs_from_the_input_shape_is_refused(tmp_path):
    path = write_good(tmp_path / "model.npz")
    edit_meta(path, lambda meta: meta["architecture"].update(input_size=784))
    refused_by_the_architecture_registry(path, "takes 784 inputs, the preprocessing makes 4")


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

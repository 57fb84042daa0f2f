"""telar's safetensors reader and writer: the ``safetensors`` package reads what telar writes
and telar reads what it writes; hostile files are refused in one line before any allocation;
PyTorch modules and telar networks of the same layers swap weights through it."""

from __future__ import annotations

import json
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from safetensors.numpy import load_file, save_file

from telar.errors import ConfigError, ModelFileError
from telar.io.safetensors import (
    MAX_HEADER_BYTES,
    load_safetensors,
    load_safetensors_metadata,
    save_safetensors,
)

ARRAYS = {
    "0.weight": np.arange(12, dtype=np.float32).reshape(3, 4) / 7,
    "0.bias": np.array([-1.5, 0.0, 2.25], np.float64),
    "half": np.array([[0.5, -2.0]], np.float16),
    "steps": np.array(9, np.int64),  # 0-d, like num_batches_tracked
    "ints": np.array([-3, 4], np.int32), "short": np.array([7], np.int16),
    "bytes": np.arange(5, dtype=np.uint8), "signed": np.array([-8], np.int8),
    "u16": np.array([65535], np.uint16), "u32": np.array([1], np.uint32),
    "u64": np.array([2**63], np.uint64), "mask": np.array([True, False, True]),
    "empty": np.zeros((0, 3), np.float32),
}


def assert_same(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for name, array in want.items():
        assert got[name].dtype == array.dtype and got[name].shape == array.shape, name
        np.testing.assert_array_equal(got[name], array, err_msg=name)


def test_the_safetensors_package_reads_what_telar_writes(tmp_path):
    save_safetensors(ARRAYS, tmp_path / "t.safetensors", metadata={"format": "pt"})
    assert_same(load_file(tmp_path / "t.safetensors"), ARRAYS)
    assert load_safetensors_metadata(tmp_path / "t.safetensors") == {"format": "pt"}


def test_telar_reads_what_the_safetensors_package_writes(tmp_path):
    save_file(ARRAYS, tmp_path / "t.safetensors", metadata={"who": "rust"})
    loaded = load_safetensors(tmp_path / "t.safetensors")
    assert_same(loaded, ARRAYS)
    assert all(a.flags.writeable for a in loaded.values())
    assert load_safetensors_metadata(tmp_path / "t.safetensors") == {"who": "rust"}


STATE_DICTS = st.dictionaries(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
            max_size=12).filter(lambda name: name != "__metadata__"),
    hnp.arrays(st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.uint8,
                                np.int8, np.bool_]),
               hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)),
    max_size=6)


@settings(max_examples=15, deadline=None)
@given(STATE_DICTS)
def test_any_state_dict_round_trips_through_both_implementations(tmp_path_factory, state):
    folder = tmp_path_factory.mktemp("prop")
    save_safetensors(state, folder / "telar.safetensors")
    assert_same(load_file(folder / "telar.safetensors"), state)
    save_file(state, folder / "rust.safetensors")
    assert_same(load_safetensors(folder / "rust.safetensors"), state)


def test_views_big_endian_arrays_and_tensors_are_written_as_their_values(tmp_path):
    import telar

    values = {"view": np.arange(10.0)[::3], "big": np.arange(3, dtype=">i4"),
              "tensor": telar.tensor([[1.0, 2.0]])}
    save_safetensors(values, tmp_path / "t.safetensors")
    got = load_file(tmp_path / "t.safetensors")
    np.testing.assert_array_equal(got["view"], [0, 3, 6, 9])
    np.testing.assert_array_equal(got["big"], [0, 1, 2])
    np.testing.assert_array_equal(got["tensor"], [[1, 2]])


def test_a_failed_save_keeps_the_file_that_was_there(tmp_path):
    path = tmp_path / "t.safetensors"
    save_safetensors({"a": np.ones(2)}, path)
    before = path.read_bytes()
    for bad, message in (({"a": np.array(["text"])}, "dtype <U4 has no safetensors name"),
                         ({"__metadata__": np.ones(1)}, "tensor names must be non-empty"),
                         ({"a": np.ones(1, np.complex64)}, "complex64")):
        with pytest.raises(ConfigError, match=message):
            save_safetensors(bad, path)
    with pytest.raises(ConfigError, match="metadata must map text to text"):
        save_safetensors({"a": np.ones(1)}, path, metadata={"n": 1})
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [path.name]


# --------------------------------------------------------------------------- hostile files
def file_with(header: bytes | dict, data: bytes = b"", length: int | None = None) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def entry(dtype: str, shape: list, begin: int, end: int) -> dict:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


HOSTILE = {
    "header length beyond the file": (file_with({"a": entry("F32", [1], 0, 4)}, b"\0" * 4,
                                                length=10**6), "runs past the end of the file"),
    "header length of 2**63": (file_with(b"{}", length=2**63), "exceeds the 100000000-byte"),
    "fewer than 8 bytes": (b"\x05\0\0", "too short for the 8-byte header length"),
    "a header that is not JSON": (file_with(b"{not json"), "the header is not JSON"),
    "a header that is not an object": (file_with(b"[1, 2]"), "not a JSON object"),
    "invalid UTF-8": (file_with(b'{"\xff": 1}'), "the header is not JSON"),
    "an entry that is a number": (file_with({"a": 3}), "a: expected dtype, shape and"),
    "an unknown dtype": (file_with({"a": entry("F128", [1], 0, 16)}, b"\0" * 16),
                         "unknown or unsupported dtype 'F128'"),
    "bfloat16": (file_with({"a": entry("BF16", [2], 0, 4)}, b"\0" * 4), "'BF16'"),
    "a 100 GB shape": (file_with({"a": entry("F32", [100_000, 250_000], 0, 8)}, b"\0" * 8),
                       "needs 100000000000 bytes, its data_offsets hold 8"),
    "a 100 GB shape with offsets to match": (
        file_with({"a": entry("F32", [100_000, 250_000], 0, 10**11)}, b"\0" * 8),
        "run past the 8 bytes of data"),
    "offsets not matching dtype and shape": (file_with({"a": entry("F32", [3], 0, 8)},
                                                       b"\0" * 8), "needs 12 bytes"),
    "overlapping offsets": (file_with({"a": entry("F32", [2], 0, 8),
                                       "b": entry("F32", [2], 4, 12)}, b"\0" * 12),
                            "b: data_offsets [4, 12] overlap the tensor before"),
    "a hole between tensors": (file_with({"a": entry("F32", [1], 0, 4),
                                          "b": entry("F32", [1], 8, 12)}, b"\0" * 12),
                               "leave a hole"),
    "data beyond the last tensor": (file_with({"a": entry("F32", [1], 0, 4)}, b"\0" * 9),
                                    "the tensors cover 4 of the 9 bytes"),
    "begin after end": (file_with({"a": entry("F32", [0], 8, 4)}, b"\0" * 8),
                        "begin <= end"),
    "negative offsets": (file_with({"a": entry("F32", [1], -4, 0)}), "data_offsets must be"),
    "a negative dimension": (file_with({"a": entry("F32", [-1], 0, 0)}), "shape must be"),
    "a name twice": (file_with(b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},'
                               b' "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}',
                               b"\0"), "a name appears twice ('a')"),
    "metadata that is not text": (file_with({"__metadata__": {"k": 1}}), "must map text"),
    "deeply nested JSON": (file_with(b"{\"a\":" + b"[" * 100_000 + b"]" * 100_000 + b"}"),
                           "the header is not JSON"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_is_refused_in_one_line_without_allocating(tmp_path, case):
    content, fragment = HOSTILE[case]
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(content)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError) as info:
            load_safetensors(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(info.value)
    assert fragment in message and message.startswith(f"{path}: not a valid safetensors file")
    assert "\n" not in message
    assert peak < 2 * len(content) + 2_000_000  # the header, parsed; never what it claims


def test_the_header_limit_is_the_reference_implementations():
    assert MAX_HEADER_BYTES == 100_000_000


def test_the_two_functions_are_telars_top_level_names(tmp_path):
    import telar

    telar.save_safetensors({"w": np.eye(2, dtype=np.float32)}, tmp_path / "w.safetensors")
    np.testing.assert_array_equal(telar.load_safetensors(tmp_path / "w.safetensors")["w"],
                                  np.eye(2))
    assert telar.save_safetensors is save_safetensors and "load_safetensors" in telar.__all__


def test_a_missing_file_is_one_line_naming_it(tmp_path):
    with pytest.raises(ModelFileError, match="nothing.safetensors: cannot read: No such file"):
        load_safetensors(tmp_path / "nothing.safetensors")


# --------------------------------------------------------------------------- with PyTorch
torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # two shared cores: no thread pool fighting the other tests


def train_a_few_steps(module, x: np.ndarray, steps: int = 3) -> None:
    """A few SGD steps in training mode: weights and batch-norm statistics move."""
    optimiser = torch.optim.SGD(module.parameters(), lr=0.1)
    y = torch.tensor(np.arange(len(x)) % 10)
    module.train()
    for _ in range(steps):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(module(torch.tensor(x)), y).backward()
        optimiser.step()
    module.eval()


def telar_logits(net, x: np.ndarray) -> np.ndarray:
    from telar.engine import Tensor, no_grad

    net.eval()
    with no_grad():
        return net(Tensor(x)).data


def torch_logits(module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.tensor(x)).numpy()


def pairs() -> dict:
    """A telar network and a PyTorch ``Sequential`` of the same layers (the same state-dict
    names: a run's dense network starts with flatten, its --layers network with unflatten)."""
    from telar import nn
    from telar.nn.layer_net import on_flat_rows

    t = torch.nn
    torch.manual_seed(0)
    dense = (nn.DenseNet({"hidden": [32, 16], "batch_norm": True, "dropout": 0.3}),
             t.Sequential(t.Flatten(), t.Linear(784, 32, bias=False), t.BatchNorm1d(32),
                          t.ReLU(), t.Dropout(0.3), t.Linear(32, 16, bias=False),
                          t.BatchNorm1d(16), t.ReLU(), t.Dropout(0.3), t.Linear(16, 10)))
    conv = (nn.LayerNet({"layers": on_flat_rows("conv(4,3,padding=1) bn relu maxpool(2) "
                                                "conv(6,3) gelu avgpool(2) flatten linear(10)"),
                         "input_shape": [784]}),
            t.Sequential(t.Unflatten(1, (1, 28, 28)), t.Conv2d(1, 4, 3, padding=1),
                         t.BatchNorm2d(4), t.ReLU(), t.MaxPool2d(2), t.Conv2d(4, 6, 3),
                         t.GELU(), t.AvgPool2d(2), t.Flatten(), t.Linear(216, 10)))
    return {"dense": dense, "conv": conv}


def pixels(n: int = 16) -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 1, (n, 784)).astype(np.float32)


@pytest.mark.parametrize("family", ["dense", "conv"])
def test_a_pytorch_trained_sequential_loads_into_telar_with_the_same_logits(tmp_path, family):
    from safetensors.torch import save_file as torch_save

    ours, theirs = pairs()[family]
    x = pixels()
    train_a_few_steps(theirs, x)
    torch_save(theirs.state_dict(), tmp_path / "torch.safetensors")
    state = load_safetensors(tmp_path / "torch.safetensors")
    result = ours.load_state_dict(state, strict=False)
    assert result.missing_keys == []  # only PyTorch's batch counters are left over
    assert all(k.endswith("num_batches_tracked") for k in result.unexpected_keys)
    np.testing.assert_allclose(telar_logits(ours, x), torch_logits(theirs, x), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("family", ["dense", "conv"])
def test_telars_weights_load_into_the_pytorch_sequential_with_the_same_logits(tmp_path,
                                                                             family):
    from safetensors.torch import load_file as torch_load

    ours, theirs = pairs()[family]
    x = pixels()
    ours.train()
    for _ in range(3):  # batch norm's running statistics move away from 0 and 1
        ours(__import__("telar").tensor(x))
    save_safetensors(ours.state_dict(), tmp_path / "telar.safetensors")
    result = theirs.load_state_dict(torch_load(tmp_path / "telar.safetensors"), strict=False)
    assert all(k.endswith("num_batches_tracked") for k in result.missing_keys)
    assert result.unexpected_keys == []
    theirs.eval()
    np.testing.assert_allclose(torch_logits(theirs, x), telar_logits(ours, x), rtol=1e-5,
                               atol=1e-5)


def test_the_hand_written_networks_weights_are_pytorchs_transposed(tmp_path):
    """``weight{l}`` (n_in, n_out) is a PyTorch ``Sequential(Linear, ReLU, ...)``'s
    ``{2l}.weight`` transposed; ``bias{l}`` its ``{2l}.bias``."""
    from telar.handwritten import HandwrittenNetwork

    net = HandwrittenNetwork((784, 16, 8, 10), seed=2)
    t = torch.nn
    theirs = t.Sequential(t.Linear(784, 16), t.ReLU(), t.Linear(16, 8), t.ReLU(),
                          t.Linear(8, 10))
    save_safetensors({f"{2 * l}.{kind}": (w.T if kind == "weight" else w)
                      for l in range(3) for kind, w in
                      (("weight", net.weights[l]), ("bias", net.biases[l]))},
                     tmp_path / "h.safetensors")
    from safetensors.torch import load_file as torch_load

    theirs.load_state_dict(torch_load(tmp_path / "h.safetensors"))
    x = pixels()
    np.testing.assert_allclose(torch_logits(theirs, x), net.logits(x), rtol=1e-5, atol=1e-5)

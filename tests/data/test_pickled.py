"""Pickled data read without unpickling: plain values and NumPy arrays come back equal to what
pickle wrote (every protocol), anything that names a function is refused before it runs, and
no file of telar imports pickle at all."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import numpy as np
import pytest

from telar.data.pickled import PickledDataError, load_pickled_data

SRC = Path(__file__).resolve().parents[2] / "src" / "telar"


@pytest.mark.parametrize("protocol", range(6))
def test_plain_values_and_arrays_read_back_as_pickle_wrote_them(protocol):
    value = {"data": np.arange(24, dtype=np.uint8).reshape(4, 6),
             "f": np.asfortranarray(np.linspace(-1, 1, 6).reshape(2, 3)),
             "big": np.arange(3, dtype=">i4"), "labels": [1, 2, 3], "name": "ünï",
             b"raw": b"\x00\xff", "t": (1.5, None, True, -(2**70)), "shared": [], "empty": {}}
    value["again"] = value["shared"]  # a memo reference
    loaded = load_pickled_data(pickle.dumps(value, protocol=protocol))
    assert set(loaded) == set(value)
    for key in ("data", "f", "big"):
        assert loaded[key].dtype == value[key].dtype
        np.testing.assert_array_equal(loaded[key], value[key])
    assert loaded["f"].flags.f_contiguous
    assert {k: loaded[k] for k in ("labels", "name", b"raw", "t", "shared", "empty")} == \
        {k: value[k] for k in ("labels", "name", b"raw", "t", "shared", "empty")}


class Exploit:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned > pwned.txt",))


class Instance:
    def __init__(self):
        self.x = 1


@pytest.mark.parametrize("payload, message", [
    ({"a": Exploit()}, r"refused to load (posix|os)\.system"),
    ({"a": Instance()}, r"refused to load (__main__|test_pickled|.*)\.Instance"),
    ({"a": np.zeros(2, object)}, "an array of Python objects"),
    ({"a": {1, 2}}, r"refused to load (__builtin__|builtins)\.set"),
])
def test_anything_but_plain_data_is_refused_before_it_runs(tmp_path, monkeypatch, payload,
                                                             message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PickledDataError, match=message):
        load_pickled_data(pickle.dumps(payload, protocol=2))
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.parametrize("raw", [b"", b"\x80\x02", b"not a pickle", pickle.dumps([1])[:-1]])
def test_empty_truncated_or_foreign_bytes_are_refused(raw):
    with pytest.raises(PickledDataError):
        load_pickled_data(raw)


def test_no_file_of_telar_unpickles_or_allows_pickle():
    # the code itself (docstrings may say what telar avoids): no import of pickle (or of
    # joblib/dill/cloudpickle), no allow_pickle=True anywhere
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            else:
                names = []
            assert not set(names) & {"pickle", "_pickle", "cPickle", "dill", "cloudpickle",
                                     "joblib"}, (path, node.lineno)
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                assert isinstance(node.value, ast.Constant) and node.value.value is False, path

"""telar.io.state: nested state as JSON plus named arrays, and back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from telar.errors import ModelFileError
from telar.io.state import decode, encode
from telar.io.state import decode as join_state
from telar.io.state import encode as split_state


def roundtrip(tree):
    arrays: dict[str, np.ndarray] = {}
    meta = json.loads(json.dumps(encode(tree, "root", arrays)))  # what a file keeps
    return decode(meta, arrays), arrays


def test_nested_state_comes_back_with_its_arrays_tuples_and_int_keys():
    tree = {"state": {0: {"step": 3, "exp_avg": np.arange(3.0)}, 1: {"step": 3}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1]}],
            "flag": True, "none": None, "scalar": np.float32(2.5)}
    back, arrays = roundtrip(tree)
    assert set(back["state"]) == {0, 1}  # int keys stay ints through JSON
    np.testing.assert_array_equal(back["state"][0]["exp_avg"], np.arange(3.0))
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["flag"] is True and back["none"] is None and back["scalar"] == 2.5
    assert list(arrays) == ["root/state/0/exp_avg"]


def test_keys_that_name_the_same_path_get_arrays_of_their_own():
    back, arrays = roundtrip({1: np.zeros(2), "1": np.ones(2)})
    assert sorted(arrays) == ["root/1", "root/1~2"]
    np.testing.assert_array_equal(back[1], np.zeros(2))
    np.testing.assert_array_equal(back["1"], np.ones(2))


def test_an_object_that_is_not_state_is_refused_naming_where_it_is():
    with pytest.raises(TypeError, match=r"cannot store a object at 'root/0'"):
        encode([object()], "root", {})
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        encode({(1, 2): 3}, "root", {})


def test_a_marker_naming_a_missing_array_is_a_model_file_error():
    with pytest.raises(ModelFileError, match="names the array 'root/x', which is not in"):
        decode({"a": {"__array__": "root/x"}}, {})


def test_a_plain_json_object_decodes_as_a_dict_as_the_oldest_checkpoints_stored_it():
    assert decode({"a": [1, {"b": 2}]}, {}) == {"a": [1, {"b": 2}]}


def test_nested_optimiser_state_goes_through_json_and_arrays_unchanged():
    state = {"state": {0: {"step": 3, "exp_avg": np.ones(2)}, 1: {"step": 3}},
             "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1]}]}
    arrays = {}
    tree = split_state(state, "optim", arrays)
    back = join_state(json.loads(json.dumps(tree)), arrays)
    assert back["state"][1] == {"step": 3}
    assert back["param_groups"][0]["betas"] == (0.9, 0.999)
    np.testing.assert_array_equal(back["state"][0]["exp_avg"], np.ones(2))

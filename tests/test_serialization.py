"""telar.save / telar.load: PyTorch's calls, telar's safe npz + JSON format."""

from __future__ import annotations

import pickle
import zipfile

import numpy as np
import pytest

import telar
from telar import nn
from telar.errors import ModelFileError


def test_a_state_dict_round_trips_through_a_pth_named_file(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    telar.save(model.state_dict(), tmp_path / "model.pth")
    assert zipfile.is_zipfile(tmp_path / "model.pth")
    other = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    other.load_state_dict(telar.load(tmp_path / "model.pth"))
    x = telar.randn(5, 4)
    np.testing.assert_array_equal(model(x).array, other(x).array)


def test_nested_objects_keep_their_types(tmp_path):
    obj = {"epoch": 3, "loss": 0.25, "name": "run", "none": None, "flag": True,
           "t": telar.tensor([1.0, 2.0]), "a": np.arange(3), "list": [1, telar.ones(2)],
           "tuple": (1, 2), 7: "int key",
           "optim": telar.optim.SGD([telar.ones(2, requires_grad=True)], lr=0.1,
                                    momentum=0.9).state_dict()}
    telar.save(obj, str(tmp_path / "ckpt.tar"))
    back = telar.load(str(tmp_path / "ckpt.tar"), weights_only=True, map_location="cpu")
    assert isinstance(back["t"], telar.Tensor) and back["t"].tolist() == [1.0, 2.0]
    assert isinstance(back["a"], np.ndarray) and back["a"].tolist() == [0, 1, 2]
    assert back["tuple"] == (1, 2) and back[7] == "int key" and back["none"] is None
    assert back["list"][1].tolist() == [1.0, 1.0] and back["optim"]["param_groups"][0]["lr"] == 0.1
    with pytest.raises(TypeError, match="state_dict"):
        telar.save({"model": nn.Linear(2, 2)}, tmp_path / "bad.pt")


def test_pickles_are_refused_without_being_unpickled(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, (f"open({str(tmp_path / 'ran')!r}, 'w').write('ran')",))

    (tmp_path / "legacy.pt").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError, match="pickle"):
        telar.load(tmp_path / "legacy.pt")
    with zipfile.ZipFile(tmp_path / "new.pt", "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(Boom()))
        z.writestr("archive/version", "3")
    with pytest.raises(ModelFileError, match="PyTorch file"):
        telar.load(tmp_path / "new.pt")
    assert not (tmp_path / "ran").exists()


def test_a_file_saved_by_pytorch_is_refused_with_a_message(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "torch.pth")
    with pytest.raises(ModelFileError, match="telar never unpickles"):
        telar.load(tmp_path / "torch.pth")


def test_missing_and_corrupt_files_name_the_problem(tmp_path):
    with pytest.raises(ModelFileError, match="no such file"):
        telar.load(tmp_path / "absent.pth")
    (tmp_path / "junk.pth").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelFileError):
        telar.load(tmp_path / "junk.pth")


def test_three_hundred_mutated_files_each_load_or_raise_model_file_error(tmp_path):
    from helpers.model_files import mutated_files

    from telar.errors import ModelFileError

    model = telar.nn.Sequential(telar.nn.Linear(4, 3), telar.nn.ReLU(), telar.nn.Linear(3, 2))
    telar.save({"model": model.state_dict(), "step": 3, "pair": (1, "a"),
                "t": telar.tensor([1.0, 2.0]), 5: [None, True]}, tmp_path / "good.pth")
    refused = 0
    for kind, path in mutated_files(tmp_path / "good.pth", tmp_path, 300, seed=21):
        try:
            telar.load(path)
        except ModelFileError as exc:  # never KeyError, TypeError, ValueError, TokenError...
            assert str(path) in str(exc) or "metadata" in str(exc), (kind, exc)
            refused += 1
    assert refused > 250  # most mutations break the file; a few leave a valid one

"""Full devices, files too large for the disk, control characters in what telar prints.

Each failure the user's surroundings cause is one line ``telar: error: ...`` with exit status
2, the file that was there before is intact and no temporary file is left behind.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from bounded import assert_one_line_error, python_bounded, telar_bounded

from telar.cli import main
from telar.errors import FileWriteError, TelarError
from telar.text import printable

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent / "data"))
from data_helpers import tiny_arrays, write_tiny_idx  # noqa: E402


@pytest.fixture
def tiny_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TELAR_MIRROR", "http://127.0.0.1:9/")
    return write_tiny_idx(tmp_path / "data", tiny_arrays())


def test_data_info_on_a_full_device_is_one_line_and_status_2(tiny_data):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "telar", "data", "info", "--data",
                                 str(tiny_data)], stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=60)
    assert_one_line_error(result, "cannot write to standard output: No space left on device")


WRITE = ("import sys; from telar.atomic import atomic_write_bytes; "
         "atomic_write_bytes(sys.argv[1], b'new' * 1_000_000)")


def test_a_file_too_large_for_ulimit_f_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(b"the previous model")
    result = python_bounded(WRITE, str(target), file_size=1 << 20)
    assert "FileWriteError" in result.stderr
    assert f"{target}: cannot write: File too large" in result.stderr
    assert target.read_bytes() == b"the previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_export_on_a_full_disk_is_one_line_naming_the_file_and_leaves_no_part(tiny_data,
                                                                                tmp_path):
    out = tmp_path / "export"
    result = telar_bounded("data", "export", "--data", str(tiny_data), "--out", str(out),
                           file_size=48 << 10)  # the 90 KB training CSV does not fit
    assert_one_line_error(result, str(out / "fashion-mnist_train.csv"), "File too large")
    assert list(out.iterdir()) == []


def test_file_write_error_is_both_a_telar_error_and_an_os_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    from telar.atomic import atomic_write_text
    with pytest.raises(FileWriteError) as info:
        atomic_write_text(blocker / "summary.json", "{}")  # a folder under a regular file
    assert isinstance(info.value, TelarError) and isinstance(info.value, OSError)
    assert str(info.value) == f"{blocker / 'summary.json'}: cannot write: Not a directory"


# --- control characters --------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "shown"), [
    ("Coat\x1b[2J\x1b[31m", "Coat\\x1b[2J\\x1b[31m"),
    ("Bag\rT-shirt", "Bag\\rT-shirt"),
    ("two\nlines", "two\\nlines"),
    ("del\x7f and c1 \x9b", "del\\x7f and c1 \\x9b"),
    ("Sandal\u202eloot", "Sandal\\u202eloot"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("sep\u2028line", "sep\\u2028line"),
    ("bad byte \udcff", "bad byte \\udcff"),
])
def test_printable_escapes_control_and_format_characters(raw, shown):
    assert printable(raw) == shown


def test_printable_keeps_ordinary_text_of_any_script():
    for text in ("T-shirt/top", "Ankle boot", "Zapato — 靴", "Robe d'été", "Δ 😀", ""):
        assert printable(text) == text


def test_an_error_naming_a_path_with_escape_codes_stays_one_line(tmp_path, capsys):
    evil = tmp_path / "x\n\x1b[31mfake: all good\x1b[0m"
    with pytest.raises(SystemExit) as info:
        main(["data", "info", "--data", str(evil), "--no-download"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err
    assert "x\\n\\x1b[31mfake" in err


# --- the Python API refuses what NumPy would only fail on later -----------------------------

@pytest.mark.parametrize("value", ["abc", None, b"bytes", np.array([1, None], dtype=object),
                                   np.array(["1", "2"]), np.array(["2020-01-01"],
                                                                  dtype="datetime64[D]")])
def test_a_tensor_of_something_other_than_numbers_is_refused_at_construction(value):
    import telar
    with pytest.raises(TypeError, match="a Tensor holds numbers"):
        telar.Tensor(value)


def test_tensors_of_numbers_are_still_accepted():
    import telar
    for value in (1, 2.5, True, [1, 2], np.arange(3), np.ones(2, np.complex64)):
        assert telar.Tensor(value).data.dtype.kind in "biufc"


@pytest.mark.parametrize("make", [
    lambda optim, p, q: optim.SGD([p, q, p], lr=0.1),
    lambda optim, p, q: optim.Adam([{"params": [p]}, {"params": [q, p]}], lr=0.1),
])
def test_an_optimiser_given_one_parameter_twice_refuses_it(make):
    import telar
    from telar import optim
    p = telar.Tensor(np.zeros(3), requires_grad=True)
    q = telar.Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(TelarError, match="is parameter 0 again"):
        make(optim, p, q)


def test_sgd_with_distinct_parameters_moves_each_once():
    import telar
    from telar import optim
    p = telar.Tensor(np.zeros(2), requires_grad=True)
    q = telar.Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([p, q], lr=0.5)
    p.grad, q.grad = np.ones(2), np.full(2, 2.0)
    opt.step()
    np.testing.assert_array_equal(p.data, [-0.5, -0.5])
    np.testing.assert_array_equal(q.data, [-1.0, -1.0])

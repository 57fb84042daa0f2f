"""``telar gradcheck``: a table per model, exit 0 when every parameter passes, 1 or 2 otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from telar import functional
from telar.app.cli import main


def test_gradcheck_command_passes_a_tanh_batchnorm_model_and_prints_each_parameter(capsys):
    status = main(["gradcheck", "--hidden", "6,5", "--activation", "tanh", "--batch-norm",
                   "--input-size", "12", "--max-entries", "20"])
    out = capsys.readouterr().out
    assert status == 0
    for name in ("1.weight", "2.weight", "2.bias", "4.weight", "5.weight", "5.bias", "7.weight",
                 "7.bias"):
        assert f"\n{name} " in out
    assert "FAIL" not in out and "1 of 1 models passed" in out


def test_gradcheck_command_checks_the_built_in_list(capsys):
    assert main(["gradcheck", "--all", "--hidden", "4", "--input-size", "6",
                 "--max-entries", "8"]) == 0
    out = capsys.readouterr().out
    assert "9 of 9 models passed" in out
    for name in ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "dropout 0.3"):
        assert name in out


def test_gradcheck_command_exits_1_when_a_backward_rule_is_wrong(capsys, monkeypatch):
    from telar.engine import make_result

    def broken_tanh(x):  # forward right, backward missing the (1 - tanh^2) factor
        out = np.tanh(x.data)
        return make_result(out, (x,), lambda g: (g,))

    monkeypatch.setattr(functional, "tanh", broken_tanh)
    status = main(["gradcheck", "--hidden", "5", "--activation", "tanh", "--input-size", "7"])
    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL" in out and "FAILED" in out and "0 of 1 models passed" in out


@pytest.mark.parametrize("argv, message", [
    (["--hidden", "8,x"], "--hidden takes sizes like 32,16"),
    (["--activation", "swish"], "invalid choice: 'swish'"),
    (["--batch", "1"], "--batch must be at least 2"),
    (["--dropout", "1.5"], "dropout must be in"),
    (["--eps", "0"], "--eps must be a finite step > 0, got 0.0"),
    (["--eps", "nan"], "--eps must be a finite step > 0, got nan"),
    (["--atol", "-1"], "--atol must be a finite tolerance >= 0, got -1.0"),
    (["--rtol", "inf"], "--rtol must be a finite tolerance >= 0, got inf"),
    (["--seed", "-1"], "--seed must be >= 0, got -1"),
    (["--label-smoothing", "5"], "--label-smoothing must be in [0, 1], got 5.0"),
])
def test_gradcheck_command_bad_options_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", *argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("telar: error:") and message in err and err.count("\n") == 1

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
        out = np.tanh(x.array)
        return make_result(out, (x,), lambda g: (g,))

    monkeypatch.setattr(functional, "tanh", broken_tanh)
    status = main(["gradcheck", "--hidden", "5", "--activation", "tanh", "--input-size", "7"])
    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL" in out and "FAILED" in out and "0 of 1 models passed" in out


@pytest.mark.parametrize("argv, message", [
    (["--hidden", "8,x"], "--hidden: cannot read '8,x' as a comma-separated list of layer "
                          "widths"),
    (["--hidden", "8,0"], "--hidden: expected a list of layer widths, each an integer in "
                          "[1, 65536], got 8,0"),
    (["--activation", "swish"], "invalid choice: 'swish'"),
    (["--batch", "1"], "--batch: expected an integer in [2, 4096], got 1"),
    (["--dropout", "1.5"], "--dropout: expected a probability in [0, 1), got 1.5"),
    (["--eps", "0"], "--eps: expected a number > 0, got 0"),
    (["--eps", "nan"], "--eps: expected a finite number, got nan"),
    (["--atol", "-1"], "--atol: expected a number >= 0, got -1"),
    (["--rtol", "inf"], "--rtol: expected a finite number, got inf"),
    (["--seed", "-1"], "--seed: expected an integer >= 0, got -1"),
    (["--label-smoothing", "5"], "--label-smoothing: expected a number in [0, 1), got 5"),
    (["--classes", "1"], "--classes: expected an integer in [2, 65536], got 1"),
    (["--max-entries", "0"], "--max-entries: expected an integer >= 1, got 0"),
])
def test_gradcheck_command_bad_options_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["gradcheck", *argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.startswith("telar: error:") and message in err and err.count("\n") == 1


def test_gradcheck_refuses_a_network_over_the_size_budget_in_one_line(capsys):
    from helpers.cli_error import one_line_error

    one_line_error(capsys, ["gradcheck", "--hidden", "65536,65536"],
                   "--hidden: 4,347,133,962 parameters", "telar's limit is 100,000,000")

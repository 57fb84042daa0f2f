"""The constraints module: each constraint accepts and converts good values, refuses bad ones in
one line naming where, what was expected and what came, and reads command-line text."""

from __future__ import annotations

import ast
import doctest
import math
from pathlib import Path

import numpy as np
import pytest

import telar.constraints as C
from telar.errors import ConfigError


def refusal(constraint: C.Constraint, value, where: str = "--x", *, text: bool = False) -> str:
    with pytest.raises(ConfigError) as info:
        (constraint.parse if text else constraint.check)(value, where)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_the_examples_in_the_module_docstring_hold():
    result = doctest.testmod(C)
    assert result.attempted >= 3 and result.failed == 0


def test_the_module_imports_only_errors_the_standard_library_and_numpy():
    tree = ast.parse(Path(C.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    telar_modules = {name for name in imported if name.split(".")[0] == "telar"}
    assert telar_modules == {"telar.errors"}
    assert {name.split(".")[0] for name in imported} <= {"telar", "numpy", "math", "typing",
                                                         "collections", "__future__"}


@pytest.mark.parametrize("constraint, value, expected", [
    (C.Integer(min=1), 3, 3),
    (C.Integer(min=1), np.int64(7), 7),
    (C.Integer(0, 14, whole_floats=True), 2.0, 2),
    (C.Number(0, 1, high_open=True), 0, 0.0),
    (C.Number(0, 1), 1, 1.0),
    (C.Number(low=0, low_open=True), np.float32(0.5), 0.5),
    (C.Boolean(), np.bool_(True), True),
    (C.OneOf(("report", "mlp"), aliases={"seed": "report"}), "seed", "report"),
    (C.Text(), "a/b.csv", "a/b.csv"),
    (C.ListOf(C.WIDTH, min_len=1, noun="width"), (64, 32), [64, 32]),
    (C.Pair(C.WINDOW), [3, 3], 3),
    (C.Pair(C.WINDOW), (3, 5), [3, 5]),
    (C.Optional(C.Pair(C.WINDOW)), None, None),
    (C.Either(C.OneOf(("same",)), C.Pair(C.PADDING)), "same", "same"),
    (C.Either(C.OneOf(("same",)), C.Pair(C.PADDING)), [0, 1], [0, 1]),
    (C.SHAPE, [1, 28, 28], [1, 28, 28]),
])
def test_good_values_come_back_converted_to_their_canonical_form(constraint, value, expected):
    result = constraint.check(value, "where")
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("constraint, value, message", [
    (C.EPOCHS, 0, "--x: expected an integer >= 1, got 0"),
    (C.EPOCHS, True, "--x: expected an integer >= 1, got True"),
    (C.EPOCHS, 2.0, "--x: expected an integer >= 1, got 2.0"),
    (C.WIDTH, 65537, "--x: expected an integer in [1, 65536], got 65537"),
    (C.Integer(max=3), 4, "--x: expected an integer <= 3, got 4"),
    (C.Integer(0, 14, whole_floats=True), 2.5, "--x: expected an integer in [0, 14], got 2.5"),
    (C.DROPOUT, 1.0, "--x: expected a probability in [0, 1), got 1.0"),
    (C.DROPOUT, -0.1, "--x: expected a probability in [0, 1), got -0.1"),
    (C.DROPOUT, "0.5", "--x: expected a probability in [0, 1), got '0.5'"),
    (C.PROBABILITY, 1.5, "--x: expected a probability in [0, 1], got 1.5"),
    (C.LEARNING_RATE, 0, "--x: expected a number > 0, got 0"),
    (C.LEARNING_RATE, math.inf, "--x: expected a finite number, got inf"),
    (C.WEIGHT_DECAY, math.nan, "--x: expected a finite number, got nan"),
    (C.Number(high=2, high_open=True), 2, "--x: expected a number < 2, got 2"),
    (C.Number(0, 180, noun="an angle", unit="degrees"), 200,
     "--x: expected an angle in [0, 180] degrees, got 200"),
    (C.Boolean(), "yes", "--x: expected true or false, got 'yes'"),
    (C.OneOf(("a", "b")), "c", "--x: expected one of a, b, got 'c'"),
    (C.OneOf(("same",)), 0, "--x: expected 'same', got 0"),
    (C.Text(), 3, "--x: expected text, got 3"),
    (C.ListOf(C.WIDTH, min_len=1, noun="width"), [],
     "--x: expected a list of 1 or more widths, each an integer in [1, 65536], got []"),
    (C.ListOf(C.WIDTH, min_len=1, noun="width"), [64, 0],
     "--x: expected a list of 1 or more widths, each an integer in [1, 65536], got [64, 0]"),
    (C.ListOf(C.Text(), max_len=1), ["a", "b"],
     "--x: expected a list of up to 1 items, each text, got ['a', 'b']"),
    (C.Pair(C.WINDOW), [3, 3, 3],
     "--x: expected an integer >= 1, or two of them (HxW), got [3, 3, 3]"),
    (C.Pair(C.WINDOW), 0, "--x: expected an integer >= 1, or two of them (HxW), got 0"),
    (C.Optional(C.WINDOW), 0, "--x: expected an integer >= 1, or none, got 0"),
    (C.SHAPE, [4096, 4096, 2],
     "--x: expected a list of 1 to 4 dimensions, each an integer >= 1, at most 16777216 "
     "values in all, got [4096, 4096, 2]"),
    (C.SHAPE, 784, "--x: expected a list of 1 to 4 dimensions"),
])
def test_bad_values_are_one_line_errors_naming_where_what_was_expected_and_what_came(
        constraint, value, message):
    assert refusal(constraint, value).startswith(message)


def test_a_long_value_is_cut_in_the_message():
    message = refusal(C.Text(), list(range(1000)))
    assert message.endswith("...") and len(message) < 120


@pytest.mark.parametrize("constraint, text, expected", [
    (C.EPOCHS, " 12 ", 12),
    (C.Integer(0, 14, whole_floats=True), "2.0", 2),
    (C.DROPOUT, "0.25", 0.25),
    (C.LABEL_SMOOTHING, "1e-1", 0.1),
    (C.Boolean(), "Yes", True),
    (C.Boolean(), "off", False),
    (C.OneOf(("handwritten", "autograd"), aliases={"manual": "handwritten"}), " manual",
     "handwritten"),
    (C.ListOf(C.WIDTH, noun="width"), "64, 32,16", [64, 32, 16]),
    (C.ListOf(C.WIDTH, noun="width"), "", []),
])
def test_command_line_text_is_read_then_checked(constraint, text, expected):
    assert constraint.parse(text, "--x") == expected


@pytest.mark.parametrize("constraint, text, message", [
    (C.EPOCHS, "ten", "--x: cannot read 'ten' as an integer"),
    (C.EPOCHS, "2.5", "--x: cannot read '2.5' as an integer"),
    (C.LEARNING_RATE, "fast", "--x: cannot read 'fast' as a number"),
    (C.LEARNING_RATE, "nan", "--x: expected a finite number, got nan"),
    (C.DROPOUT, " 1 ", "--x: expected a probability in [0, 1), got 1"),
    (C.DROPOUT, "nan", "--x: expected a probability in [0, 1), got nan"),
    (C.OneOf(("a", "b")), " c ", "--x: expected one of a, b, got 'c'"),
    (C.Boolean(), "maybe", "--x: cannot read 'maybe' as true or false"),
    (C.ListOf(C.WIDTH, noun="width"), "64,x",
     "--x: cannot read '64,x' as a comma-separated list of widths"),
    (C.ListOf(C.WIDTH, noun="width"), "64,0",
     "--x: expected a list of widths, each an integer in [1, 65536], got 64,0"),
])
def test_unreadable_or_bad_command_line_text_is_one_line(constraint, text, message):
    assert refusal(constraint, text, text=True) == message


def test_parse_checks_values_that_are_not_text_as_they_are():
    assert C.EPOCHS.parse(3, "f: epochs") == 3
    assert refusal(C.EPOCHS, 3.0, "f: epochs", text=True) == \
        "f: epochs: expected an integer >= 1, got 3.0"


def test_a_table_fills_defaults_checks_each_key_where_it_is_and_refuses_unknown_keys():
    table = C.Table({"p": C.DROPOUT, "n": C.EPOCHS, "name": C.Text()}, required=("name",),
                    defaults={"p": 0.0})
    assert table.check({"name": "x", "n": 2}, "spec") == {"p": 0.0, "name": "x", "n": 2}
    assert refusal(table, {"name": "x", "p": 1}, "spec") == \
        "spec.p: expected a probability in [0, 1), got 1"
    assert refusal(table, {"name": "x", "q": 1, "r": 2}, "spec") == \
        "spec: unknown keys 'q', 'r'; known: p, n, name"
    assert refusal(table, {"p": 0.5}, "spec") == "spec: needs 'name'"
    assert refusal(table, [1], "spec") == "spec: expected a table, got [1]"
    assert C.Table({"n": C.EPOCHS}, open=True).check({"n": 1, "note": "kept"}) == \
        {"n": 1, "note": "kept"}


def test_a_custom_rule_gets_the_value_and_the_place_and_reads_text_itself():
    def even(value, where):
        if int(value) % 2:
            raise ConfigError(f"{where}: odd")
        return int(value) // 2

    rule = C.Custom(even, "an even number")
    assert rule.check(4, "n") == 2 and rule.parse(6, "n") == 3 and rule.parse("8", "n") == 4
    assert refusal(rule, 3, "n") == "n: odd" and refusal(rule, "5", "n", text=True) == "n: odd"


def test_a_message_without_a_place_starts_with_what_was_expected():
    assert refusal(C.EPOCHS, 0, "") == "expected an integer >= 1, got 0"


def test_the_shared_concepts_hold_the_rules_telar_documents():
    assert C.DROPOUT.check(0.0) == 0.0 and C.PROBABILITY.check(1) == 1.0
    for bad in (1.0, -1e-9, math.nan):
        with pytest.raises(ConfigError):
            C.DROPOUT.check(bad)
    assert C.WIDTH.check(C.MAX_WIDTH) == 65536
    assert C.DTYPE.check("float64") == "float64"
    assert C.SEED.check(0) == 0 and C.CLASSES.check(2) == 2
    for constraint, bad in ((C.SEED, -1), (C.CLASSES, 1), (C.DTYPE, "int8"),
                            (C.SCALE, 0), (C.EPOCH_COUNT, -1), (C.INPUT_WIDTH, 1 << 25)):
        with pytest.raises(ConfigError):
            constraint.check(bad)

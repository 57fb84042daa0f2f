"""The layer registry: every activation is a layer, every argument has a constraint, and the
help text lists every layer with its arguments and defaults."""

from __future__ import annotations

import pytest

from telar import nn
from telar.constraints import DROPOUT, Constraint
from telar.nn import build_sequential
from telar.nn.registry import LAYERS, grammar_help, lookup, text_of


def test_every_activation_of_the_registry_is_a_layer():
    for name in nn.ACTIVATIONS:
        assert name in LAYERS
        assert isinstance(build_sequential(name, (3,))[0], nn.ACTIVATIONS[name])


def test_every_argument_is_checked_by_a_constraint_and_dropout_by_the_shared_one():
    for entry in LAYERS.values():
        assert all(isinstance(arg.constraint, Constraint) for arg in entry.args), entry.name
    assert LAYERS["dropout"].arg("p").constraint is DROPOUT
    assert LAYERS["dropout2d"].arg("rate").constraint is DROPOUT


def test_names_and_aliases_are_found_in_any_case_and_near_misses_get_a_hint():
    assert lookup("Conv2D") is LAYERS["conv"] and lookup("fc") is LAYERS["linear"]
    with pytest.raises(ValueError, match=r"unknown layer 'lineer' \(did you mean linear\?\)"):
        lookup("lineer")


def test_values_are_written_as_the_text_form_reads_them():
    assert [text_of(v) for v in (True, [3, 5], None, "he_normal", 0.3, "two words")] == \
        ["true", "3x5", "none", "he_normal", "0.3", "'two words'"]


def test_the_help_lists_every_layer_with_its_arguments_and_defaults():
    lines = grammar_help().splitlines()
    assert len(lines) == len(LAYERS)
    conv = next(line for line in lines if line.startswith("conv("))
    assert conv.startswith("conv(out, kernel, stride=1, padding=0, dilation=1, bias=true, "
                           "init=pytorch) (also conv2d): Conv2d")
    assert any(line.startswith("maxpool(kernel, stride=none, padding=0)") for line in lines)

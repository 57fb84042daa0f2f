"""Backward nodes named from their rules: the operation a rule was defined in, or its ``op``."""

from __future__ import annotations

from telar.engine.node_names import node_name


def test_a_rule_is_named_after_the_operation_that_defined_it():
    def linear():
        return lambda g: g

    def softplus_with_margin():
        def backward(g):
            return g
        return backward

    assert node_name(linear()) == "AddmmBackward0"
    assert node_name(softplus_with_margin()) == "SoftplusWithMarginBackward0"

    class Named:
        op = "HuberLossBackward0"

    assert node_name(Named()) == "HuberLossBackward0"

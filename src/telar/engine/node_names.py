"""PyTorch's names of backward nodes (``AddBackward0``, ``NllLossBackward0``...) for telar's
recorded operations, read from each backward rule: every rule is defined inside the function
of its operation (``add.<locals>.backward``), so its ``__qualname__`` names the operation; a
rule may also carry the name itself (``op``, see :mod:`telar.engine.grad_fn`).

>>> node_name(None), TORCH_NAMES["linear"]
('Backward0', 'AddmmBackward0')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: telar operation -> PyTorch's node name (other operations: ``<CamelCase>Backward0``).
TORCH_NAMES = {
    "add": "AddBackward0", "sub": "SubBackward0", "mul": "MulBackward0", "div": "DivBackward0",
    "neg": "NegBackward0", "pow": "PowBackward0", "matmul": "MmBackward0",
    "linear": "AddmmBackward0", "exp": "ExpBackward0", "log": "LogBackward0",
    "sqrt": "SqrtBackward0", "abs": "AbsBackward0", "clamp": "ClampBackward1",
    "maximum": "MaximumBackward0", "sum": "SumBackward0", "mean": "MeanBackward0",
    "max": "MaxBackward1", "min": "MinBackward1", "reshape": "ViewBackward0",
    "transpose": "PermuteBackward0", "getitem": "IndexBackward0", "gather": "GatherBackward0",
    "concatenate": "CatBackward0", "stack": "StackBackward0", "squeeze": "SqueezeBackward1",
    "unsqueeze": "UnsqueezeBackward0", "cast": "ToCopyBackward0", "relu": "ReluBackward0",
    "sigmoid": "SigmoidBackward0", "tanh": "TanhBackward0", "softmax": "SoftmaxBackward0",
    "log_softmax": "LogSoftmaxBackward0", "fused_cross_entropy": "NllLossBackward0",
    "nll_loss": "NllLossBackward0", "conv2d": "ConvolutionBackward0",
    "max_pool2d": "MaxPool2DWithIndicesBackward0", "avg_pool2d": "AvgPool2DBackward0",
    "dropout": "MulBackward0", "batch_norm": "NativeBatchNormBackward0",
    "log1p": "Log1PBackward0", "expm1": "Expm1Backward0", "round": "RoundBackward0",
}


def node_name(rule: Callable[..., Any] | None) -> str:
    """PyTorch's name of the node whose backward rule is ``rule``."""
    op = getattr(rule, "op", None)
    if not op:  # the innermost function the rule was defined in, else the rule's own name
        parts = getattr(rule, "__qualname__", "").split(".<locals>.")
        op = parts[-2] if len(parts) > 1 else parts[0]
    if op in TORCH_NAMES:
        return TORCH_NAMES[op]
    if op.endswith("Backward0"):
        return op
    return "".join(part.capitalize() for part in op.split("_")) + "Backward0"


__all__ = ["TORCH_NAMES", "node_name"]

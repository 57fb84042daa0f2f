"""``telar.evaluation``: the path the README's examples import the scorer from.

The scorer itself is :mod:`telar.app.evaluation`; this module only keeps its public path.
"""

from telar.app.evaluation import (  # noqa: F401
    Evaluation,
    accuracy,
    confusion_matrix,
    evaluate,
    per_class_report,
)

__all__ = ["Evaluation", "accuracy", "confusion_matrix", "evaluate", "per_class_report"]

"""``telar evaluate MODEL_OR_RUN_DIR``: accuracy, loss, per-class scores, confusion matrix.

The model file is checked before anything else (format, version, checksums, no pickle); a bad
one is a one-line error. Data: ``--csv FILE`` (Kaggle layout), ``--data DIR``, or by default
the test set the run was trained with (a run folder) or that telar finds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from telar.app.inference import Predictor
from telar.app.run_folder import RunFolder
from telar.errors import DataError, TelarError
from telar.io.text import printable

#: Shown at the end of ``telar evaluate --help``.
EXAMPLES: tuple[str, ...] = (
    'telar evaluate runs/cnn',
    'telar evaluate runs/cnn/model.npz --json',
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="score a trained model on a test set",
        description="Accuracy, cross-entropy loss, per-class precision/recall/F1 "
                    "(scikit-learn) and the confusion matrix of a model file or run folder.")
    parser.add_argument("model", metavar="MODEL_OR_RUN_DIR",
                        help="a model.npz file, or a run folder holding one")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="DIR", help="data set folder: use its test set")
    source.add_argument("--csv", metavar="FILE", help="a Kaggle-layout CSV with labels")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def model_path(target: Path) -> Path:
    return RunFolder(target).model_path if target.is_dir() else target


def run_data_settings(target: Path) -> dict[str, str]:
    """The data settings of the run in ``target`` (a folder), from its config.toml."""
    folder = RunFolder(target)
    if not target.is_dir() or not folder.config_path.is_file():
        return {}
    try:
        table = folder.train_section()
    except TelarError:
        return {}  # an unreadable config: use the default data, as for a bare model file
    if not isinstance(table, dict):
        return {}
    return {k: v for k in ("data", "test_csv", "train_csv")
            if isinstance(v := table.get(k, ""), str)}


def load_test_set(args: argparse.Namespace, target: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """``(images uint8 (n, 28, 28), labels, where they came from)``."""
    from telar.data import load_fashion_mnist, read_kaggle_csv

    if args.csv:
        images, labels = read_kaggle_csv(args.csv)
        return images, labels, args.csv
    settings = {} if args.data else run_data_settings(target)
    data = load_fashion_mnist(args.data or settings.get("data") or None,
                              train_csv=settings.get("train_csv") or None,
                              test_csv=settings.get("test_csv") or None)
    return data.test_images, data.test_labels, f"{data.source} (test set)"


def evaluate_model(predictor: Predictor, images: np.ndarray, labels: np.ndarray
                   ) -> dict[str, Any]:
    """The scores of ``predictor`` on ``images`` (uint8) against ``labels``, as JSON-able data."""
    from telar.app.evaluation import evaluate

    y = labels.astype(np.int64)
    n_classes = len(predictor.class_names)
    if y.size and int(y.max()) >= n_classes:
        raise DataError(f"the labels go up to {int(y.max())} but {predictor.path} knows "
                        f"{n_classes} classes")
    scores = evaluate(predictor, predictor.preprocess(images), y)
    return {
        "model": str(predictor.path), "n": scores.n,
        "accuracy": scores.accuracy, "loss": scores.loss,
        "per_class": scores.per_class(predictor.class_names),
        "confusion_matrix": scores.confusion_matrix(n_classes).tolist(),
        "class_names": list(predictor.class_names),
    }


def format_report(result: dict[str, Any]) -> str:
    lines = [f"model     {result['model']}", f"data      {result['data']}",
             f"images    {result['n']}",
             f"accuracy  {result['accuracy']:.4f}", f"loss      {result['loss']:.4f}", "",
             f"{'class':<14}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for name, scores in result["per_class"].items():
        if name == "macro avg":
            lines.append("")
        lines.append(f"{name:<14}{scores['precision']:>10.4f}{scores['recall']:>10.4f}"
                     f"{scores['f1']:>10.4f}{scores['support']:>9d}")
    names = result["class_names"]
    short = [n.split("/")[0][:7] for n in names]
    lines += ["", "confusion matrix (rows: true class, columns: predicted)",
              " " * 14 + "".join(f"{s:>8}" for s in short)]
    for name, row in zip(names, result["confusion_matrix"], strict=True):
        lines.append(f"{name:<14}" + "".join(f"{v:>8d}" for v in row))
    # Class names and paths come from files: escape their control characters.
    return "\n".join(printable(line) for line in lines)


def run(args: argparse.Namespace) -> int:
    from telar.app.inference import load_predictor

    target = Path(args.model)
    predictor = load_predictor(model_path(target))  # a bad file fails before any data is read
    images, labels, where = load_test_set(args, target)
    result = evaluate_model(predictor, images, labels)
    result["data"] = where
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0

"""``telar evaluate MODEL_OR_RUN_DIR``: accuracy, loss, per-class scores, confusion matrix.

The model file is checked before anything else (format, version, checksums, no pickle); a bad
one is a one-line error. Data: ``--csv FILE`` (Kaggle layout), ``--data DIR``, or by default
the test set the run was trained with (a run folder) or that telar finds.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np


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
    return target / "model.npz" if target.is_dir() else target


def run_data_settings(target: Path) -> dict[str, str]:
    """The data settings of the run in ``target`` (a folder), from its config.toml."""
    config = target / "config.toml"
    if not target.is_dir() or not config.exists():
        return {}
    try:
        table = tomllib.loads(config.read_text(encoding="utf-8")).get("train", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return {k: table.get(k, "") for k in ("data", "test_csv", "train_csv")}


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


def evaluate_model(path: Path, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    from telar.inference import load_predictor
    from telar.metrics import confusion_matrix, per_class_report
    from telar.train.learner import log_softmax_cross_entropy

    predictor = load_predictor(path)
    x = predictor.preprocess(images)
    y = labels.astype(np.int64)
    n_classes = len(predictor.class_names)
    if y.size and int(y.max()) >= n_classes:
        from telar.errors import DataError
        raise DataError(f"the labels go up to {int(y.max())} but {path} knows "
                        f"{n_classes} classes")
    logits = np.concatenate([predictor.logits(x[i:i + 8192]) for i in range(0, len(x), 8192)])
    predictions = logits.argmax(axis=1)
    return {
        "model": str(path), "n": int(len(y)),
        "accuracy": float((predictions == y).mean()),
        "loss": float(log_softmax_cross_entropy(logits, y).mean()),
        "per_class": per_class_report(y, predictions, predictor.class_names),
        "confusion_matrix": confusion_matrix(y, predictions, n_classes).tolist(),
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
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from telar.inference import load_predictor

    target = Path(args.model)
    path = model_path(target)
    load_predictor(path)  # refuse a bad model file before reading any data
    images, labels, where = load_test_set(args, target)
    result = evaluate_model(path, images, labels)
    result["data"] = where
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0

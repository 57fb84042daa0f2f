"""``telar summary RUN``: a trained model's layers, output shapes and parameters (as Keras's
``model.summary()`` prints them), with what the model file says about its training."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

#: Shown at the end of ``telar summary --help``.
EXAMPLES: tuple[str, ...] = (
    'telar summary runs/cnn',
    'telar summary runs/cnn/model.npz',
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "summary", help="a trained model's layers, output shapes and parameter counts",
        description="Print the model's layers in the order they run, each with its output "
                    "shape (traced with one blank image) and parameter count, then the totals "
                    "and what the model file records (classes, preprocessing, epochs, test "
                    "accuracy).")
    parser.add_argument("model", metavar="MODEL_OR_RUN_DIR",
                        help="a model file (model.npz) or a run folder holding one")
    parser.set_defaults(func=run)


def handwritten_rows(sizes: list[int]) -> list[Any]:
    """The report's kind of network as layers: ``Linear`` then ``ReLU``, the last one bare."""
    from telar.nn.summary import LayerRow

    rows = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        count = n_in * n_out + n_out
        rows.append(LayerRow(f"dense{i + 1}", "Linear", (n_out,), count, count))
        if i < len(sizes) - 2:
            rows.append(LayerRow(f"relu{i + 1}", "ReLU", (n_out,), 0, 0))
    return rows


def run(args: argparse.Namespace) -> int:
    from telar.app.cli.evaluate import model_path
    from telar.app.inference import load_predictor
    from telar.nn import Module
    from telar.nn.summary import format_summary, trace_layers

    predictor = load_predictor(model_path(Path(args.model)))
    model = predictor.model_file
    network = predictor.network
    if isinstance(network, Module):
        shape = [int(d) for d in model.preprocessing.get("input_shape", [28, 28])]
        blank = predictor.preprocess(np.zeros((1, *shape), np.uint8))
        rows = trace_layers(network, run=lambda: predictor.logits(blank))
    else:
        rows = handwritten_rows(list(model.architecture["sizes"]))
    kind = model.architecture.get("kind", "?")
    print(format_summary(rows, f"{kind} network in {predictor.path}"))
    meta = model.meta
    facts = {"classes": f"{len(model.class_names)} ({', '.join(model.class_names)})",
             "input": "uint8 images " + "x".join(map(str, model.preprocessing.get(
                 "input_shape", [28, 28]))) + ", scaled to [0, 1]"}
    for key, label in (("preset", "preset"), ("trained_epochs", "trained epochs"),
                       ("test_accuracy", "test accuracy")):
        if key in meta:
            facts[label] = f"{meta[key]:.4f}" if isinstance(meta[key], float) else str(meta[key])
    for label, value in facts.items():
        print(f"{label}: {value}")
    return 0

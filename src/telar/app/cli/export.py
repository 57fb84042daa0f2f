"""``telar export RUN --format onnx|safetensors --out FILE [--overwrite]``.

ONNX: the network with its preprocessing and softmax, raw uint8 28x28 images in, class
probabilities out, the class names in the model's metadata (ONNX Runtime runs it).
safetensors: the weights under their state-dict names, for PyTorch or ``telar.load_safetensors``.
Nothing is written when the run holds no model or the output exists without ``--overwrite``.
"""

from __future__ import annotations

import argparse
from typing import Any

from telar.io.text import printable

#: Shown at the end of ``telar export --help``.
EXAMPLES: tuple[str, ...] = (
    'telar export runs/cnn --format onnx --out runs/cnn/model.onnx',
    'telar export runs/cnn --format safetensors --out runs/cnn/model.safetensors',
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export", help="write a trained model as ONNX or safetensors",
        description="Export RUN's model (a run folder or a model.npz): --format onnx writes "
                    "one ONNX graph that takes raw uint8 images (batch, 28, 28) and gives "
                    "class probabilities and logits, preprocessing included, class names in "
                    "its metadata; --format safetensors writes the weights by their "
                    "state-dict names (PyTorch's, for layer and dense networks).")
    parser.add_argument("run", metavar="RUN", help="a run folder, or a model.npz file")
    parser.add_argument("--format", required=True, choices=("onnx", "safetensors"),
                        help="the file format to write")
    parser.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace FILE if it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from telar.app.export import export_model

    out = export_model(args.run, args.format, args.out, overwrite=args.overwrite)
    print(f"wrote {printable(str(out))} ({args.format})")
    return 0

"""``telar reproduce``: rerun the report's full-batch experiments and check its claims."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from telar.errors import ConfigError


def _positive_ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated epochs, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"epochs must be positive integers, got {text!r}")
    return values


def _rates(text: str) -> list[float]:
    if text.strip().lower() in ("", "none"):
        return []
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated rates, got {text!r}") from None
    if any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"learning rates must be positive, got {text!r}")
    return values


#: Shown at the end of ``telar reproduce --help``.
EXAMPLES: tuple[str, ...] = (
    'telar reproduce',
    'telar reproduce --epochs 20,200 --out runs/reproduce',
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "reproduce", help="rerun the report's full-batch experiments and check its claims",
        description="Train the report's network (784-64-32-16-10, Adam, full batch) once to "
                    "the last epoch mark, record loss, accuracy and confusion matrix at each "
                    "mark, test the higher learning rates with the stable and the report's "
                    "naive softmax, and write reproduce.md / reproduce.json and figures.")
    p.add_argument("--epochs", type=_positive_ints, default=[20, 200, 1000, 2000],
                   metavar="E1,E2,...", help="epoch marks (default 20,200,1000,2000)")
    p.add_argument("--lr", type=float, default=1e-4, help="learning rate (default 1e-4)")
    p.add_argument("--seed", type=int, default=0, help="initialisation seed (default 0)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="output folder (default runs/reproduce-YYYYmmdd-HHMMSS)")
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="folder with the Fashion-MNIST IDX files or Kaggle CSVs")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="train on the first N training images only (quick checks)")
    p.add_argument("--naive-softmax", action="store_true",
                   help="main run with the report's naive softmax (no max subtraction)")
    p.add_argument("--high-lrs", type=_rates, default=[1e-3, 1e-2], metavar="R1,R2",
                   help="higher learning rates to test, or 'none' (default 1e-3,1e-2)")
    p.add_argument("--high-lr-epochs", type=int, default=200, metavar="E",
                   help="epochs for each higher-learning-rate run (default 200)")
    p.add_argument("--overwrite", action="store_true",
                   help="write into --out even if it holds files (they may be replaced)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from telar.app.reproduce import reproduce
    from telar.app.reproduce.experiment import Split
    from telar.app.run_folder import ReproduceFolder
    from telar.data import load_fashion_mnist, to_float

    if args.limit is not None and args.limit < 10:
        raise ConfigError(f"--limit must be at least 10 images, got {args.limit}")
    if args.high_lr_epochs < 1:
        raise ConfigError(f"--high-lr-epochs must be positive, got {args.high_lr_epochs}")
    if not args.lr > 0 or not np.isfinite(args.lr):
        raise ConfigError(f"--lr must be a positive number, got {args.lr}")
    if args.seed < 0:
        raise ConfigError(f"--seed must be an integer >= 0, got {args.seed}")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"--out {args.out}: exists and is not a folder")
    data = load_fashion_mnist(args.data, progress=not args.no_progress)
    x, y = to_float(data.train_images), data.train_labels.astype(np.int64)
    if args.limit is not None:
        x, y = x[: args.limit], y[: args.limit]
    test = Split(to_float(data.test_images), data.test_labels.astype(np.int64))
    folder = ReproduceFolder(args.out) if args.out else \
        ReproduceFolder.fresh("runs", time.strftime("reproduce-%Y%m%d-%H%M%S"))
    with folder.claim(overwrite=args.overwrite):
        doc = reproduce(Split(x, y), test, folder, class_names=data.class_names,
                        marks=args.epochs, lr=args.lr, seed=args.seed,
                        naive_softmax=args.naive_softmax, high_lrs=args.high_lrs,
                        high_lr_epochs=args.high_lr_epochs, progress=not args.no_progress,
                        source=data.source)
    print(f"{'epochs':>7} {'train loss':>10} {'train acc':>9} {'test loss':>9} {'test acc':>8}")
    for m in doc["marks"]:
        print(f"{m['epoch']:>7} {m['train_loss']:>10.4f} {m['train_accuracy']:>9.4f} "
              f"{m['test_loss']:>9.4f} {m['test_accuracy']:>8.4f}")
    for c in doc["claims"]:
        verdict = "n/a" if c["holds"] is None else ("holds" if c["holds"] else "does NOT hold")
        where = c["epoch"] if c["epoch"] is not None else "history"
        print(f"[{where}] {c['claim']}: {verdict}")
    from telar.app.report.reproduce_html import build_reproduce_report

    report = build_reproduce_report(folder.path)
    print(f"wrote {folder.markdown_path}, {folder.record_path}, {report}, figures in "
          f"{folder.figures_path}")
    return 0

"""``telar train``: train a network on Fashion-MNIST into a run folder.

Options override a ``--config`` file, which overrides the ``--preset``. Every value is checked
before any data is read; a bad one is a one-line error naming the option and the value.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from telar.app.runs.config import ACTIVATIONS, INITS
from telar.app.runs.presets import ENGINES, PRESETS
from telar.data.augment import augment_help
from telar.nn.registry import grammar_help
from telar.optim.registry import OPTIMIZERS, SCHEDULES

# (option, help). Values are read as text and checked by telar.app.runs.config (one-line errors).
VALUE_OPTIONS: list[tuple[str, str]] = [
    ("--preset", f"{' | '.join(PRESETS)}: the report's network (default), the best dense "
                 "network, or the convolutional one (old name: seed = report)"),
    ("--engine", f"{' | '.join(ENGINES)}: backprop written by hand (the report's kind of network "
                 "only) or the autodiff engine (old name: manual = handwritten)"),
    ("--epochs", "number of epochs"),
    ("--batch-size", "mini-batch size"),
    ("--lr", "learning rate"),
    ("--seed", "random seed (weights, shuffling, dropout, split)"),
    ("--hidden", "hidden layer sizes, e.g. 64,32,16"),
    ("--activation", " | ".join(ACTIVATIONS)),
    ("--init", "weight initialiser: " + " | ".join(INITS)),
    ("--dropout", "dropout probability after each hidden layer, in [0, 1)"),
    ("--optimizer", "; ".join(f"{name}: {e.help}" for name, e in OPTIMIZERS.items())),
    ("--momentum", "momentum for sgd / rmsprop"),
    ("--weight-decay", "weight decay (L2 for sgd/rmsprop/adam, decoupled for adamw)"),
    ("--schedule", "learning-rate schedule: none; "
                   + "; ".join(f"{name}: {e.help}" for name, e in SCHEDULES.items())),
    ("--warmup", "warm-up epochs for --schedule cosine"),
    ("--label-smoothing", "label smoothing in [0, 1)"),
    ("--augment", augment_help()),
    ("--layers", "the whole network as a layer list (needs --engine autograd), e.g. "
                 "'conv(32,3,padding=1) bn relu maxpool(2) flatten linear(10)': "
                 + grammar_help().replace("%", "%%")),
    ("--val-split", "fraction of the training set held out for validation (0: none)"),
    ("--train-subset", "train on the first N images of the training set only (0: all); "
                       "a --val-split is taken from them"),
    ("--early-stop", "stop after this many epochs without a better validation loss "
                     "and restore the best weights (needs --val-split)"),
    ("--clip-grad", "clip gradients to this global L2 norm (0: off)"),
    ("--data", "folder holding the data set (IDX or Kaggle CSV files)"),
    ("--train-csv", "Kaggle-layout training CSV (with --test-csv)"),
    ("--test-csv", "Kaggle-layout test CSV (with --train-csv)"),
]
METAVARS = {"--preset": "NAME",
            "--engine": "NAME",
            "--epochs": "N",
            "--batch-size": "N",
            "--lr": "LR",
            "--seed": "N",
            "--hidden": "SIZES",
            "--activation": "NAME",
            "--init": "NAME",
            "--dropout": "P",
            "--optimizer": "NAME",
            "--momentum": "M",
            "--weight-decay": "WD",
            "--schedule": "NAME",
            "--warmup": "EPOCHS",
            "--label-smoothing": "EPS",
            "--augment": "SPEC",
            "--layers": "LAYERS",
            "--val-split": "FRACTION",
            "--train-subset": "N",
            "--early-stop": "PATIENCE",
            "--clip-grad": "NORM",
            "--data": "DIR",
            "--train-csv": "FILE",
            "--test-csv": "FILE"}
FLAG_OPTIONS: list[tuple[str, str]] = [
    ("--full-batch", "one update per epoch over the whole training set (the report's way)"),
    ("--batch-norm", "batch normalisation after each hidden linear layer"),
]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train", help="train a network and write a run folder",
        description="Train a classifier on Fashion-MNIST. Writes config.toml, metrics.csv, "
                    "checkpoint.npz, model.npz, summary.json and figures/ to the run folder.")
    for option, help_text in VALUE_OPTIONS:
        parser.add_argument(option, default=argparse.SUPPRESS, metavar=METAVARS[option],
                            help=help_text)
    for option, help_text in FLAG_OPTIONS:
        parser.add_argument(option, action=argparse.BooleanOptionalAction,
                            default=argparse.SUPPRESS, help=help_text)
    parser.add_argument("--config", metavar="FILE", help="read settings from a TOML file "
                        "(e.g. a run's config.toml); options given here override it")
    parser.add_argument("--out", metavar="DIR", help="run folder (default: runs/<time>-<preset>)")
    parser.add_argument("--overwrite", action="store_true",
                        help="start a new run in --out even if it holds files (they may be "
                             "replaced); without it a non-empty folder is refused")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from "
                        "its checkpoint (takes no other option)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (epoch lines only)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from telar.app.run_folder import RunFolder
    from telar.app.runs.config import build_config
    from telar.app.runs.resume import resume_config
    from telar.app.runs.run import train_run
    from telar.train.loop import TrainingInterrupted

    given = {name: value for name, value in vars(args).items()
             if name not in ("command", "func", "config", "out", "resume", "no_progress",
                                 "overwrite")}
    progress = False if args.no_progress else None
    if args.resume:
        if given or args.config or args.out:
            extra = sorted(["--" + n.replace("_", "-") for n in given]
                           + (["--config"] if args.config else [])
                           + (["--out"] if args.out else []))
            from telar.errors import ConfigError
            raise ConfigError(f"--resume continues a run with its own settings; it takes no "
                              f"{', '.join(extra)}")
        out = Path(args.resume)
        config = resume_config(out)
    else:
        config = build_config(given, config_file=args.config)
        out = Path(args.out) if args.out else RunFolder.new("runs", config.preset).path
    try:
        summary = train_run(config, out, resume=bool(args.resume), overwrite=args.overwrite,
                            progress=progress)
    except TrainingInterrupted as stop:
        sys.stderr.write(f"telar: {stop}; checkpoint saved in {RunFolder(out).checkpoint_path}. "
                         f"Continue with: telar train --resume {out}\n")
        return 130
    print(summary_line(summary, out))
    _write_report(out)
    return 0


def _write_report(out: Path) -> None:
    """Every run folder gets report.html; a report that cannot be built does not fail the run
    (its model and results are written): say why and how to retry."""
    from telar.app.report.html import build_report
    from telar.errors import TelarError

    try:
        print(f"report: {build_report(out)}")
    except (TelarError, OSError) as exc:
        sys.stderr.write(f"telar: no report.html ({exc}); build it with: telar report {out}\n")


def summary_line(summary: dict[str, Any], out: Path) -> str:
    return (f"test accuracy {summary['test_accuracy']:.4f}, test loss {summary['test_loss']:.4f} "
            f"after {summary['epochs']} epochs in {summary['train_seconds']:.1f} s "
            f"({summary['parameters']:,} parameters); results in {out}/")

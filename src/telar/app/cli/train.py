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
            "--early-stop": "PATIENCE",
            "--clip-grad": "NORM",
            "--data": "DIR",
            "--train-csv": "FILE",
            "--test-csv": "FILE"}
FLAG_OPTIONS: list[tuple[str, str]] = [
    ("--full-batch", "one update per epoch over the whole training set (the report's way)"),
    ("--batch-norm", "batch normalisation after each hidden linear layer"),
]


#: Shown at the end of ``telar train --help``.
EXAMPLES: tuple[str, ...] = (
    'telar train',
    'telar train --preset cnn --out runs/cnn',
    'telar train --epochs 5 --lr 1e-3 --val-split 0.1 --early-stop 2',
    'telar train --engine autograd --layers "conv(16,3) relu maxpool(2) flatten linear(10)"',
    'telar train --resume runs/cnn',
)


def preset_defaults() -> dict[str, str]:
    """``{"--epochs": " (default: 10)", ...}``: each option's value when none is given (the
    report preset's); another ``--preset`` brings its own values."""
    from telar.app.runs.config import build_config

    shown: dict[str, str] = {}
    for name, value in build_config({}).to_dict().items():
        if value is None or value is False or value in ("", []):
            continue  # nothing to show: the option is off or empty unless given
        text = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        shown["--" + name.replace("_", "-")] = f" (default: {text.replace('%', '%%')})"
    return shown


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train", help="train a network and write a run folder",
        description="Train a classifier on Fashion-MNIST. Writes config.toml, metrics.csv, "
                    "checkpoint.npz, model.npz, summary.json and figures/ to the run folder. "
                    "The defaults shown are the report preset's; another --preset brings its "
                    "own, and a --config file's values override the preset's.")
    defaults = preset_defaults()
    for option, help_text in VALUE_OPTIONS:
        parser.add_argument(option, default=argparse.SUPPRESS, metavar=METAVARS[option],
                            help=help_text + defaults.get(option, ""))
    for option, help_text in FLAG_OPTIONS:
        parser.add_argument(option, action=argparse.BooleanOptionalAction,
                            default=argparse.SUPPRESS, help=help_text + defaults.get(option, ""))
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
    parser.add_argument("--tensorboard", nargs="?", const="", metavar="DIR",
                        help="also write TensorBoard event files (loss, accuracy, learning "
                             "rate per epoch; the configuration; the figures) to DIR (default: "
                             "the run folder's tensorboard/); a resumed run continues its "
                             "run folder's tensorboard/ by itself; needs the tensorboard extra")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from telar.app.run_folder import RunFolder
    from telar.app.runs.config import build_config
    from telar.app.runs.resume import resume_config
    from telar.app.runs.run import train_run
    from telar.train.loop import TrainingInterrupted

    given = {name: value for name, value in vars(args).items()
             if name not in ("command", "func", "config", "out", "resume", "no_progress",
                                 "overwrite", "tensorboard")}
    progress = False if args.no_progress else None
    if args.tensorboard is not None:  # before any folder is made: a missing package is one line
        from telar.train.tensorboard import require_tensorboard
        require_tensorboard()
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
    board = _tensorboard(args.tensorboard, RunFolder(out), config, resume=bool(args.resume))
    try:
        try:
            summary = train_run(config, out, resume=bool(args.resume),
                                overwrite=args.overwrite, progress=progress, tensorboard=board)
        except TrainingInterrupted as stop:
            sys.stderr.write(f"telar: {stop}; checkpoint saved in "
                             f"{RunFolder(out).checkpoint_path}. Continue with: telar train "
                             f"--resume {out}\n")
            return 130
        except KeyboardInterrupt:
            # Ctrl-C outside the epochs: loading the data, or testing and writing the results.
            checkpoint = RunFolder(out).checkpoint_path
            if not checkpoint.is_file():
                raise
            sys.stderr.write(f"telar: interrupted before the results were written; the "
                             f"trained weights are safe in {checkpoint}. Write model.npz and "
                             f"the rest with: telar train --resume {out}\n")
            return 130
        print(summary_line(summary, out))
        try:
            _write_report(out)
        except KeyboardInterrupt:
            sys.stderr.write(f"telar: interrupted while writing report.html (the model and "
                             f"results are written); build it with: telar report {out}\n")
            return 130
        if board is not None:
            from telar.app.runs.outputs import log_figures
            log_figures(board, RunFolder(out), summary["epochs"])
            print(f"tensorboard: {board.log_dir} (view with: tensorboard --logdir "
                  f"{board.log_dir})")
    finally:
        if board is not None:
            board.close()
    return 0


def _tensorboard(option: str | None, folder: Any, config: Any, *, resume: bool) -> Any:
    """The TensorBoard callback ``--tensorboard [DIR]`` asks for (DIR "" = the run folder's
    ``tensorboard/``); a resumed run whose folder has ``tensorboard/`` gets it unasked, so its
    logs go on (without the package it says so and trains on). The package is checked
    before any training."""
    if option is None and not (resume and folder.tensorboard_path.is_dir()):
        return None
    from telar.errors import TelarError
    from telar.train.tensorboard import TensorBoard, require_tensorboard

    try:
        require_tensorboard()
    except TelarError as exc:
        if option is not None:
            raise
        sys.stderr.write(f"telar: not continuing {folder.tensorboard_path} ({exc})\n")
        return None
    return TensorBoard(Path(option) if option else folder.tensorboard_path,
                       hparams=config.to_dict())


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

"""``telar augment --preview``: a grid of training images beside their augmented copies."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from telar.data.augment import OPS, Augmenter, AugmentSpec, augment_help
from telar.data.fashion_mnist import load_fashion_mnist
from telar.data.split import to_float
from telar.errors import ConfigError

PREVIEW_AUGMENT = ",".join(OPS)  # every op at its default strength
MAX_COUNT, MAX_COPIES = 50, 16


#: Shown at the end of ``telar augment --help``.
EXAMPLES: tuple[str, ...] = (
    'telar augment --augment shift=2,flip --out runs/augment.png',
    'telar augment --preview',
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "augment", help="show what batch augmentation does to training images",
        description="Draw a grid: each row one training image, the original then augmented "
                    "copies, so you see what the network is trained on.")
    parser.add_argument("--preview", action="store_true",
                        help="draw the preview grid (into --out)")
    parser.add_argument("--out", metavar="FILE.png", type=Path, help="the PNG file to write")
    parser.add_argument("--augment", metavar="SPEC", default=PREVIEW_AUGMENT,
                        help=f"{augment_help()} (default here: {PREVIEW_AUGMENT})")
    parser.add_argument("--data", metavar="DIR", type=Path,
                        help="folder with the four IDX files or the two Kaggle CSVs "
                             "(default: TELAR_DATA, the user cache, the system package, "
                             "then download)")
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading when the data is not found")
    parser.add_argument("--count", metavar="N", type=int, default=10,
                        help=f"rows: training images, cycling through the classes "
                             f"(1-{MAX_COUNT}, default 10)")
    parser.add_argument("--copies", metavar="K", type=int, default=6,
                        help=f"augmented copies per image (1-{MAX_COPIES}, default 6)")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="seed for the choice of images and the augmentation (default 0)")
    parser.set_defaults(func=run_augment)


def check_options(args: argparse.Namespace) -> AugmentSpec:
    """Every option's problem as one line, before any data is read."""
    if not args.preview:
        raise ConfigError("augment: nothing to do; use --preview --out FILE.png")
    if args.out is None:
        raise ConfigError("augment: --preview needs --out FILE.png")
    if args.out.suffix.lower() != ".png":
        raise ConfigError(f"--out {args.out}: must be a .png file")
    if args.out.is_dir():
        raise ConfigError(f"--out {args.out}: is a folder")
    if not 1 <= args.count <= MAX_COUNT:
        raise ConfigError(f"--count must be between 1 and {MAX_COUNT}, got {args.count}")
    if not 1 <= args.copies <= MAX_COPIES:
        raise ConfigError(f"--copies must be between 1 and {MAX_COPIES}, got {args.copies}")
    if args.seed < 0:
        raise ConfigError(f"--seed must be 0 or more, got {args.seed}")
    return AugmentSpec.parse(args.augment, where="--augment")


def run_augment(args: argparse.Namespace) -> int:
    from telar.app.report.augment_preview import augment_grid, pick_examples, plot_augment_grid

    spec = check_options(args)
    data = load_fashion_mnist(args.data, download=not args.no_download)
    rng = np.random.default_rng(args.seed)
    chosen = pick_examples(data.train_labels, args.count, rng)
    images = data.train_images[chosen]
    originals = to_float(images).reshape(images.shape)
    augmented = augment_grid(originals, Augmenter(spec), args.copies, rng)
    names = [data.class_names[label] for label in data.train_labels[chosen]]
    plot_augment_grid(originals, augmented, names, args.out,
                      title=f"--augment {spec.to_text()}  (seed {args.seed})")
    print(f"wrote {args.out} ({len(chosen)} images x {args.copies} augmented copies; "
          f"--augment {spec.to_text()})")
    return 0

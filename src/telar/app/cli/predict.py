"""``telar predict MODEL_OR_RUN IMAGE_OR_FOLDER...``: classify a user's own pictures.

Each picture goes through :mod:`telar.app.photos` (upright by EXIF, grey, background to black,
cropped and fitted into 28×28 as Fashion-MNIST was made), then through the model; the
output is the top ``K`` classes with their softmax probabilities, as a table (default),
JSON lines (``--json``: one object per picture) or a CSV file (``--csv FILE``, written
atomically; the table still goes to stdout).

Folders are searched recursively for ``.png .jpg .jpeg .jpe .jfif .gif .bmp .webp`` files
(hidden files and folders skipped, symbolic links to folders not followed, and anything that
is not a regular file, such as a FIFO named ``x.png``, which would block the read, skipped);
a file named explicitly is read whatever its extension. A picture that cannot be read
(missing, not an image, empty, truncated, too many pixels, metadata that crashes a decoder)
gets one line ``telar: error: …`` on stderr, the others are still predicted, and the exit
status is then 2.

``--show-input DIR`` saves ``<file name>.input.png``, the 28×28 image the network saw.
``--explain`` saves ``<file name>.saliency.png`` (the input and, over it, the gradient of the
top class's score with respect to each pixel: :mod:`telar.app.saliency`) into the ``--show-input``
folder when given, else into the current folder. Names that repeat get ``-2``, ``-3``, ….
A picture file already there is kept (that picture's one-line error) unless ``--overwrite``
is given; a device, FIFO or link there is written through or refused (:mod:`telar.io.atomic`).
File and class names printed have their control characters escaped.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from telar.app.devices import add_device_option, add_threads_option

#: Pictures decoded and predicted together (bounds memory on huge folders).
CHUNK = 256


#: Shown at the end of ``telar predict --help``.
EXAMPLES: tuple[str, ...] = (
    'telar predict runs/cnn photo.jpg',
    'telar predict runs/cnn photos/ --csv runs/predictions.csv',
    'telar predict runs/cnn shirt.png --explain',
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "predict", help="classify your own pictures (PNG, JPEG, GIF, BMP, WebP)",
        description="Classify pictures with a trained model: each is turned upright (EXIF), "
                    "made grey, inverted if its background is light, cropped to the object "
                    "and fitted into 28x28 as Fashion-MNIST was made; prints the top classes "
                    "with their probabilities.")
    parser.add_argument("model", metavar="MODEL_OR_RUN",
                        help="a model.npz file, or a run folder holding one")
    parser.add_argument("images", metavar="IMAGE_OR_FOLDER", nargs="+",
                        help="picture files, or folders searched for them")
    parser.add_argument("--top", metavar="K", type=int, default=3,
                        help="how many classes to show per picture (default: 3)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help="print one JSON object per picture instead of a table")
    output.add_argument("--csv", metavar="FILE",
                        help="also write the predictions to FILE (file,rank,class_index,"
                             "class,probability)")
    parser.add_argument("--explain", action="store_true",
                        help="save <name>.saliency.png: which pixels drove the top class "
                             "(into the --show-input folder, else the current folder)")
    parser.add_argument("--show-input", metavar="DIR",
                        help="save <name>.input.png, the 28x28 image the network saw, in DIR")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace <name>.input.png and <name>.saliency.png files already "
                             "there (default: keep them and report an error)")
    parser.add_argument("--layout", choices=("fashion-mnist", "mnist"),
                        default="fashion-mnist",
                        help="fit the object into 28x28 with its box centred (Fashion-MNIST, "
                             "default) or into 20x20 centred by mass (MNIST)")
    add_device_option(parser)
    add_threads_option(parser)
    parser.set_defaults(func=run)


@dataclass
class Prediction:
    """One picture's result: classes by decreasing probability (the top ``K``)."""

    name: str  # as the user gave or the walk found it (not escaped)
    pixels: np.ndarray  # uint8 (28, 28): what the network saw
    classes: list[int]
    probabilities: list[float]


def find_images(targets: list[str]) -> Iterator[tuple[str, str | None]]:
    """``(name, None)`` per picture to read, ``(name, error)`` for a folder with none."""
    from telar.app.photos import IMAGE_EXTENSIONS, is_image_name

    for target in targets:
        if not os.path.isdir(target):
            yield target, None
            continue
        found = False
        for root, dirs, files in os.walk(target):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = os.path.join(root, name)
                if not name.startswith(".") and is_image_name(name) and _is_regular(path):
                    found = True
                    yield path, None
        if not found:
            extensions = " ".join(sorted(IMAGE_EXTENSIONS))
            yield target, f"no pictures ({extensions}) in this folder"


def _is_regular(path: str) -> bool:
    """A regular file (or a link to one): a FIFO, socket or device in a folder is not a
    picture, and opening a FIFO would wait for a writer forever."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def predict_pictures(predictor: Any, targets: list[str], top: int, layout: str,
                     errors: list[str]) -> Iterator[Prediction]:
    """Predictions for every readable picture, in order; error lines appended to ``errors``
    (and printed on stderr) for the others."""
    from telar.app.photos import load_image
    from telar.errors import ImageFileError
    from telar.io.text import printable

    def fail(message: str) -> None:
        errors.append(message)
        sys.stderr.write(f"telar: error: {message}\n")
        sys.stderr.flush()

    batch: list[tuple[str, np.ndarray]] = []
    for name, problem in find_images(targets):
        if problem:
            fail(f"{printable(name)}: {problem}")
            continue
        try:
            batch.append((name, load_image(name, layout=layout)))  # type: ignore[arg-type]
        except ImageFileError as exc:
            fail(str(exc))
        if len(batch) >= CHUNK:
            yield from _predict_batch(predictor, batch, top)
            batch = []
    if batch:
        yield from _predict_batch(predictor, batch, top)


def _predict_batch(predictor: Any, batch: list[tuple[str, np.ndarray]],
                   top: int) -> Iterator[Prediction]:
    pixels = np.stack([p for _, p in batch])
    probabilities = predictor.probabilities(predictor.preprocess(pixels))
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top]
    for (name, image), p, ranked in zip(batch, probabilities, order, strict=True):
        yield Prediction(name, image, ranked.tolist(), p[ranked].tolist())


class OutputNames:
    """``<file name><suffix>`` in a folder, with ``-2``, ``-3`` … for names already given."""

    def __init__(self) -> None:
        self.used: set[Path] = set()

    def __call__(self, folder: Path, name: str, suffix: str) -> Path:
        base = os.path.basename(os.path.normpath(name)) or "image"
        path, n = folder / f"{base}{suffix}", 1
        while path in self.used:
            n += 1
            path = folder / f"{base}-{n}{suffix}"
        self.used.add(path)
        return path


def save_extras(predictor: Any, result: Prediction, args: argparse.Namespace,
                names: OutputNames) -> None:
    """``--show-input`` and ``--explain`` files for one picture."""
    from telar.app.saliency import input_gradient, save_saliency_png
    from telar.io.atomic import atomic_write_bytes
    from telar.io.text import printable

    folder = Path(args.show_input) if args.show_input else Path(".")
    if args.show_input:
        atomic_write_bytes(_new(names(folder, result.name, ".input.png"), args.overwrite),
                           _png(result.pixels))
    if args.explain:
        x = predictor.preprocess(result.pixels[None])
        top = result.classes[0]
        saliency, _ = input_gradient(predictor.network, x, [top])
        title = (f"{printable(os.path.basename(result.name))}: "
                 f"{predictor.class_names[top]} {100 * result.probabilities[0]:.1f}%")
        save_saliency_png(_new(names(folder, result.name, ".saliency.png"), args.overwrite),
                          result.pixels, saliency, title=title)


def _new(path: Path, overwrite: bool) -> Path:
    """``path``, unless a regular file is there already and ``overwrite`` is off."""
    from telar.errors import FileWriteError

    if not overwrite and os.path.lexists(path) and not os.path.islink(path) \
            and stat.S_ISREG(os.lstat(path).st_mode):
        raise FileWriteError(path, FileExistsError(
            17, "a file is there already (add --overwrite to replace it)"))
    return path


def _png(pixels: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buf, "PNG")
    return buf.getvalue()


def as_record(result: Prediction, class_names: tuple[str, ...]) -> dict[str, Any]:
    return {"file": result.name,
            "predictions": [{"rank": rank, "class_index": c, "class": class_names[c],
                             "probability": p}
                            for rank, (c, p) in enumerate(zip(result.classes,
                                                              result.probabilities,
                                                              strict=True), start=1)]}


def format_table(results: list[Prediction], class_names: tuple[str, ...]) -> str:
    """One row per picture: its name, then the top classes with their probabilities."""
    from telar.io.text import printable

    if not results:
        return ""
    shown = [printable(r.name) for r in results]
    class_names = tuple(printable(c) for c in class_names)
    width = max(4, *(len(s) for s in shown))
    name_width = max(len(n) for n in class_names)
    top = len(results[0].classes)
    cell = name_width + 9  # "<name> 100.0%  "
    lines = [f"{'file':<{width}}  " + "".join(f"{f'top {k}':<{cell}}"
                                              for k in range(1, top + 1)).rstrip()]
    for name, r in zip(shown, results, strict=True):
        cells = "".join(f"{class_names[c]:<{name_width}} {100 * p:5.1f}%  "
                        for c, p in zip(r.classes, r.probabilities, strict=True))
        lines.append(f"{name:<{width}}  {cells}".rstrip())
    return "\n".join(lines)


def write_csv(path: str, results: list[Prediction], class_names: tuple[str, ...]) -> None:
    from telar.io.atomic import atomic_write
    from telar.io.text import printable

    with atomic_write(path, "w") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["file", "rank", "class_index", "class", "probability"])
        for r in results:
            for rank, (c, p) in enumerate(zip(r.classes, r.probabilities, strict=True), 1):
                writer.writerow([printable(r.name), rank, c, printable(class_names[c]),
                                 f"{p:.6g}"])


def run(args: argparse.Namespace) -> int:
    from telar.app.devices import apply_threads, choose_device
    from telar.app.inference import load_predictor
    from telar.errors import ConfigError, TelarError

    if args.top < 1:
        raise ConfigError(f"--top must be at least 1, got {args.top}")
    on = choose_device(args.device)
    apply_threads(args.threads)
    predictor = load_predictor(args.model, on)  # a model file, or a run folder holding one
    class_names = tuple(predictor.class_names)
    top = min(args.top, len(class_names))
    errors: list[str] = []
    results: list[Prediction] = []
    names = OutputNames()
    for result in predict_pictures(predictor, args.images, top, args.layout, errors):
        if args.show_input or args.explain:
            try:
                save_extras(predictor, result, args, names)
            except TelarError as exc:  # this picture's files: the others still go on
                errors.append(str(exc))
                sys.stderr.write(f"telar: error: {exc}\n")
                sys.stderr.flush()
        if args.json:
            print(json.dumps(as_record(result, class_names)), flush=True)
        else:
            results.append(result)
    if args.csv:
        write_csv(args.csv, results, class_names)
    if not args.json and results:
        print(format_table(results, class_names))
    return 2 if errors else 0

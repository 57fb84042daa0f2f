"""Write a few phone-style photos of Fashion-MNIST test garments, to try ``telar predict`` on.

Each picture is what a user might photograph: a dark garment on a light, slightly noisy
background, ten times larger and off-centre, saved as JPEG; ``ankle-boot.jpg`` is stored turned
on its side with an EXIF orientation tag, as phones do. telar has to undo all of that (turn it
upright, invert, crop, fit and centre) before the network sees 28x28 pixels.

    python examples/sample_photos.py [--out photos]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from telar.data import load_fashion_mnist

WANTED = {"sneaker": 7, "bag": 8, "trouser": 1, "ankle-boot": 9}


def as_photo(image: np.ndarray, rng: np.random.Generator) -> Image.Image:
    paper = 240  # the light background; the garment is dark on it
    dark = (paper - image.astype(float) * (paper / 255)).astype(np.uint8)
    big = Image.fromarray(dark).resize((280, 280), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (480, 400), paper)
    canvas.paste(big, (int(rng.integers(20, 180)), int(rng.integers(20, 100))))
    noisy = np.asarray(canvas, float) + rng.normal(0, 4, (400, 480))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).convert("RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("photos"))
    args = parser.parse_args()
    data = load_fashion_mnist()
    rng = np.random.default_rng(0)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, label in WANTED.items():
        index = int(np.flatnonzero(data.test_labels == label)[0])
        photo = as_photo(data.test_images[index], rng)
        path = args.out / f"{name}.jpg"
        if name == "ankle-boot":  # stored turned, with the tag that says how to turn it back
            exif = Image.Exif()
            exif[0x0112] = 6
            photo.transpose(Image.Transpose.ROTATE_90).save(path, quality=90, exif=exif.tobytes())
        else:
            photo.save(path, quality=90)
        print(f"wrote {path} (test image {index}, {data.class_names[label]})")


if __name__ == "__main__":
    main()

"""Retake the documentation's screenshots, docs/app.png and docs/report.png, from a real run.

Trains the default model (`telar train`, the report's network, ten epochs on the real
Fashion-MNIST) in a temporary folder, writes the sample photos, serves the run with `telar
serve` on 127.0.0.1 and drives headless Chromium (Playwright, Debian's /usr/bin/chromium) to
classify a photo of a sneaker (docs/app.png) and to open the run's report at its curves
(docs/report.png). Run it from the clone after a change to the web app or the report:

    python scripts/screenshots.py [--out docs] [--epochs 10]

It needs the `web` extra, Playwright (`dev`) and Chromium (`make browser`). The tests never
run it: they must not rewrite tracked files.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("TELAR_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
RUN = "fashion-mnist"


def telar(*args: str, cwd: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPOSITORY / "src"), os.environ.get("PYTHONPATH")])))
    subprocess.run([sys.executable, *args], cwd=cwd, env=env, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, child: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit("telar serve stopped before it answered")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("telar serve did not answer in time")


def save(page, path: Path, width: int) -> None:
    """A small PNG of the page: scaled to ``width`` pixels, 128 colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot()))
    image = image.resize((width, round(image.height * width / image.width)),
                         Image.Resampling.LANCZOS).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPOSITORY / "docs",
                        help="folder for app.png and report.png (default: docs/)")
    parser.add_argument("--epochs", default="10", help="epochs of the run shown (default 10)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="telar-screenshots-") as folder:
        work = Path(folder)
        telar("-m", "telar", "train", "--epochs", args.epochs, "--out", f"runs/{RUN}",
              "--no-progress", cwd=work)
        telar(str(REPOSITORY / "examples" / "sample_photos.py"), "--out", "photos", cwd=work)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, PYTHONPATH=str(REPOSITORY / "src"))
        server = subprocess.Popen([sys.executable, "-m", "telar", "serve", "--runs", "runs",
                                   "--port", str(port)], cwd=work, env=env)
        try:
            wait_until_up(url, server)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
                page = browser.new_page(viewport={"width": 1000, "height": 760})
                page.goto(url + "/")
                page.select_option("#model", RUN)
                page.set_input_files("#image", str(work / "photos" / "sneaker.jpg"))
                page.wait_for_selector("body[data-state='done']")
                print("the app says:", page.inner_text("#result-class"))
                save(page, args.out / "app.png", 800)
                page.set_viewport_size({"width": 1300, "height": 820})
                page.goto(f"{url}/runs/{RUN}/report.html#curves")
                page.wait_for_load_state("load")
                save(page, args.out / "report.png", 800)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()

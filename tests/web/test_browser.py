"""End to end in a real browser: headless Debian Chromium, driven by Playwright, against
`telar serve` on 127.0.0.1. Upload a photo and see the right class; open a run's report and
check that every figure loaded.

Skips with the reason when Playwright's Python package or /usr/bin/chromium is missing
(`make test` installs both on Debian). With TELAR_SCREENSHOTS=1 it also saves docs/app.png and
docs/report.png for the README.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from helpers.live_server import telar_serve
from helpers.shapes import photo

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("TELAR_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
DOCS = Path(__file__).resolve().parents[2] / "docs"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (on Debian: apt-get install -y chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True,
                                    timeout=TIMEOUT_MS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(runs_dir):
    with telar_serve(runs_dir) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1000, "height": 760})
    page.set_default_timeout(TIMEOUT_MS)
    page.problems = []  # console errors and uncaught exceptions, for the test to check
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    page.close()


def screenshot(page, name: str, width: int = 800) -> None:
    """Save a small PNG of the page in docs/ when TELAR_SCREENSHOTS=1."""
    if os.environ.get("TELAR_SCREENSHOTS") != "1":
        return
    from PIL import Image
    image = Image.open(io.BytesIO(page.screenshot()))
    image = image.resize((width, round(image.height * width / image.width)),
                         Image.Resampling.LANCZOS).convert("RGB")
    image = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    DOCS.mkdir(exist_ok=True)
    image.save(DOCS / name, optimize=True)


def test_uploading_a_photo_of_a_sneaker_shows_sneaker_with_bars_input_and_saliency(
        page, server, tmp_path):
    picture = tmp_path / "sneaker.jpg"
    picture.write_bytes(photo(7, size=400, fmt="JPEG"))
    page.goto(server + "/")
    page.select_option("#model", "seed")
    page.set_input_files("#image", str(picture))  # choosing a file classifies it
    page.wait_for_selector("body[data-state='done']")
    assert page.inner_text("#result-class") == "Sneaker"
    assert page.locator("#bars li").count() == 10
    assert page.inner_text("#bars li.best .name") == "Sneaker"
    for image in ("#input-img", "#saliency-img"):
        assert page.eval_on_selector(image, "img => img.complete && img.naturalWidth") == 224
    assert not page.problems, page.problems
    screenshot(page, "app.png")


def test_a_bad_file_shows_the_servers_message(page, server, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image at all")
    page.goto(server + "/")
    page.set_input_files("#image", str(bad))
    page.wait_for_selector("body[data-state='error']")
    assert "not an image Pillow can read" in page.inner_text("#error")
    assert all("status of 415" in p for p in page.problems), page.problems


def test_a_runs_report_opens_from_the_runs_page_with_every_figure_loaded(page, server,
                                                                          runs_dir):
    page.goto(server + "/runs")
    assert page.locator("#runs tbody tr").count() == 2
    page.click("a[href='/runs/seed/report.html']")
    page.wait_for_load_state("load")
    assert page.title() == "telar run report: seed"
    sizes = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    # every figure of the report (6: the model makes no mistake to show), each decoded
    expected = (runs_dir / "seed" / "report.html").read_text(encoding="utf-8").count("<img ")
    assert len(sizes) == expected >= 6 and all(w > 0 for w in sizes), sizes
    assert not page.problems, page.problems
    if os.environ.get("TELAR_SCREENSHOTS") == "1":  # the curves, side by side
        page.set_viewport_size({"width": 1300, "height": 820})
        page.goto(server + "/runs/seed/report.html#curves")
        screenshot(page, "report.png")

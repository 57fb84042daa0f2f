"""The web app: pages, predictions and every kind of bad upload through Flask's test client,
and end to end in a real browser.

The browser tests drive headless Debian Chromium with Playwright against `telar serve` on
127.0.0.1: upload a photo and see the right class; open a run's report and check that every
figure loaded. They skip with the reason when Playwright's Python package or /usr/bin/chromium
is missing (`make test` installs both on Debian). They never write into the repository: the
docs' screenshots come from a real run, taken by scripts/screenshots.py.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import struct
import zlib

import numpy as np
import pytest
from helpers.fake_data import SHAPE_CLASSES
from helpers.live_server import telar_serve
from helpers.pictures import photo
from PIL import Image

from telar.app.web.hooks import prepare_upload


def upload(client, data, name="photo.png", model=None, url="/api/predict"):
    form = {"image": (io.BytesIO(data), name)}
    if model:
        form["model"] = model
    return client.post(url, data=form, content_type="multipart/form-data")


def png_of(uri):
    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_the_index_offers_every_model_a_file_input_and_the_phone_camera(client):
    html = client.get("/").get_data(as_text=True)
    assert '<option value="nested/mlp"' in html and '<option value="seed"' in html
    assert 'accept="image/*" capture="environment"' in html
    assert 'type="file" name="image"' in html


@pytest.mark.parametrize("model", ["seed", "nested/mlp"])
@pytest.mark.parametrize("label", sorted(SHAPE_CLASSES))
def test_a_photo_of_each_garment_is_classified_by_each_model(client, model, label):
    answer = upload(client, photo(label), model=model)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["run"] == model
    assert (body["class_index"], body["class"]) == (label, SHAPE_CLASSES[label])
    probs = [row["p"] for row in body["probabilities"]]
    assert len(probs) == 10 and sum(probs) == pytest.approx(1.0)
    assert body["probability"] == max(probs) > 0.5
    seen = np.asarray(png_of(body["input_png"]))
    assert seen.shape == (224, 224)
    np.testing.assert_array_equal(seen[::8, ::8], prepare_upload(photo(label)))
    assert png_of(body["saliency_png"]).size == (224, 224)


def test_the_plain_form_without_javascript_renders_the_prediction(client):
    page = upload(client, photo(8, fmt="JPEG"), name="bag.jpg", model="seed", url="/predict")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<span id="result-class">Bag</span>' in html
    assert html.count('<span class="name">') == 10


def bomb_png(width=20000, height=20000):
    """A PNG whose header claims width×height pixels (the data is a few bytes)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


def tiff_bytes():
    buf = io.BytesIO()
    Image.new("L", (28, 28)).save(buf, format="TIFF")
    return buf.getvalue()


@pytest.mark.parametrize("data, status, words", [
    (b"", 400, "empty"),
    (b"GIF89a but not really", 415, "not an image"),
    (photo(7, fmt="JPEG")[:1500], 400, "damaged or truncated"),
    (b"just some text", 415, "not an image"),
    (photo(1)[:300], 400, "damaged or truncated"),
    (bomb_png(), 413, "too many pixels"),
    (bomb_png(8000, 6000), 413, "too many pixels (8000×6000); the limit is 40,000,000"),
    (tiff_bytes(), 415, "TIFF images are not accepted"),
    (b"\x89PNG" + bytes(300_000), 413, "larger than 200,000 bytes"),
])
def test_a_bad_upload_is_a_4xx_with_a_message(client, data, status, words):
    answer = upload(client, data)
    assert answer.status_code == status, answer.json
    assert words in answer.json["error"]
    page = upload(client, data, url="/predict")
    assert page.status_code == status and words in page.get_data(as_text=True)


def test_a_missing_image_or_unknown_model_is_refused_with_a_message(client):
    answer = client.post("/api/predict", data={"model": "seed"})
    assert answer.status_code == 400 and "no image" in answer.json["error"]
    answer = upload(client, photo(1), model="../seed")
    assert answer.status_code == 404 and "no model called '../seed'" in answer.json["error"]


def test_the_runs_page_lists_each_run_with_its_summary_and_report_link(client, runs_dir):
    import json
    html = client.get("/runs").get_data(as_text=True)
    for run in ("seed", "nested/mlp"):
        summary = json.loads((runs_dir / run / "summary.json").read_text())
        assert f"<td>{run}</td>" in html
        assert f'<td class="num">{summary["test_accuracy"]:.4f}</td>' in html
        assert f'href="/runs/{run}/report.html"' in html


def test_a_report_is_built_on_first_request_and_served_from_the_runs_folder(client, runs_dir):
    report = runs_dir / "seed" / "report.html"
    report.unlink(missing_ok=True)
    page = client.get("/runs/seed/report.html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert report.read_bytes() == page.data
    assert client.get("/runs/seed/summary.json").json["test_accuracy"] == 1.0


def test_an_unexpected_error_is_a_500_page_without_a_traceback(runs_dir):
    from telar.app.web import create_app

    def broken(data):
        raise RuntimeError("boom")
    client = create_app(runs_dir, prepare_image=broken).test_client()
    answer = upload(client, photo(1))
    assert answer.status_code == 500
    assert "RuntimeError" in answer.json["error"] and "Traceback" not in answer.json["error"]


def test_a_report_that_cannot_be_built_is_a_409_naming_the_reason(runs_dir, tmp_path):
    import shutil

    from telar.app.web import create_app
    runs = tmp_path / "runs"
    shutil.copytree(runs_dir / "seed", runs / "lost-data",
                    ignore=shutil.ignore_patterns("report.html"))
    config = runs / "lost-data" / "config.toml"
    config.write_text(config.read_text().replace(f'data = "{runs_dir.parent / "shapes"}"',
                                                 f'data = "{tmp_path / "gone"}"'))
    page = create_app(runs).test_client().get("/runs/lost-data/report.html")
    text = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "cannot build the report of lost-data" in text and "gone" in text


def test_a_broken_model_file_is_an_error_message_not_a_crash(runs_dir, tmp_path):
    import shutil

    from telar.app.web import create_app
    runs = tmp_path / "runs"
    shutil.copytree(runs_dir / "seed", runs / "broken")
    (runs / "broken" / "model.npz").write_bytes(b"PK\x03\x04 not really a zip")
    answer = upload(create_app(runs).test_client(), photo(1), model="broken")
    assert answer.status_code == 500
    assert "cannot load the model of broken" in answer.json["error"]


def test_markup_in_class_and_run_names_is_escaped_in_every_page(runs_dir, tmp_path):
    import shutil

    from telar.app.web import create_app
    from telar.io.model_file import load_model, save_model
    hostile = '<img src=x onerror="alert(1)">'
    runs = tmp_path / "runs"
    run = runs / "<b>bold</b>"
    shutil.copytree(runs_dir / "seed", run, ignore=shutil.ignore_patterns("report.html"))
    model = load_model(run / "model.npz")
    names = list(model.class_names)
    names[7] = hostile
    save_model(run / "model.npz", architecture=model.architecture, arrays=model.arrays,
               class_names=names, preprocessing=model.preprocessing)
    client = create_app(runs).test_client()
    pages = [client.get("/").get_data(as_text=True), client.get("/runs").get_data(as_text=True),
             upload(client, photo(7), model="<b>bold</b>", url="/predict").get_data(as_text=True)]
    for html in pages:
        assert "<b>bold" not in html and hostile not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in pages[1]
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in pages[2]


# ---------------------------------------------------------------- the app's contract, pinned
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                               "style-src 'self' 'unsafe-inline'; object-src 'none'; "
                               "frame-ancestors 'self'",
}


def test_every_answer_carries_the_security_headers_error_pages_too(client, runs_dir):
    from telar.app.web import create_app

    def broken(data):
        raise RuntimeError("boom")
    crashing = create_app(runs_dir, prepare_image=broken).test_client()
    answers = {"page": client.get("/"), "json": client.get("/healthz"),
               "file": client.get("/runs/seed/summary.json"),
               "404 page": client.get("/no/such/page"), "404 json": client.get("/api/nothing"),
               "400 page": upload(client, b"", url="/predict"),
               "413 json": upload(client, bytes(300_000)), "500 json": upload(crashing, photo(1))}
    for kind, answer in answers.items():
        for key, value in SECURITY_HEADERS.items():
            assert answer.headers.get(key) == value, (kind, key)


def test_an_error_under_api_is_json_with_error_and_status_and_a_page_elsewhere(client):
    answer = upload(client, photo(1), model="nope")
    assert answer.status_code == 404
    assert answer.json == {"error": "no model called 'nope' under the runs folder", "status": 404}
    assert upload(client, b"").json == {"error": "photo.png: the file is empty", "status": 400}
    answer = client.get("/api/predict")  # a GET where only POST is served
    assert answer.status_code == 405 and answer.json["status"] == 405
    assert set(answer.json) == {"error", "status"}
    answer = client.get("/api/no/such/thing")
    assert answer.status_code == 404 and answer.json["status"] == 404
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "<h1>Error 404</h1>" in page.get_data(as_text=True)


def test_an_upload_over_the_limit_names_the_limit_whichever_check_stops_it(client):
    # over max_bytes plus the form's room: the request itself is refused before any view runs
    answer = upload(client, bytes(300_000))
    assert answer.json == {"error": "the upload is larger than 200,000 bytes", "status": 413}
    page = upload(client, bytes(300_000), url="/predict")
    assert page.status_code == 413
    assert "the upload is larger than 200,000 bytes" in page.get_data(as_text=True)
    # within that room but over max_bytes: the upload check reads one byte past the limit
    answer = upload(client, bytes(210_000))
    assert answer.status_code == 413
    assert answer.json["error"] == "photo.png: 200,001 bytes; the limit is 200,000"


def test_an_upload_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not(client):
    image = photo(7)
    exact = image + bytes(200_000 - len(image))  # a PNG reader ignores bytes after IEND
    assert len(exact) == 200_000
    answer = upload(client, exact)
    assert answer.status_code == 200, answer.json
    assert answer.json["class_index"] == 7
    answer = upload(client, exact + b"\0")
    assert answer.status_code == 413
    assert answer.json["error"] == "photo.png: 200,001 bytes; the limit is 200,000"


def test_a_prediction_answers_these_fields_with_the_newest_model_by_default(client, runs_dir):
    body = upload(client, photo(7)).json
    assert set(body) == {"run", "file", "class", "class_index", "probability", "probabilities",
                         "input_png", "saliency_png"}
    assert body["file"] == "photo.png"
    assert all(set(row) == {"class", "p"} for row in body["probabilities"])
    runs = ["seed", "nested/mlp"]
    newest = min(runs, key=lambda r: (-(runs_dir / r / "model.npz").stat().st_mtime, r))
    assert body["run"] == newest


@pytest.mark.parametrize("field", ["camera", "photo"])
def test_the_image_may_come_in_the_camera_field_or_any_file_field(client, field):
    form = {"image": (io.BytesIO(b""), ""),  # the file input a browser sends unchosen
            field: (io.BytesIO(photo(8)), "snap.png"), "model": "seed"}
    answer = client.post("/api/predict", data=form, content_type="multipart/form-data")
    assert answer.status_code == 200, answer.json
    assert (answer.json["file"], answer.json["class"]) == ("snap.png", "Bag")


def test_the_plain_form_keeps_the_chosen_model_selected(client):
    html = upload(client, photo(1), model="seed", url="/predict").get_data(as_text=True)
    assert '<option value="seed" selected>' in html
    assert '<option value="nested/mlp" selected>' not in html


def test_a_picture_that_cannot_be_prepared_is_a_400_and_a_wrong_shape_a_500(runs_dir):
    from telar.app.web import create_app

    def refuses(data):
        raise ValueError("no garment found")

    def too_small(data):
        return np.zeros((27, 28), np.uint8)
    answer = upload(create_app(runs_dir, prepare_image=refuses).test_client(), photo(1))
    assert answer.json == {"error": "photo.png: cannot prepare the image (no garment found)",
                           "status": 400}
    answer = upload(create_app(runs_dir, prepare_image=too_small).test_client(), photo(1))
    assert answer.json == {"error": "image preparation gave shape (27, 28), not (28, 28)",
                           "status": 500}


def test_the_saliency_hook_is_asked_about_the_predicted_class(runs_dir):
    from telar.app.web import create_app
    calls = []

    def flat(predictor, image, index):
        calls.append((image.shape, image.dtype, index))
        return np.zeros((28, 28))
    answer = upload(create_app(runs_dir, saliency=flat).test_client(), photo(8), model="seed")
    assert answer.json["class_index"] == 8
    assert calls == [((28, 28), np.dtype(np.uint8), 8)]


def test_without_a_trained_model_a_prediction_says_how_to_train_one(tmp_path):
    from telar.app.web import create_app
    client = create_app(tmp_path).test_client()
    answer = upload(client, photo(1))
    root = tmp_path.resolve()
    assert answer.json == {"error": f"no trained model under {root} (train one with "
                                    f"`telar train --out {root}/NAME`)", "status": 404}
    assert client.get("/healthz").json == {"ok": True, "runs": 0}


def test_health_counts_the_runs(client):
    assert client.get("/healthz").json == {"ok": True, "runs": 2}


def test_a_missing_file_or_the_report_of_a_run_without_a_model_is_a_404(runs_dir, tmp_path):
    import shutil

    from telar.app.web import create_app
    runs = tmp_path / "runs"
    (runs / "summary-only").mkdir(parents=True)
    shutil.copy(runs_dir / "seed" / "summary.json", runs / "summary-only")
    client = create_app(runs).test_client()
    for path in ("summary-only/nothing.txt", "summary-only/report.html"):
        page = client.get(f"/runs/{path}")
        assert page.status_code == 404
        assert f"no file &#39;{path}&#39; in the runs folder" in page.get_data(as_text=True)


def test_parallel_first_requests_for_a_report_build_it_once(runs_dir, tmp_path, monkeypatch):
    import shutil
    import time
    from concurrent.futures import ThreadPoolExecutor

    import telar.app.report.html as report_html
    from telar.app.web import create_app
    runs = tmp_path / "runs"
    shutil.copytree(runs_dir / "seed", runs / "seed", ignore=shutil.ignore_patterns("report.html"))
    builds = []

    def slow_build(folder):  # the app imports build_report on first use, so this one is seen
        builds.append(folder)
        time.sleep(0.2)  # keep the build open while the other requests arrive
        (runs / "seed" / "report.html").write_text("<p>the report</p>")
    monkeypatch.setattr(report_html, "build_report", slow_build)
    app = create_app(runs)
    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(lambda _: app.test_client().get("/runs/seed/report.html"),
                              range(8)))
    assert [(p.status_code, p.data) for p in pages] == [(200, b"<p>the report</p>")] * 8
    assert len(builds) == 1


# ------------------------------------------------------------------------- hostile use (issue 21)

def test_large_uploads_are_decoded_a_few_at_a_time_whatever_the_threads(runs_dir):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from telar.app.web import create_app
    from telar.app.web.state import LARGE_DECODES

    running, most, lock = [0], [0], threading.Lock()

    def slow_prepare(data):  # stands in for decoding: counts how many run at once
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return prepare_upload(data)

    buf = io.BytesIO()
    Image.new("L", (2000, 1500), 255).save(buf, "PNG")  # 3 megapixels: a large upload
    big = buf.getvalue()
    app = create_app(runs_dir, prepare_image=slow_prepare)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: upload(app.test_client(), big).status_code, range(8)))
    assert answers == [200] * 8
    assert most[0] == LARGE_DECODES  # today: all 8 at once, 120 MB each for 40 megapixels
    most[0] = 0
    with ThreadPoolExecutor(max_workers=8) as pool:  # small pictures are not held back
        list(pool.map(lambda _: upload(app.test_client(), photo(1)).status_code, range(8)))
    assert most[0] > LARGE_DECODES


def test_a_linked_figures_folder_or_summary_leaving_the_runs_folder_is_not_followed(
        runs_dir, tmp_path):
    from telar.app.web import create_app

    runs, outside = tmp_path / "runs", tmp_path / "outside"
    outside.mkdir()
    (outside / "summary.json").write_text('{"preset": "SECRET-PRESET", "epochs": 1}')
    shutil.copytree(runs_dir / "seed", runs / "linked",
                    ignore=shutil.ignore_patterns("report.html", "figures"))
    (runs / "linked" / "figures").symlink_to(outside, target_is_directory=True)
    (runs / "leak").mkdir()
    (runs / "leak" / "summary.json").symlink_to(outside / "summary.json")
    client = create_app(runs).test_client()
    page = client.get("/runs/linked/report.html")
    assert page.status_code == 409 and "is a link" in page.get_data(as_text=True)
    assert sorted(p.name for p in outside.iterdir()) == ["summary.json"]  # nothing written
    listing = client.get("/runs").get_data(as_text=True)
    assert "leak" in listing and "SECRET-PRESET" not in listing


def test_a_photo_whose_exif_crashes_pillow_is_a_400_with_a_message(client):
    from helpers.pictures import raw_exif

    odd = raw_exif([(0x0112, 3, 1, 6), (0x0128, 1, 1, 0)])  # struct.error inside Pillow
    buf = io.BytesIO()
    Image.open(io.BytesIO(photo(1))).convert("RGB").save(buf, "JPEG", exif=odd)
    assert upload(client, buf.getvalue(), "odd.jpg").status_code == 200
    broken = buf.getvalue()[:300]
    answer = upload(client, broken, "broken.jpg")
    assert answer.status_code == 400 and "broken.jpg" in answer.json["error"]


@pytest.mark.slow  # about 8 s on two cores
def test_two_hundred_concurrent_uploads_to_three_models_answer_as_one_at_a_time(runs_dir,
                                                                               tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from helpers.live_server import post_image

    runs = tmp_path / "runs"
    shutil.copytree(runs_dir, runs)
    shutil.copytree(runs_dir / "nested" / "mlp", runs / "second-mlp")
    models = ["seed", "nested/mlp", "second-mlp"]
    pictures = [photo(1), photo(7), photo(8), photo(8, fmt="JPEG", light=False)]
    jobs = [(pictures[i % 4], models[i % 3]) for i in range(200)]

    def answer(job):
        status, body = post_image(port, *job)
        return status, body.get("class"), body.get("probabilities")

    with telar_serve(runs, "--threads", "8") as port:
        alone = {(i % 4, i % 3): answer(jobs[i]) for i in range(12)}
        with ThreadPoolExecutor(max_workers=24) as pool:
            together = list(pool.map(answer, jobs))
    assert all(status == 200 for status, _, _ in alone.values())
    assert together == [alone[(i % 4, i % 3)] for i in range(200)]


# ------------------------------------------------------------------------------- in a real browser


CHROMIUM = os.environ.get("TELAR_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
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


@pytest.mark.browser
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


@pytest.mark.browser
def test_a_bad_file_shows_the_servers_message(page, server, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image at all")
    page.goto(server + "/")
    page.set_input_files("#image", str(bad))
    page.wait_for_selector("body[data-state='error']")
    assert "not an image Pillow can read" in page.inner_text("#error")
    assert all("status of 415" in p for p in page.problems), page.problems


@pytest.mark.browser
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


@pytest.mark.browser
def test_an_upload_error_takes_the_previous_prediction_off_the_screen(page, server, tmp_path):
    good, bad = tmp_path / "sneaker.png", tmp_path / "notes.png"
    good.write_bytes(photo(7))
    bad.write_text("not an image at all")
    page.goto(server + "/")
    page.set_input_files("#image", str(good))
    page.wait_for_selector("body[data-state='done']")
    assert page.is_visible("#result")
    page.set_input_files("#image", str(bad))
    page.wait_for_selector("body[data-state='error']")
    assert page.is_visible("#error") and not page.is_visible("#result")


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/", "/runs"])
def test_pages_fit_a_phone_width_screen(browser, server, tmp_path, path):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    try:
        page.goto(server + path)
        if path == "/":
            picture = tmp_path / "sneaker.png"
            picture.write_bytes(photo(7))
            page.set_input_files("#image", str(picture))
            page.wait_for_selector("body[data-state='done']")
        # nothing makes the page itself scroll sideways (a wide table scrolls in its own box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        page.close()


def test_a_layers_run_is_listed_and_reported_as_layers_without_dense_settings(tmp_path):
    from helpers.fake_data import write_shape_fmnist

    from telar.app.cli import main
    from telar.app.report.html import build_report
    from telar.app.web import create_app

    runs = tmp_path / "runs"
    assert main(["train", "--no-progress", "--data", str(write_shape_fmnist(tmp_path / "shapes")),
                 "--out", str(runs / "convnet"), "--epochs", "1", "--engine", "autograd",
                 "--layers", "conv(4,3) relu maxpool(2) flatten linear(10)"]) == 0
    row = create_app(runs).test_client().get("/runs").get_data(as_text=True)
    cells = [c.strip() for c in row.split('<td class="num">')[1:]]
    assert any(c.startswith("layers<") for c in cells) and not any(
        c.startswith("report<") for c in cells)
    html = (runs / "convnet" / "report.html").read_text(encoding="utf-8")
    assert str(build_report(runs / "convnet")).endswith("report.html")
    config = html.split('id="config"', 1)[1].split("</section>", 1)[0]
    assert "<td>layers</td>" in config and "conv(4,3" in config
    for unused in ("hidden", "activation", "init", "batch_norm"):
        assert f"<td>{unused}</td>" not in config

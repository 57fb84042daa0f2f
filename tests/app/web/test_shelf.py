"""The runs folder as the app on a real server (waitress, 127.0.0.1) serves it: no path leads
outside it, a symlinked run folder outside is not listed, the files inside are served; and
fifty parallel uploads each get their own answer."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.fake_data import SHAPE_CLASSES
from helpers.live_server import post_image, request, telar_serve
from helpers.pictures import photo

SECRET = b"telar-secret-outside-the-runs-folder"


@pytest.fixture(scope="module")
def port(runs_dir, outside):
    """One `telar serve` for this module's tests."""
    with telar_serve(runs_dir, "--threads", "8") as port:
        yield port


def test_fifty_parallel_uploads_each_get_their_own_answer(client, port):
    import io
    models = ["seed", "nested/mlp"]
    jobs = [(models[i % 2], sorted(SHAPE_CLASSES)[i % 3], 96 + 4 * i) for i in range(50)]
    images = {job: photo(job[1], size=job[2]) for job in jobs}
    expected = {}
    for job in jobs:  # one at a time through the test client: the reference answers
        answer = client.post("/api/predict", data={"model": job[0], "image": (
            io.BytesIO(images[job]), "p.png")}, content_type="multipart/form-data").json
        assert answer["class_index"] == job[1]
        expected[job] = answer
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda job: post_image(port, images[job], job[0]), jobs))
    for job, (status, answer) in zip(jobs, answers, strict=True):
        assert status == 200, answer
        assert answer["run"] == job[0] and answer["class_index"] == job[1]
        assert answer["probabilities"] == expected[job]["probabilities"]
        assert answer["input_png"] == expected[job]["input_png"]


@pytest.fixture(scope="module")
def outside(runs_dir, tmp_path_factory):
    """A secret file and folder outside the runs folder, and symlinks inside it to them."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.txt").write_bytes(SECRET)
    (folder / "report.html").write_bytes(SECRET)
    (folder / "summary.json").write_bytes(b'{"test_accuracy": 0.123456}')
    links = runs_dir / "seed" / "figures"
    try:
        os.symlink(folder / "secret.txt", links / "link.png")
        os.symlink(folder, runs_dir / "linked-run")
        os.symlink(folder, links / "linked-dir")
    except OSError as exc:
        pytest.skip(f"cannot make symlinks here: {exc}")
    return folder


@pytest.mark.parametrize("path", [
    "/runs/../../../../etc/passwd",
    "/runs/seed/../../outside/secret.txt",
    "/runs/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/runs/seed/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/runs/..%2f..%2f..%2fetc%2fpasswd",
    "/runs/%2fetc%2fpasswd",
    "/runs//etc/passwd",
    "/runs/seed/figures/link.png",
    "/runs/seed/figures/linked-dir/secret.txt",
    "/runs/linked-run/secret.txt",
    "/runs/linked-run/report.html",
    "/runs/seed/..%5c..%5csecret.txt",
    "/runs/.%2e/.%2e/etc/passwd",
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    # a sibling of the runs folder whose name starts with the runs folder's own name
    "/runs/seed/figures/sibling.png",
    "/runs/sibling-run/secret.txt",
])
def test_no_path_leads_outside_the_runs_folder(port, sibling, path):
    passwd = open("/etc/passwd", "rb").read(12) if os.path.exists("/etc/passwd") else SECRET
    status, body = request(port, "GET", path, follow=True)
    assert status == 404, (status, body[:200])
    assert SECRET not in body and passwd not in body


@pytest.fixture(scope="module")
def sibling(runs_dir, outside):
    """``<runs>-sibling/``, beside the runs folder (a prefix test on the path string would take
    it for inside), with a secret, and links to it from inside the runs folder."""
    folder = runs_dir.with_name(runs_dir.name + "-sibling")
    folder.mkdir(exist_ok=True)
    (folder / "secret.txt").write_bytes(SECRET)
    os.symlink(folder / "secret.txt", runs_dir / "seed" / "figures" / "sibling.png")
    os.symlink(folder, runs_dir / "sibling-run")
    return folder


def test_a_hidden_file_of_a_run_folder_is_not_served(port, runs_dir):
    assert (runs_dir / "seed" / ".telar.lock").is_file()  # the run's lock, left by training
    for path in ("/runs/seed/.telar.lock", "/runs/.hidden-run/x", "/runs/seed/figures/.x.png"):
        status, _ = request(port, "GET", path)
        assert status == 404, path


def test_a_symlinked_run_folder_outside_is_not_listed(client, outside):
    html = client.get("/runs").get_data(as_text=True)
    assert "linked-run" not in html and "0.1235" not in html
    assert "linked-run" not in client.get("/").get_data(as_text=True)


def test_files_inside_the_runs_folder_are_served(port):
    status, body = request(port, "GET", "/runs/seed/figures/loss.png")
    assert status == 200 and body[:4] == b"\x89PNG"

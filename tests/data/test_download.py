"""The downloader against a local mirror on 127.0.0.1: resumable, atomic, checksum-verified."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest
from helpers.fake_data import assert_same_arrays, tiny_arrays

from telar.data import fashion_mnist as fm
from telar.data import load_fashion_mnist
from telar.data.download import download_file, mirror_url
from telar.data.fashion_mnist import IDX_FILES
from telar.data.idx import to_idx_bytes
from telar.errors import DataError


def serve(mirror, array: np.ndarray, name: str = "x-idx3-ubyte.gz") -> str:
    """Put ``array`` on the mirror as a gzip IDX file; return its payload SHA-256."""
    payload = to_idx_bytes(array)
    mirror.files[name] = gzip.compress(payload)
    return hashlib.sha256(payload).hexdigest()


@pytest.fixture
def big_array() -> np.ndarray:
    # Incompressible, several chunks long, so a dropped connection cuts mid-file.
    return np.random.default_rng(0).integers(0, 256, (300, 28, 28), dtype=np.uint8)


def get(mirror, tmp_path, sha, name="x-idx3-ubyte.gz", **kwargs):
    return download_file(mirror.url + name, tmp_path / name, expected_sha256=sha,
                         backoff_s=0, progress=False, **kwargs)


def test_good_file_lands_under_its_final_name_with_no_part_left(mirror, tmp_path, big_array):
    sha = serve(mirror, big_array)
    path = get(mirror, tmp_path, sha)
    assert path.read_bytes() == mirror.files["x-idx3-ubyte.gz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-idx3-ubyte.gz"]


def test_dropped_connection_is_resumed_with_a_range_request(mirror, tmp_path, big_array):
    sha = serve(mirror, big_array)
    mirror.behaviour["x-idx3-ubyte.gz"] = "drop_once"
    path = get(mirror, tmp_path, sha)
    assert path.read_bytes() == mirror.files["x-idx3-ubyte.gz"]
    size = len(mirror.files["x-idx3-ubyte.gz"])
    assert mirror.requests == [("x-idx3-ubyte.gz", None),
                               ("x-idx3-ubyte.gz", f"bytes={size // 2}-")]


def test_dropped_connection_restarts_when_the_server_ignores_ranges(mirror, tmp_path, big_array):
    sha = serve(mirror, big_array)
    mirror.behaviour["x-idx3-ubyte.gz"] = "drop_once"
    mirror.ranges = False
    path = get(mirror, tmp_path, sha)
    assert path.read_bytes() == mirror.files["x-idx3-ubyte.gz"]
    assert len(mirror.requests) == 2


def test_interrupted_download_keeps_only_a_part_file_and_a_later_run_resumes(
        mirror, tmp_path, big_array):
    sha = serve(mirror, big_array)
    mirror.behaviour["x-idx3-ubyte.gz"] = "drop_once"
    with pytest.raises(DataError, match=r"download failed after 1 attempts.*run again to resume"):
        get(mirror, tmp_path, sha, retries=1)
    assert [p.name for p in tmp_path.iterdir()] == ["x-idx3-ubyte.gz.part"]
    get(mirror, tmp_path, sha, retries=1)
    assert (tmp_path / "x-idx3-ubyte.gz").read_bytes() == mirror.files["x-idx3-ubyte.gz"]
    assert mirror.requests[-1][1] is not None  # the second run asked for the rest only


def test_checksum_mismatch_deletes_the_download_and_says_so(mirror, tmp_path, big_array):
    serve(mirror, big_array)
    with pytest.raises(DataError, match="checksum mismatch.*deleted the downloaded file"):
        get(mirror, tmp_path, "f" * 64)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_file_on_the_mirror_is_deleted_and_named(mirror, tmp_path):
    mirror.files["x-idx3-ubyte.gz"] = b"\x1f\x8b\x08\x00" + bytes(6) + b"not deflate"
    with pytest.raises(DataError, match="unreadable.*corrupt gzip.*deleted it"):
        get(mirror, tmp_path, "0" * 64)
    assert list(tmp_path.iterdir()) == []


def test_checksum_is_on_the_decompressed_payload_not_the_gzip_bytes(mirror, tmp_path, big_array):
    payload_sha = serve(mirror, big_array)
    # Recompress differently (as Debian did): other bytes, same payload, still accepted.
    mirror.files["x-idx3-ubyte.gz"] = gzip.compress(to_idx_bytes(big_array), compresslevel=1,
                                                    mtime=12345)
    get(mirror, tmp_path, payload_sha)
    gz_sha = hashlib.sha256(mirror.files["x-idx3-ubyte.gz"]).hexdigest()
    (tmp_path / "x-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match="checksum mismatch"):
        get(mirror, tmp_path, gz_sha)


def test_server_error_is_retried_then_reported(mirror, tmp_path, big_array):
    sha = serve(mirror, big_array)
    mirror.behaviour["x-idx3-ubyte.gz"] = "500"
    with pytest.raises(DataError, match="HTTP error 500"):
        get(mirror, tmp_path, sha, retries=2)
    assert len(mirror.requests) == 2
    assert list(tmp_path.iterdir()) == []


def test_missing_file_is_not_retried(mirror, tmp_path):
    with pytest.raises(DataError, match="HTTP error 404"):
        get(mirror, tmp_path, None, name="absent.gz", retries=3)
    assert len(mirror.requests) == 1


def test_mirror_url_comes_from_argument_then_environment(monkeypatch):
    monkeypatch.setenv("TELAR_MIRROR", "http://127.0.0.1:1/m")
    assert mirror_url() == "http://127.0.0.1:1/m/"
    assert mirror_url("http://h/x/") == "http://h/x/"
    monkeypatch.delenv("TELAR_MIRROR")
    assert mirror_url().startswith("http://fashion-mnist.s3-website")


def put_tiny_set(mirror, monkeypatch):
    arrays = tiny_arrays(seed=9)
    sums = {name: serve(mirror, arrays[name], f"{IDX_FILES[name]}.gz") for name in IDX_FILES}
    monkeypatch.setattr(fm, "OFFICIAL_SHA256", sums)
    monkeypatch.setenv("TELAR_MIRROR", mirror.url)
    return arrays


def test_loader_downloads_into_the_user_cache_when_nothing_else_is_found(
        mirror, monkeypatch, isolated_data_env):
    arrays = put_tiny_set(mirror, monkeypatch)
    data = load_fashion_mnist(progress=False)
    assert_same_arrays(data, arrays)
    assert data.checksums_ok and "download" in data.source
    assert sorted(p.name for p in (isolated_data_env["cache"] / "fashion-mnist").iterdir()) == \
        sorted(f"{stem}.gz" for stem in IDX_FILES.values())
    n_requests = len(mirror.requests)
    again = load_fashion_mnist(progress=False)
    assert "user cache" in again.source and len(mirror.requests) == n_requests


def test_loader_with_a_broken_mirror_lists_the_options(mirror, monkeypatch):
    put_tiny_set(mirror, monkeypatch)
    mirror.files.clear()  # every file 404
    with pytest.raises(DataError) as info:
        load_fashion_mnist(progress=False)
    message = str(info.value)
    assert "download failed" in message and "HTTP error 404" in message
    assert "--data DIR" in message and "dataset-fashion-mnist" in message


def test_an_interrupted_download_in_the_cache_is_completed_not_reported_as_incomplete(
        mirror, monkeypatch, isolated_data_env):
    arrays = put_tiny_set(mirror, monkeypatch)
    cache_dir = isolated_data_env["cache"] / "fashion-mnist"
    cache_dir.mkdir(parents=True)
    first = f"{IDX_FILES['train_images']}.gz"
    (cache_dir / first).write_bytes(mirror.files[first])
    data = load_fashion_mnist(progress=False)
    assert_same_arrays(data, arrays)
    assert first not in [name for name, _ in mirror.requests]  # kept, not fetched again


# --- a hostile mirror: sizes are capped, whatever it announces or sends ---------------------

def test_a_stream_without_content_length_is_cut_at_the_size_cap_and_refused(
        mirror, tmp_path, big_array):
    sha = serve(mirror, big_array)
    mirror.behaviour["x-idx3-ubyte.gz"] = "flood"  # the file, then 64 MB more, no length
    cap = len(mirror.files["x-idx3-ubyte.gz"]) + 1000
    with pytest.raises(DataError, match=f"sent more than {cap} bytes.*deleted the partial"):
        get(mirror, tmp_path, sha, max_bytes=cap)
    assert list(tmp_path.iterdir()) == []
    assert mirror.flood_sent < 16 << 20  # the client hung up long before the 64 MB
    assert len(mirror.requests) == 1  # not retried


def test_a_content_length_above_the_cap_is_refused_before_reading(mirror, tmp_path, big_array):
    sha = serve(mirror, big_array)
    mirror.behaviour["x-idx3-ubyte.gz"] = "claims_huge"
    with pytest.raises(DataError, match=r"announces 3221225472 bytes, the file has at most"):
        get(mirror, tmp_path, sha, max_bytes=1 << 20)
    assert list(tmp_path.iterdir()) == []


def test_a_file_within_its_cap_and_without_content_length_is_accepted(mirror, tmp_path):
    array = np.arange(784, dtype=np.uint8).reshape(1, 28, 28)
    sha = serve(mirror, array)
    mirror.behaviour["x-idx3-ubyte.gz"] = "flood"
    mirror.flood_bytes = 0  # just the file, delimited by the closed connection
    path = get(mirror, tmp_path, sha, max_bytes=1 << 20)
    assert path.read_bytes() == mirror.files["x-idx3-ubyte.gz"]


def test_the_official_files_are_downloaded_with_a_cap_near_their_known_sizes(
        mirror, monkeypatch, isolated_data_env):
    put_tiny_set(mirror, monkeypatch)
    name = f"{IDX_FILES['test_labels']}.gz"
    mirror.behaviour[name] = "flood"  # 64 MB for a 5 kB file
    with pytest.raises(DataError, match=f"{name}: the mirror sent more than 9501 bytes"):
        fm.download_fashion_mnist(progress=False)
    assert mirror.flood_sent < 16 << 20


def test_retry_waits_go_through_the_injected_sleep(mirror, tmp_path, big_array):
    sha = serve(mirror, big_array)
    mirror.behaviour["x-idx3-ubyte.gz"] = "500"
    waits: list[float] = []
    with pytest.raises(DataError, match="HTTP error 500"):
        download_file(mirror.url + "x-idx3-ubyte.gz", tmp_path / "x.gz", expected_sha256=sha,
                      retries=3, backoff_s=2.5, progress=False, sleep=waits.append)
    assert waits == [2.5, 5.0]  # after attempts 1 and 2, none after the last

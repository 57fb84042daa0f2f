"""A small good model file, and the tools to take one apart and tamper with it."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

from telar.io.model_file import save_model
from telar.io.telar_file import META_KEY

WEIGHTS = {"0.weight": np.ones((3, 4), np.float32), "0.bias": np.zeros(3, np.float32)}
GOOD_META = {"architecture": {"kind": "mlp", "input_size": 4, "hidden": [], "classes": 3},
             "class_names": ["a", "b", "c"],
             "preprocessing": {"input_shape": [2, 2], "scale": 1 / 255, "dtype": "float32"}}


def write_good(path, **changes):
    meta = {**GOOD_META, **changes}
    save_model(path, arrays=WEIGHTS, sidecar=False, **meta)
    return path


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def edit_meta(path, edit) -> None:
    entries = members(path)
    meta = json.loads(np.load(io.BytesIO(entries[f"{META_KEY}.npy"])).tobytes())
    edit(meta)
    entries[f"{META_KEY}.npy"] = npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8))
    write_members(path, entries)

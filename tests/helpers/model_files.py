"""A small good model file, and the tools to take one apart and tamper with it."""

from __future__ import annotations

import copy
import io
import json
import random
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


#: What a metadata value is swapped for: wrong types, markers of the state codec gone wrong,
#: array entries that lie, numbers out of any range.
ODD_VALUES = ["oops", 5, -1, 2.5, None, True, [], {}, [1, 2], {"a": 1}, {"__array__": 3},
              {"__tuple__": 5}, {"__dict__": [[1]]}, {"__dict__": [[[1], 2]]}, {"__dict__": 5},
              {"__tensor__": 7}, {"__tensor__": "nope"}, {"shape": "x"}, {"shape": [-1]},
              {"shape": [2**40]}, {"dtype": "O"}, "telar-model", 10**30]


def mutate_tree(tree, rng) -> None:
    """Replace one node (not the root) of the JSON ``tree`` by an odd value, in place."""
    paths: list[list] = []
    todo: list[tuple[object, list]] = [(tree, [])]
    while todo:
        node, path = todo.pop()
        paths.append(path)
        if isinstance(node, dict):
            todo.extend((v, [*path, k]) for k, v in node.items())
        elif isinstance(node, list):
            todo.extend((v, [*path, i]) for i, v in enumerate(node))
    path = rng.choice(sorted(paths[1:], key=str))
    node = tree
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))


def mutated_files(good_path, tmp, n: int, seed: int = 0):
    """``n`` damaged copies of the telar file ``good_path`` in ``tmp``, as ``(kind, path)``:
    bytes flipped, truncated, metadata values swapped for odd ones (with a valid zip, so the
    parsers see them), an ``.npy`` header byte changed, a member renamed, retyped or dropped."""
    rng = random.Random(seed)
    with open(good_path, "rb") as f:
        good = f.read()
    entries = members(good_path)
    meta = json.loads(np.load(io.BytesIO(entries[f"{META_KEY}.npy"])).tobytes())
    for i in range(n):
        out = tmp / f"case{i}.pth"
        kind = rng.choice(["flip", "truncate", "meta", "meta", "meta", "header", "member"])
        changed = dict(entries)
        if kind == "flip":
            data = bytearray(good)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            out.write_bytes(bytes(data))
            yield kind, out
            continue
        if kind == "truncate":
            out.write_bytes(good[:rng.randrange(len(good))])
            yield kind, out
            continue
        if kind == "meta":
            edited = copy.deepcopy(meta)
            for _ in range(rng.randint(1, 3)):
                mutate_tree(edited, rng)
            changed[f"{META_KEY}.npy"] = npy_bytes(
                np.frombuffer(json.dumps(edited).encode(), np.uint8))
        elif kind == "header":
            name = rng.choice(sorted(changed))
            raw = bytearray(changed[name])
            raw[rng.randrange(8, min(len(raw), 128))] = rng.randrange(32, 127)
            changed[name] = bytes(raw)
        else:
            name = rng.choice(sorted(changed))
            how = rng.randrange(3)
            if how == 0:
                changed[name.removesuffix(".npy") + "x.npy"] = changed.pop(name)
            elif how == 1:
                changed[name] = npy_bytes(np.zeros(3, rng.choice(["f4", "i8", "?", "c8", "U3"])))
            else:
                del changed[name]
        write_members(out, changed)
        yield kind, out

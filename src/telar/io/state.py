"""Nested state (dicts, lists, tuples of arrays and numbers) as JSON plus named arrays.

The one codec behind every telar file that holds more than a flat set of weights: training
checkpoints (optimiser and schedule state, callbacks' state) and ``telar.save`` (a
``state_dict()``, or any dict of tensors). :func:`encode` moves each array out of the tree
into ``arrays`` under a path-like name and leaves a marker in its place; :func:`decode` puts
them back. Markers, each a JSON object with one key:

- ``{"__array__": name}``: the array ``arrays[name]``;
- ``{"__tuple__": [...]}``: a tuple (JSON only has lists);
- ``{"__dict__": [[key, value], ...]}``: a dict, keeping ``int`` keys ints (JSON object keys
  are strings).

Any other JSON object decodes as a plain dict (how the oldest checkpoints stored theirs).
Callers add their own kinds of leaf through ``encode_leaf`` / ``decode_leaf`` (``telar.save``
keeps tensors as tensors). Nothing is pickled; decoding only reads JSON and arrays.

>>> arrays = {}
>>> tree = encode({"step": 3, "m": np.zeros(2)}, "optim", arrays)
>>> sorted(arrays), decode(tree, arrays)["step"]
(['optim/m'], 3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from telar.errors import ModelFileError

#: ``encode_leaf(obj, name, arrays)``: the JSON for ``obj`` (arrays stored under ``name``), or
#: ``None`` to let :func:`encode` handle it.
EncodeLeaf = Callable[[Any, str, dict[str, np.ndarray]], Any]
#: ``decode_leaf(obj, arrays)``: the value of a JSON object, or ``None`` if it is not one of
#: the caller's leaves.
DecodeLeaf = Callable[[dict[str, Any], dict[str, np.ndarray]], Any]


def encode(tree: Any, name: str, arrays: dict[str, np.ndarray],
           encode_leaf: EncodeLeaf | None = None) -> Any:
    """The JSON part of ``tree``; its arrays move into ``arrays``, named ``name/key/...``.

    Raises ``TypeError`` for what cannot be stored (an object, a dict keyed by tuples...).
    """
    if encode_leaf is not None:
        leaf = encode_leaf(tree, name, arrays)
        if leaf is not None:
            return leaf
    tree = _on_host(tree)
    if isinstance(tree, np.ndarray):
        return {"__array__": store(tree, name, arrays)}
    if hasattr(tree, "array") and isinstance(_on_host(tree.array), np.ndarray) \
            and not isinstance(tree, dict | list | tuple):
        return {"__array__": store(_on_host(tree.array), name, arrays)}  # a tensor: its values
    if isinstance(tree, dict):
        if any(not isinstance(k, str | int) for k in tree):
            raise TypeError(f"dict keys must be str or int (at {name!r})")
        return {"__dict__": [[k, encode(v, f"{name}/{k}", arrays, encode_leaf)]
                             for k, v in tree.items()]}
    if isinstance(tree, list | tuple):
        items = [encode(v, f"{name}/{i}", arrays, encode_leaf) for i, v in enumerate(tree)]
        return {"__tuple__": items} if isinstance(tree, tuple) else items
    if isinstance(tree, np.generic):
        return tree.item()
    if tree is None or isinstance(tree, bool | int | float | str):
        return tree
    raise TypeError(f"cannot store a {type(tree).__name__} at {name!r}")


def _on_host(value: Any) -> Any:
    """A GPU (CuPy) array copied to the host, so files are the same whichever device wrote
    them; anything else unchanged. By its type's module: this must not import CuPy."""
    if type(value).__module__.startswith("cupy") and hasattr(value, "get"):
        return value.get()
    return value


def store(array: np.ndarray, name: str, arrays: dict[str, np.ndarray]) -> str:
    """Put ``array`` into ``arrays`` under ``name`` (``name~2``, ``name~3``... if taken, e.g.
    by the keys ``1`` and ``"1"`` of one dict); returns the name used."""
    unique, n = name, 1
    while unique in arrays:
        n += 1
        unique = f"{name}~{n}"
    arrays[unique] = array
    return unique


def decode(tree: Any, arrays: dict[str, np.ndarray],
           decode_leaf: DecodeLeaf | None = None) -> Any:
    """Inverse of :func:`encode`; ``ModelFileError`` if a marker names a missing array or is
    malformed (a ``__tuple__`` that is no list, a ``__dict__`` entry that is no
    ``[str or int key, value]`` pair)."""
    if isinstance(tree, list):
        return [decode(v, arrays, decode_leaf) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if decode_leaf is not None:
        leaf = decode_leaf(tree, arrays)
        if leaf is not None:
            return leaf
    if set(tree) == {"__array__"}:
        return array_named(tree["__array__"], arrays)
    if set(tree) == {"__tuple__"}:
        items = tree["__tuple__"]
        if not isinstance(items, list):
            raise ModelFileError(f"corrupt metadata: a tuple holds {type(items).__name__}, "
                                 "not a list")
        return tuple(decode(v, arrays, decode_leaf) for v in items)
    if set(tree) == {"__dict__"}:
        pairs = tree["__dict__"]
        if not isinstance(pairs, list) or not all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[0], str | int)
                and not isinstance(p[0], bool) for p in pairs):
            raise ModelFileError("corrupt metadata: a dict is not a list of [key, value] pairs")
        return {k: decode(v, arrays, decode_leaf) for k, v in pairs}
    return {k: decode(v, arrays, decode_leaf) for k, v in tree.items()}


def array_named(name: Any, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """``arrays[name]``, or ``ModelFileError`` naming what the metadata wants and lacks."""
    if not isinstance(name, str) or name not in arrays:
        raise ModelFileError(f"the metadata names the array {name!r}, which is not in the file")
    return arrays[name]

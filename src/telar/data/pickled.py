"""Data stored as a Python pickle (CIFAR-10's batches), read without unpickling.

Unpickling runs whatever functions a file names, so telar never calls ``pickle.load``. The
file's opcodes are decoded by :func:`pickletools.genops` (the standard library's
disassembler, which only parses) and interpreted here by a small stack machine that knows
plain values only: dicts, lists, tuples, strings, bytes, numbers, ``None``/``True``/``False``,
and NumPy arrays of numbers, which it rebuilds itself from their raw bytes (the
``_reconstruct``/``ndarray.__setstate__`` form and the protocol-5 ``_frombuffer`` form), plus
``_codecs.encode(text, "latin1")``, how protocol 2 writes bytes. Any other name or opcode is
refused with :class:`PickledDataError` before anything else happens.

Python 2's ``str`` (``BINSTRING``) is read as text decoded from latin-1, as
``pickle.load(f, encoding="latin1")`` would.
"""

from __future__ import annotations

import pickletools
from typing import Any

import numpy as np


class PickledDataError(ValueError):
    """The file is not plain pickled data (or not a pickle at all)."""


#: Names a data pickle may use, as ``(module, name)`` -> what the interpreter does for them.
_NAMES: dict[tuple[str, str], str] = {
    **{(m, "_reconstruct"): "reconstruct" for m in ("numpy.core.multiarray",
                                                    "numpy._core.multiarray")},
    **{(m, "_frombuffer"): "frombuffer" for m in ("numpy.core.numeric", "numpy._core.numeric")},
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
    ("_codecs", "encode"): "encode",
}


class _Array:
    """An array announced by ``_reconstruct``, whose values come with its ``BUILD``."""

    value: np.ndarray | None = None


class _Name:
    def __init__(self, action: str) -> None:
        self.action = action


def _dtype(spec: Any) -> np.dtype:
    dtype = np.dtype(spec)
    if dtype.hasobject:
        raise PickledDataError("an array of Python objects")
    return dtype


def _call(name: Any, args: Any) -> Any:
    """``REDUCE``: the few calls a data pickle makes, done here, never the named function."""
    if not isinstance(name, _Name) or not isinstance(args, tuple):
        raise PickledDataError("a call to something that is not an allowed name")
    if name.action == "reconstruct":
        return _Array()
    if name.action == "dtype":
        return _dtype(args[0])
    if name.action == "encode":
        text, encoding = (args + ("utf-8",))[:2]
        if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
            raise PickledDataError(f"refused encoding {encoding!r}")
        return text.encode("latin1")
    if name.action == "frombuffer":  # numpy's protocol-5 form: (buffer, dtype, shape, order)
        buffer, dtype, shape, order = args
        return np.frombuffer(bytes(buffer), dtype=_dtype(dtype)).reshape(
            shape, order=order).copy(order="K")
    raise PickledDataError(f"a call to {name.action}")


def _build(target: Any, state: Any) -> Any:
    """``BUILD``: an array's values (``(version, shape, dtype, fortran, raw)``) or a dtype's
    byte order (``(version, byteorder, ...)``)."""
    if isinstance(target, np.dtype) and isinstance(state, tuple) and len(state) > 1:
        return target.newbyteorder(state[1]) if state[1] in ("<", ">") else target
    if isinstance(target, _Array) and isinstance(state, tuple) and len(state) == 5:
        _, shape, dtype, fortran, raw = state
        dtype = _dtype(dtype)
        if isinstance(raw, str):  # a Python 2 str, decoded from latin-1 on the way in
            raw = raw.encode("latin1")
        if not isinstance(raw, bytes | bytearray):
            raise PickledDataError("an array without raw bytes")
        target.value = np.frombuffer(bytes(raw), dtype=dtype).reshape(
            shape, order="F" if fortran else "C").copy(order="K")  # writable, layout kept
        return target
    raise PickledDataError("BUILD of something that is not an array or a dtype")


def _resolve(value: Any, depth: int = 0) -> Any:
    """The loaded tree with every announced array replaced by its values."""
    if depth > 100:
        raise PickledDataError("nested more than 100 levels deep")
    if isinstance(value, _Array):
        if value.value is None:
            raise PickledDataError("an array that was never given its values")
        return value.value
    if isinstance(value, dict):
        return {_resolve(k, depth + 1): _resolve(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve(v, depth + 1) for v in value)
    if isinstance(value, _Name):
        raise PickledDataError(f"a bare reference to {value.action}")
    return value


#: Opcodes that push their decoded argument as it is (numbers, text, None, booleans).
_PUSH_ARG = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT",
             "BINFLOAT", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "STRING",
             "BINSTRING", "SHORT_BINSTRING"}
_PUSH_BYTES = {"SHORT_BINBYTES", "BINBYTES", "BINBYTES8", "BYTEARRAY8"}
_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}


def load_pickled_data(raw: bytes) -> Any:
    """The plain data a pickle holds (see the module docstring); PickledDataError otherwise."""
    stack: list[Any] = []
    marks: list[list[Any]] = []
    memo: dict[int, Any] = {}
    try:
        for opcode, arg, _ in pickletools.genops(raw):
            op = opcode.name
            if op in ("PROTO", "FRAME"):
                continue
            if op == "STOP":
                if len(stack) != 1:
                    raise PickledDataError("a malformed pickle")
                return _resolve(stack.pop())
            if op in _PUSH_ARG:
                stack.append(arg)
            elif op in _PUSH_BYTES:
                stack.append(bytes(arg))
            elif op in _CONSTANTS:
                stack.append(_CONSTANTS[op])
            elif op == "MARK":
                marks.append(stack)
                stack = []
            elif op in ("EMPTY_DICT", "EMPTY_LIST", "EMPTY_TUPLE"):
                stack.append({"EMPTY_DICT": {}, "EMPTY_LIST": [], "EMPTY_TUPLE": ()}[op])
            elif op in ("TUPLE", "LIST", "DICT"):
                items, stack = stack, marks.pop()
                stack.append(tuple(items) if op == "TUPLE" else list(items) if op == "LIST"
                             else dict(zip(items[::2], items[1::2], strict=True)))
            elif op in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(op[-1])
                items = stack[-n:]
                del stack[-n:]
                stack.append(tuple(items))
            elif op == "APPEND":
                value = stack.pop()
                stack[-1].append(value)
            elif op == "APPENDS":
                items, stack = stack, marks.pop()
                stack[-1].extend(items)
            elif op == "SETITEM":
                value, key = stack.pop(), stack.pop()
                stack[-1][key] = value
            elif op == "SETITEMS":
                items, stack = stack, marks.pop()
                stack[-1].update(zip(items[::2], items[1::2], strict=True))
            elif op in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = stack[-1]
            elif op == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif op in ("GET", "BINGET", "LONG_BINGET"):
                stack.append(memo[int(arg)])
            elif op in ("GLOBAL", "STACK_GLOBAL"):
                if op == "GLOBAL":
                    module, name = str(arg).split(" ", 1)
                else:
                    name, module = stack.pop(), stack.pop()
                action = _NAMES.get((module, name))
                if action is None:
                    raise PickledDataError(f"refused to load {module}.{name}")
                stack.append(_Name(action))
            elif op == "REDUCE":
                args = stack.pop()
                stack.append(_call(stack.pop(), args))
            elif op == "BUILD":
                state = stack.pop()
                stack[-1] = _build(stack[-1], state)
            else:
                raise PickledDataError(f"unsupported pickle opcode {op}")
    except PickledDataError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise PickledDataError(f"a malformed pickle ({exc})") from None
    raise PickledDataError("a truncated pickle (no STOP)")


__all__ = ["load_pickled_data", "PickledDataError"]

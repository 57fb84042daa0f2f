"""Strings from files (class names, paths, metadata) made safe to print on a terminal.

A model file or a path can hold control characters: an ESC sequence that recolours or clears
the terminal, a carriage return that overwrites the line, a newline that splits a one-line
error, a right-to-left override that reverses what follows. :func:`printable` shows each as an
escape instead, and leaves every other character (accents, CJK, emoji) as it is.
"""

from __future__ import annotations

import unicodedata

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control (Cc), format (Cf: bidi overrides, zero-width), line/paragraph separators, and the
# lone surrogates that undecodable bytes in file names become.
_UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def printable(text: str) -> str:
    """``text`` with control and format characters escaped, Python-style.

    >>> printable("Coat\\x1b[2J")
    'Coat\\\\x1b[2J'
    >>> printable("Chaussure\\u202e")
    'Chaussure\\\\u202e'
    >>> printable("Zapato — 靴")
    'Zapato — 靴'
    """
    if text.isprintable():  # the common case: nothing to do
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _UNSAFE else ch for ch in text)


def plain_label(text: str) -> str:
    r"""``text`` for a matplotlib label: :func:`printable`, and every ``$`` escaped, so that a
    name such as ``$\foo$`` is drawn as written instead of parsed as math text (where an
    unknown command raises and the whole figure is lost).

    >>> print(plain_label(r"$\foo$ shirt"))
    \$\foo\$ shirt
    """
    return printable(str(text)).replace("$", "\\$")


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"

"""printable(): control and format characters from files are shown escaped, the rest as is."""

from __future__ import annotations

import pytest

from telar.io.text import printable


@pytest.mark.parametrize(("raw", "shown"), [
    ("Coat\x1b[2J\x1b[31m", "Coat\\x1b[2J\\x1b[31m"),
    ("Bag\rT-shirt", "Bag\\rT-shirt"),
    ("two\nlines", "two\\nlines"),
    ("del\x7f and c1 \x9b", "del\\x7f and c1 \\x9b"),
    ("Sandal\u202eloot", "Sandal\\u202eloot"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("sep\u2028line", "sep\\u2028line"),
    ("bad byte \udcff", "bad byte \\udcff"),
])
def test_printable_escapes_control_and_format_characters(raw, shown):
    assert printable(raw) == shown


def test_printable_keeps_ordinary_text_of_any_script():
    for text in ("T-shirt/top", "Ankle boot", "Zapato — 靴", "Robe d'été", "Δ 😀", ""):
        assert printable(text) == text

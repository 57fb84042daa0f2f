"""Small builders for self-contained HTML pages: every string escaped, images as data URIs.

Nothing here references the network: CSS is inline and figures are ``data:image/png;base64``
URIs, so a page opens from disk, offline, as one file.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#fafafa;line-height:1.45}
main{max-width:1200px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin-top:2rem;
border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem;background:#fff}
th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f0f0f0}
figure{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}
figure img{max-width:100%;height:auto;border:1px solid #eee;background:#fff}
figcaption{font-size:.85rem;color:#555}
nav a{margin-right:1rem}
.muted{color:#666;font-size:.9rem}
code{background:#f0f0f0;padding:0 .2rem}
.cols{display:flex;flex-wrap:wrap;gap:0 2.5rem}
.pair{display:flex;flex-wrap:wrap;gap:1rem}
.pair figure{flex:1 1 420px;max-width:580px;margin:.5rem 0}
"""


def esc(value: Any) -> str:
    """``value`` as text with ``& < > " '`` escaped for HTML."""
    return html.escape(str(value), quote=True)


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,…`` for PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def figure(png: bytes, alt: str, caption: str = "") -> str:
    """An ``<img>`` of ``png`` embedded as a data URI, with alt text and a caption."""
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{data_uri(png)}" alt="{esc(alt)}">{cap}</figure>'


def table(header: Sequence[str], rows: Iterable[Sequence[Any]],
          numeric: Sequence[bool] | None = None) -> str:
    """An HTML table; cells escaped; columns flagged in ``numeric`` right-aligned."""
    numeric = list(numeric or [False] * len(header))

    def cell(tag: str, value: Any, i: int) -> str:
        cls = ' class="num"' if i < len(numeric) and numeric[i] else ""
        return f"<{tag}{cls}>{esc(value)}</{tag}>"

    head = "".join(cell("th", h, i) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", v, i) for i, v in enumerate(row)) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(section_id: str, title: str, body: str) -> str:
    """``<section id=…><h2>title</h2>body</section>``; ``body`` must already be HTML."""
    return f'<section id="{esc(section_id)}"><h2>{esc(title)}</h2>{body}</section>'


def page(title: str, body: str, *, subtitle: str = "") -> str:
    """A whole HTML document with inline CSS and no external references."""
    sub = f'<p class="muted">{esc(subtitle)}</p>' if subtitle else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<link rel=\"icon\" href=\"data:,\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>"
            f"<body><main><h1>{esc(title)}</h1>{sub}{body}</main></body></html>\n")


def format_value(value: Any) -> str:
    """A summary value as text: floats with 4 significant decimals, lists shortened."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and abs(value) < 0.01:
            return f"{value:.3g}"
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, list):
        if len(value) > 6:
            return f"[{len(value)} values]"
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)

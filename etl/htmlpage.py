"""Self-contained HTML pages: one file, inline CSS, no script, no external URL.

A Content-Security-Policy meta tag (`default-src 'none'`) makes the browser refuse any
fetch the page might still attempt, so a page that renders at all renders offline.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root { --fg: #1f2933; --muted: #5f6b7a; --line: #d9dee5; --bg: #f5f7fa; --card: #fff;
        --ok: #1d7a46; --ok-bg: #e3f4ea; --warn: #8a5a00; --warn-bg: #fff3d6;
        --fail: #b3261e; --fail-bg: #fde7e5; --accent: #4c78a8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; }
header.page { background: #1f2933; color: #fff; padding: 18px 32px; }
header.page h1 { margin: 0; font-size: 22px; font-weight: 600; }
header.page p { margin: 4px 0 0; color: #c5ced8; }
main { padding: 20px 32px 40px; max-width: 1400px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
section.panel, figure.chart { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
       padding: 14px 16px; margin: 0 0 16px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
.grid > figure.chart { margin: 0; }
figure.chart h3 { margin: 0 0 2px; }
figure.chart figcaption { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 0 0 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .value { font-size: 24px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
table.data { border-collapse: collapse; width: 100%; font-size: 13px; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
       vertical-align: top; }
table.data th { background: #eef1f5; font-weight: 600; white-space: nowrap; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data tr.fail td { background: var(--fail-bg); }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.fail { color: var(--fail); background: var(--fail-bg); }
.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; padding: 24px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
details > summary { cursor: pointer; font-weight: 600; margin: 6px 0; }
footer.page { color: var(--muted); font-size: 12px; padding: 0 32px 24px; }
"""

STATUS_CLASS = {
    "succeeded": "ok", "passed": "ok", "noop": "ok", "true": "ok",
    "partial": "warn", "rejected-documents": "warn", "not-run": "warn",
    "failed": "fail", "false": "fail",
}


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any) -> str:
    """A value as display text: None → —, dates ISO, floats without noise, lists as JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        f = float(value)
        return f"{f:,.0f}" if f == int(f) and abs(f) >= 1000 else f"{f:g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def badge(status: Any) -> str:
    text = fmt(status)
    return f'<span class="badge {STATUS_CLASS.get(text.lower(), "warn")}">{esc(text)}</span>'


def data_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, row_class=None, raw: Sequence[str] = (),
               empty: str = "no rows") -> str:
    """An HTML table. Cells are escaped, except columns named in `raw` (already HTML)."""
    rows = list(rows)
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cls = row_class(r) if row_class else ""
        cells = []
        for c, v in zip(columns, r, strict=True):
            numeric = isinstance(v, int | float | Decimal) and not isinstance(v, bool)
            text = v if c in raw else esc(fmt(v))
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        opening = f'<tr class="{cls}">' if cls else "<tr>"
        body.append(opening + "".join(cells) + "</tr>")
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def facts(items: Iterable[tuple[str, str]]) -> str:
    """A definition list; values are HTML."""
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def cards(items: Iterable[tuple[str, Any]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="value">{esc(fmt(v))}</div><div class="label">{esc(k)}</div></div>'
        for k, v in items
    ) + "</div>"


def page(title: str, subtitle: str, body: str, footer: str = "") -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
        f'<body><header class="page"><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header>\n'
        f"<main>{body}</main>\n"
        f'<footer class="page">{footer}</footer></body></html>\n'
    )


EXTERNAL_RE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data|srcset)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//)|(?:@import)|(?:<script)|(?:<link\b)|(?:<iframe)""",
    re.IGNORECASE,
)


def external_references(text: str) -> list[str]:
    """What in a page could make a browser fetch something: src/href/url() to another host,
    @import, script, link or iframe elements. Empty for a self-contained page."""
    return [m.group(0) for m in EXTERNAL_RE.finditer(text)]

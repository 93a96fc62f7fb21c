"""Self-contained HTML pages: one file, inline CSS, no script, no external URL.

The pages are Jinja2 templates in etl/present/templates/ (page.html.j2: the frame, its CSS and a
Content-Security-Policy of `default-src 'none'`, so a page that renders at all renders
offline; macros.html.j2: badges, tables, cards), rendered with autoescape: every value is
escaped, and only what `trusted` marks (the SVG charts) is inserted as HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent / "templates"

STATUS_CLASS = {
    "succeeded": "ok", "passed": "ok", "noop": "ok", "true": "ok",
    "partial": "warn", "rejected-documents": "warn", "not-run": "warn",
    "failed": "fail", "false": "fail",
}


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


@dataclass(frozen=True)
class Badge:
    """A table cell shown as a status badge."""

    status: Any


@dataclass(frozen=True)
class Examples:
    """A table cell of example values, each as code on a line of its own."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """An HTML table (macros.html.j2 data_table): numbers right-aligned, a CSS class per row if given."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    row_classes: Sequence[str] = ()
    empty: str = "no rows"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@cache
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["fmt"] = fmt
    env.filters["status_class"] = lambda text: STATUS_CLASS.get(text.lower(), "warn")
    env.tests["badge_cell"] = lambda v: isinstance(v, Badge)
    env.tests["examples_cell"] = lambda v: isinstance(v, Examples)
    env.tests["number_cell"] = _is_number
    return env


def render(template: str, **context: Any) -> str:
    """The page `template` (a file in etl/present/templates/) filled with `context`, values escaped."""
    return _environment().get_template(template).render(**context)


def trusted(html: str) -> Any:
    """HTML this program made itself (an SVG chart), to insert into a page unescaped."""
    from markupsafe import Markup

    return Markup(html)


EXTERNAL_RE = re.compile(
    r"""(?:\b(?:src|href|action|poster|data|srcset)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//)|(?:@import)|(?:<script)|(?:<link\b)|(?:<iframe)""",
    re.IGNORECASE,
)


def external_references(text: str) -> list[str]:
    """What in a page could make a browser fetch something: src/href/url() to another host,
    @import, script, link or iframe elements. Empty for a self-contained page."""
    return [m.group(0) for m in EXTERNAL_RE.finditer(text)]

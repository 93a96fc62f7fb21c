"""Report: named SQL reports in sql/reports/, their parameters, and output formats.

A report file starts with a header of comment lines:

    -- Posts per source: how many posts each outlet contributed.
    -- param since: date = 1900-01-01
    -- param limit: integer = 20

The first line is the description shown by `etl report`. Each `param` line declares a
named parameter with its type and default; the SQL refers to it as `$name`. Values given
on the command line are converted to the declared type and bound as query parameters,
never pasted into the SQL.

Types: `date` (YYYY-MM-DD), `integer` (a whole number ≥ 0: limits and thresholds),
`varchar` (any text; an empty default conventionally means "no filter") and a choice,
written `a|b|c` (one of those words, e.g. `-- param grain: day|week|month = day`).

A report renamed or merged into another keeps its old name working as an alias (ALIASES):
the new report with some parameters fixed, under its old column names.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from etl.core.settings import sql_dir
from etl.core.values import to_jsonable
from etl.present.texttable import text_table

FORMATS = ("table", "csv", "json", "markdown")
PARAM_RE = re.compile(
    r"^--\s*param\s+(?P<name>[a-z_][a-z0-9_]*)\s*:\s*(?P<type>\w+(?:\|\w+)*)\s*=\s*(?P<default>.*?)\s*$"
)


def _date(text: str) -> date:
    """YYYY-MM-DD only (date.fromisoformat would also take 20200101 or 2020-W01-1)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


def _integer(text: str) -> int:
    """ASCII digits only: no sign, no underscores, nothing after them."""
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise ValueError(text)
    return int(text)


CONVERTERS = {
    "date": _date,
    "integer": _integer,
    "varchar": str,
}
TYPE_HINTS = {"date": "a date YYYY-MM-DD", "integer": "a whole number ≥ 0", "varchar": "text"}


def _converter(type_: str):
    """The function that reads a value of a declared type; a choice `a|b` takes one of its words."""
    if "|" not in type_:
        return CONVERTERS[type_]
    choices = type_.split("|")

    def choice(text: str) -> str:
        if text not in choices:
            raise ValueError(text)
        return text

    return choice


def _hint(type_: str) -> str:
    return TYPE_HINTS.get(type_) or "one of " + ", ".join(type_.split("|"))


class ReportError(ValueError):
    """An unknown report, or a missing, unknown or malformed parameter."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any


@dataclass(frozen=True)
class Report:
    name: str
    description: str
    params: tuple[Param, ...]
    sql: str
    fixed: tuple[tuple[str, Any], ...] = ()  # parameters an alias sets (not given on the command line)

    def bind(self, given: dict[str, str]) -> dict[str, Any]:
        """Parameter values for this report: defaults, overridden by `given` (strings)."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise ReportError(f"report {self.name} has no parameter {unknown[0]!r} (parameters: {allowed})")
        values = {p.name: p.default for p in self.params} | dict(self.fixed)
        for name, text in given.items():
            param = known[name]
            try:
                values[name] = _converter(param.type)(text)
            except ValueError:
                raise ReportError(
                    f"parameter {name}={text!r} of report {self.name} is not {_hint(param.type)}"
                ) from None
        return values


@dataclass(frozen=True)
class Alias:
    """An earlier report name kept working: `report` with `params` fixed, its rows under the
    earlier columns (`columns`, a select list over the report's columns)."""

    report: str
    params: dict[str, str]
    columns: str

    def note(self, name: str, target: Report) -> str:
        defaults = {p.name: str(p.default) for p in target.params}
        given = "".join(f" --param {k}={v}" for k, v in self.params.items() if defaults[k] != v)
        return f"report {name} is now `{self.report}{given}` (this name keeps its earlier columns)"


ALIASES = {
    "posts_per_day": Alias("posts_per_period", {"grain": "day", "split": "none"},
                           "period_start as posted_on, posts, sources"),
    "posts_per_week": Alias("posts_per_period", {"grain": "week", "split": "none"},
                            "period_start as week_starting, posts, sources, days_with_posts"),
    "posts_per_month": Alias("posts_per_period", {"grain": "month", "split": "none"},
                             "strftime(period_start, '%Y-%m') as month, posts, sources, days_with_posts"),
}


def _aliased(name: str, alias: Alias) -> Report:
    target = get_report(alias.report)
    fixed = target.bind(alias.params)
    params = tuple(p for p in target.params if p.name not in alias.params)
    body = target.sql.strip().removesuffix(";")
    sql = f"select {alias.columns}\nfrom (\n{body}\n) as aliased;"
    return Report(name, alias.note(name, target), params, sql, tuple((k, fixed[k]) for k in alias.params))


def parse_report(path: Path) -> Report:
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        header.append(line)
    description = header[0].lstrip("- ").strip() if header else ""
    params = []
    for line in header[1:]:
        m = PARAM_RE.match(line)
        if m:
            if "|" not in m["type"] and m["type"] not in CONVERTERS:
                raise ReportError(f"{path}: parameter {m['name']} has unknown type {m['type']}")
            params.append(Param(m["name"], m["type"], _converter(m["type"])(m["default"])))
    return Report(path.stem, description, tuple(params), text)


def list_reports() -> list[Report]:
    return [parse_report(p) for p in sorted((sql_dir() / "reports").glob("*.sql"))]


def get_report(name: str) -> Report:
    if name in ALIASES:
        return _aliased(name, ALIASES[name])
    path = sql_dir() / "reports" / f"{name}.sql"
    if not re.fullmatch(r"[a-z0-9_]+", name) or not path.exists():
        names = ", ".join(r.name for r in list_reports())
        raise ReportError(f"no report named {name!r}; reports: {names}")
    return parse_report(path)


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`name=value` strings from --param options."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ReportError(f"malformed parameter {pair!r}: expected name=value")
        if name in out:
            raise ReportError(f"parameter {name} given twice")
        out[name] = value.strip()
    return out


def report_list(reports: list[Report]) -> tuple[list[str], list[tuple]]:
    """The reports as rows (name, description, parameters) for `render`."""
    rows = [
        (r.name, r.description, ", ".join(f"{p.name}: {p.type} = {p.default}" for p in r.params))
        for r in reports
    ]
    return ["report", "description", "parameters"], rows


def query(con, sql_text: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql_text, params or None)
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return columns, cursor.fetchall()


def _cell(v: Any, width: int | None = None) -> str:
    if v is None:
        text = "NULL"
    elif isinstance(v, list | tuple | dict):
        text = json.dumps(to_jsonable(v), ensure_ascii=False)
    else:
        text = str(to_jsonable(v))
    text = " ".join(text.split())
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _numeric(values: Iterable[Any]) -> bool:
    """Numbers only (NULLs aside), and at least one: a column to align right."""
    found = [v for v in values if v is not None]
    return bool(found) and all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in found)


def render(columns: list[str], rows: list[tuple], fmt: str, max_width: int = 60) -> str:
    """Rows as an aligned text table, CSV, a JSON array of objects, or a Markdown table."""
    if fmt == "json":
        return json.dumps([dict(zip(columns, map(to_jsonable, r), strict=True)) for r in rows],
                          ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(v) if v is not None else "" for v in r] for r in rows)
        return out.getvalue().rstrip("\n")
    cells = [[_cell(v, max_width) for v in r] for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in cells]
        return "\n".join(lines)
    if fmt != "table":
        raise ReportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    table = text_table(columns, cells, right=[i for i in range(len(columns)) if _numeric(r[i] for r in rows)])
    return f"{table}\n({len(rows)} row{'s' if len(rows) != 1 else ''})"

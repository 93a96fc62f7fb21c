"""Data dictionary: every table, view and column of the warehouse, read off DuckDB's catalog.

The one source is the DDL: `COMMENT ON` statements beside each `create` in sql/tables/,
sql/views/ and sql/bi/. `etl schema` builds an empty in-memory database from that DDL and
renders what its catalog says (duckdb_tables(), duckdb_views(), duckdb_columns() and
duckdb_constraints() for keys), so docs/data-dictionary.md cannot drift from the schema.

The relations, columns, keys and comments are read by etl/storage/described.py; this module
renders them.
"""

from __future__ import annotations

from etl.storage.described import Relation

GENERATE_COMMAND = "etl schema --format markdown --output docs/data-dictionary.md"
FORMATS = ("markdown", "text")


def _md(text: str) -> str:
    """A comment as one Markdown table cell: pipes escaped, `<` escaped outside code spans."""
    parts = " ".join(text.split()).split("`")
    parts = [p if i % 2 else p.replace("&", "&amp;").replace("<", "&lt;") for i, p in enumerate(parts)]
    return "`".join(parts).replace("|", "\\|")


def render_markdown(relations: list[Relation]) -> str:
    tables = [r for r in relations if r.kind == "table"]
    views = [r for r in relations if r.kind == "view"]
    lines = [
        "# Data dictionary",
        "",
        "<!-- Generated from the DDL: do not edit. Change the COMMENT ON statements in sql/ and run",
        f"     `{GENERATE_COMMAND}`. -->",
        "",
        "Every table and view of the warehouse (`published.duckdb`, and for the tables the Parquet files",
        "`snapshot.json` lists), every column with its type, key and meaning. Descriptions say which field",
        "of the dump a value",
        "comes from: the byline `By AUTHOR | SOURCE | DATE` under the title, and the footer",
        "`DATE Posted by | CATEGORIES | TAGS | N Comments` under the body.",
        "",
        "This file is generated from the `COMMENT ON` statements beside the DDL in `sql/tables/`,",
        f"`sql/views/` and `sql/bi/` by `{GENERATE_COMMAND}` (`etl schema` prints it);",
        "a test fails when it differs from what the DDL renders, or when a column has no comment.",
        "",
        "Keys: `PK` primary key, `PK part` part of a composite primary key, `FK → table.column` foreign",
        "key. Views have no constraints: `key` / `key part` mark the columns that identify a row (the grain).",
        "",
        "| Name | Kind | Columns | Description |",
        "| --- | --- | --- | --- |",
    ]
    for r in tables + views:
        lines.append(f"| [{r.name}](#{r.name}) | {r.kind} | {len(r.columns)} | {_md(r.comment)} |")
    for heading, group in (("Tables", tables), ("Views", views)):
        lines += ["", f"## {heading}"]
        for r in group:
            lines += [
                "",
                f"### {r.name}",
                "",
                f"*{r.kind}* — {_md(r.comment)}",
                "",
                "| Column | Type | Key | Not null | Meaning |",
                "| --- | --- | --- | --- | --- |",
            ]
            lines += [
                f"| `{c.name}` | {c.type} | {c.key} | {'yes' if c.not_null else ''} | {_md(c.comment)} |"
                for c in r.columns
            ]
    return "\n".join(lines) + "\n"


def render_text(relations: list[Relation]) -> str:
    from etl.present.texttable import text_table

    blocks = []
    for r in relations:
        rows = [(c.name, c.type, c.key, "not null" if c.not_null else "", " ".join(c.comment.split()))
                for c in r.columns]
        table = text_table(["column", "type", "key", "null", "meaning"], rows, indent=2)
        blocks.append(f"{r.name} ({r.kind}): {' '.join(r.comment.split())}\n{table}")
    return "\n\n".join(blocks) + "\n"


def render(relations: list[Relation], fmt: str) -> str:
    if fmt == "markdown":
        return render_markdown(relations)
    if fmt == "text":
        return render_text(relations)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")

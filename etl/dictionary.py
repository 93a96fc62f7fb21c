"""Data dictionary: every table, view and column of the warehouse, read off DuckDB's catalog.

The one source is the DDL: `COMMENT ON` statements beside each `create` in sql/tables/,
sql/views/ and sql/bi/. `etl schema` builds an empty in-memory database from that DDL and
renders what its catalog says (duckdb_tables(), duckdb_views(), duckdb_columns() and
duckdb_constraints() for keys), so docs/data-dictionary.md cannot drift from the schema.

Keys: for tables, from their constraints (primary key, foreign keys). Views have no
constraints; their grain key is marked by the convention tables use too: a column comment
starting with "Key." (or "Key part." for a composite key).
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.schemas import table_names

GENERATE_COMMAND = "etl schema --format markdown --output docs/data-dictionary.md"
FORMATS = ("markdown", "text")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    key: str
    not_null: bool
    comment: str


@dataclass(frozen=True)
class Relation:
    name: str
    kind: str  # "table" or "view"
    comment: str
    columns: tuple[Column, ...]


def ddl_catalog():
    """An empty in-memory database built from the DDL in sql/ (what every run executes), with
    the BI file's own view etl_snapshot."""
    from etl.schemas import connect_memory, snapshot_view, sql, table_names
    from etl.storage.lake import create_views

    con = connect_memory()
    for table in table_names():
        con.execute(sql(f"tables/{table}"))
    create_views(con)
    con.execute(snapshot_view(0, ""))
    return con


def _keys(con) -> dict[tuple[str, str], list[str]]:
    keys: dict[tuple[str, str], list[str]] = {}
    rows = con.execute(
        """
        select table_name, constraint_type, constraint_column_names, referenced_table, referenced_column_names
        from duckdb_constraints()
        where schema_name = 'main' and constraint_type in ('PRIMARY KEY', 'FOREIGN KEY', 'UNIQUE')
        order by table_name, constraint_index
        """
    ).fetchall()
    for table, kind, columns, ref_table, ref_columns in rows:
        for i, column in enumerate(columns):
            if kind == "PRIMARY KEY":
                label = "PK" if len(columns) == 1 else "PK part"
            elif kind == "UNIQUE":
                label = "unique"
            else:
                label = f"FK → {ref_table}.{ref_columns[i]}"
            keys.setdefault((table, column), []).append(label)
    rank = lambda label: (not label.startswith("PK"), label.startswith("FK"), label)  # noqa: E731
    return {k: sorted(v, key=rank) for k, v in keys.items()}


def _view_key(comment: str) -> str:
    if comment.startswith("Key part."):
        return "key part"
    if comment.startswith("Key."):
        return "key"
    return ""


def collect(con) -> list[Relation]:
    """Every base table and view of the main schema, with its columns and comments."""
    relations = con.execute(
        """
        select table_name, 'table', comment from duckdb_tables() where schema_name = 'main' and not temporary
        union all
        select view_name, 'view', comment from duckdb_views()
        where schema_name = 'main' and not internal and not temporary
        """
    ).fetchall()
    columns: dict[str, list[tuple]] = {}
    for row in con.execute(
        """
        select table_name, column_name, data_type, is_nullable, comment
        from duckdb_columns() where schema_name = 'main'
        order by table_name, column_index
        """
    ).fetchall():
        columns.setdefault(row[0], []).append(row[1:])
    keys = _keys(con)

    def order(rel: tuple) -> tuple:
        name, kind = rel[0], rel[1]
        if kind == "table":
            return (0, table_names().index(name) if name in table_names() else len(table_names()), name)
        return (1, name.startswith("bi_"), name)

    out = []
    for name, kind, comment in sorted(relations, key=order):
        cols = []
        for col, dtype, nullable, col_comment in columns.get(name, []):
            text = (col_comment or "").strip()
            key = ", ".join(keys.get((name, col), [])) if kind == "table" else _view_key(text)
            cols.append(Column(col, dtype.lower(), key, kind == "table" and not nullable, text))
        out.append(Relation(name, kind, (comment or "").strip(), tuple(cols)))
    return out


def undocumented(relations: list[Relation]) -> list[str]:
    """Tables, views and columns without a comment: `name` or `name.column`."""
    missing = []
    for r in relations:
        if not r.comment:
            missing.append(r.name)
        missing += [f"{r.name}.{c.name}" for c in r.columns if not c.comment]
    return missing


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
    from etl.texttable import text_table

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

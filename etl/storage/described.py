"""The warehouse's schema as DuckDB's catalog describes it: every table and view of the DDL,
with its columns, keys and comments (the `COMMENT ON` statements beside each `create` in
sql/tables/, sql/views/ and sql/bi/). The data dictionary (etl/present/dictionary.py) renders
it; publishing (etl/storage/publish.py) carries its comments into the BI file.

Keys: for tables, from their constraints (primary key, foreign keys). Views have no
constraints; their grain key is marked by the convention tables use too: a column comment
starting with "Key." (or "Key part." for a composite key).
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.core.schemas import sql, table_names


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
    from etl.core.schemas import connect_memory, snapshot_view
    from etl.storage.lake import create_views

    con = connect_memory()
    for table in table_names():
        con.execute(sql(f"tables/{table}"))
    create_views(con)
    con.execute(snapshot_view(0, ""))
    return con


def _keys(con) -> dict[tuple[str, str], list[str]]:
    keys: dict[tuple[str, str], list[str]] = {}
    rows = con.execute(sql("catalog/keys")).fetchall()
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
    relations = con.execute(sql("catalog/relations")).fetchall()
    columns: dict[str, list[tuple]] = {}
    for row in con.execute(sql("catalog/columns")).fetchall():
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

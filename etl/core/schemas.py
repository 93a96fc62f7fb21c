"""The warehouse's tables. Their one definition is the DDL in sql/tables/; the Arrow
schemas the transform stage builds are read off that DDL, so the two cannot drift."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyarrow as pa

from etl.core.duck import connect
from etl.core.settings import sql_dir

# Tables whose rows come from the documents of a run, each staged by sql/stage/<table>.sql.
DATA_TABLES = (
    "documents",
    "sources",
    "authors",
    "tags",
    "posts",
    "post_tags",
    "comments",
    "comment_entries",
    "document_warnings",
)
# The rows the extract workers write, in the order staging reads them: raw_<table> in
# sql/stage/raw_tables.sql.
RAW_TABLES = ("documents", "document_warnings", "posts", "post_tags", "comments", "comment_entries")
# What the workers write besides: every file they read, as it was then (raw_input_files), which
# the run's commit adds to the warehouse's input_files.
RAW_INPUTS = "input_files"
# Storage-internal tables (etl/storage/): in the DDL folder, not part of the data contract.
INTERNAL_TABLES = ("input_files", "upgrades")


@cache
def table_names() -> tuple[str, ...]:
    """Every table of the data contract: every table after the tables its foreign keys point
    to, then any other table sql/tables/ defines (a table added there is created by the next
    run). Read from the DDL folder when first asked, not at import."""
    known = ("runs", *DATA_TABLES, "validation_results")
    return known + tuple(sorted(p.stem for p in (sql_dir() / "tables").glob("*.sql")
                                if p.stem not in (*known, *INTERNAL_TABLES)))


def sql(name: str, folder: Path | None = None) -> str:
    """The text of sql/<name>.sql (of the package's sql/ folder, unless `folder` names another)."""
    return ((folder or sql_dir()) / f"{name}.sql").read_text(encoding="utf-8")


def literal(text: Path | str) -> str:
    """A path or name as the inside of an SQL string literal ('' for ')."""
    return str(text).replace("'", "''")


def snapshot_view(snapshot_id: int, run_id: str) -> str:
    """The view etl_snapshot of the BI file (sql/published/etl_snapshot.sql), showing one snapshot."""
    return sql("published/etl_snapshot").format(snapshot_id=int(snapshot_id), run_id=literal(run_id))


def connect_memory():
    """An empty in-memory DuckDB, opened like the warehouse (offline)."""
    return connect()


@cache
def arrow_schemas() -> dict[str, pa.Schema]:
    """Arrow schema of every table, from an in-memory DuckDB built from the DDL."""
    con = connect_memory()
    for table in table_names():
        con.execute(sql(f"tables/{table}"))
    return {t: con.sql(f"select * from {t} limit 0").to_arrow_table().schema for t in table_names()}


@cache
def raw_schemas() -> dict[str, pa.Schema]:
    """Arrow schema of the raw rows of every table the extract workers write (sql/stage/raw_tables.sql)."""
    con = connect_memory()
    for table in (*table_names(), *INTERNAL_TABLES):
        con.execute(sql(f"tables/{table}"))
    con.execute(sql("stage/raw_tables"))
    return {t: con.sql(f"select * from raw_{t} limit 0").to_arrow_table().schema for t in (*RAW_TABLES, RAW_INPUTS)}

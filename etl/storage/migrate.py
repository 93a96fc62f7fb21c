"""`etl catalog migrate --to postgresql://…`: move a warehouse's SQLite catalog into PostgreSQL,
its history kept.

DuckLake 1.5.5 has no migration of its own (`COPY FROM DATABASE` copies the current state
only: every snapshot, run tag and so `--as-of` and rollback would be lost). So DuckLake
creates its empty catalog in the database, and every `ducklake_*` table of the SQLite file is
copied into it row for row, in one PostgreSQL transaction: snapshots with their times and run
tags, schema history, file lists and statistics, options. The data files stay as they are
(the catalog names them relative to its data path); they are copied only when the new data
path is another folder.

Not kept: nothing in the catalog. Outside it, `lake.sqlite` is renamed `lake.sqlite.migrated`
(a run can no longer write to it: the folder names its new catalog in catalog.json), and
published.duckdb and snapshot.json are written again for the new catalog (the same
snapshot). The logs stay in the warehouse folder.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from etl.core.duck import connect
from etl.core.schemas import literal
from etl.storage import lake
from etl.storage.catalog import CatalogError, PostgresCatalog, SqliteCatalog, write_marker

MIGRATED_NAME = "lake.sqlite.migrated"
NOT_KEPT = (f"lake.sqlite is renamed {MIGRATED_NAME} (kept, no longer written)",
            "published.duckdb and snapshot.json are written again, for the same snapshot",
            "logs/ stays in the warehouse folder, as it is")


@dataclass(frozen=True)
class Migrated:
    rows: dict[str, int]  # ducklake_* table -> rows copied (those with rows)
    snapshots: int
    data_copied: bool


def migrate(con, source: SqliteCatalog, target: PostgresCatalog) -> Migrated:
    """Copy the SQLite catalog `source` into the empty database of `target` (under both
    writer locks), then its data files if `target` names another data path; retire the
    SQLite file. CatalogError if the database already holds a lake with snapshots, or a
    DuckLake of another catalog version."""
    if target.exists():
        raise CatalogError(f"catalog {target.url} already holds a DuckLake: migrate into an empty database")
    lake.attach_catalog(con, target, alias="target")  # DuckLake's own tables, PostgreSQL's types
    con.execute("detach target")
    con.execute(f"attach '{literal(source.path.resolve())}' as src (type sqlite, read_only)")
    con.execute(f"attach '{literal(target.libpq())}' as dst (type postgres)")
    try:
        return _copy(con, source, target)
    finally:
        con.execute("detach src")
        con.execute("detach dst")


def _copy(con, source: SqliteCatalog, target: PostgresCatalog) -> Migrated:
    found = "select table_name from duckdb_tables() where database_name = ? and table_name like 'ducklake%'"
    src = {t for t, in con.execute(found, ["src"]).fetchall()}
    dst = {t for t, in con.execute(found + " and schema_name = 'public'", ["dst"]).fetchall()}
    if src != dst:
        raise CatalogError(f"the catalogs differ in tables ({', '.join(sorted(src ^ dst))}): "
                           "both must be DuckLake of the same version")
    versions = [con.execute(f"select value from {db}.ducklake_metadata where key = 'version'").fetchall()[0][0]
                for db in ("src", "dst.public")]
    if versions[0] != versions[1]:
        raise CatalogError(f"catalog version {versions[0]} (SQLite) is not {versions[1]} (PostgreSQL)")
    inlined = con.execute("select count(*) from src.ducklake_inlined_data_tables").fetchall()[0][0] \
        if "ducklake_inlined_data_tables" in src else 0
    if inlined:
        raise CatalogError("the lake holds inlined data, which this migration does not copy")
    con.begin()
    rows = {}
    for table in sorted(src):
        columns = [c for c, in con.execute(
            "select column_name from duckdb_columns() where database_name = 'dst' and schema_name = 'public' "
            "and table_name = ? order by column_index", [table]).fetchall()]
        listing = ", ".join(f'"{c}"' for c in columns)
        con.execute(f'delete from dst.public."{table}"')
        con.execute(f'insert into dst.public."{table}" ({listing}) select {listing} from src."{table}"')
        (rows[table],), = con.execute(f'select count(*) from src."{table}"').fetchall()
    con.execute("update dst.public.ducklake_metadata set value = ? where key = 'data_path'",
                [f"{target.data_path}/"])
    con.commit()
    copied = {t: n for t, n in rows.items() if n}
    for table, n in copied.items():
        (have,), = con.execute(f'select count(*) from dst.public."{table}"').fetchall()
        if have != n:
            raise CatalogError(f"{table}: {n} rows in the SQLite catalog, {have} copied")
    moved = source.data_path.resolve() != target.data_path
    if moved:
        shutil.copytree(source.data_path, target.data_path, dirs_exist_ok=True)
    return Migrated(copied, rows.get("ducklake_snapshot", 0), moved)


def retire(source: SqliteCatalog, target: PostgresCatalog) -> Path:
    """Name the new catalog in the folder, then rename lake.sqlite to lake.sqlite.migrated."""
    write_marker(source.root, target)
    moved = source.path.with_name(MIGRATED_NAME)
    source.path.replace(moved)
    return moved


def verify(source: SqliteCatalog, target: PostgresCatalog) -> list[str]:
    """Every snapshot a run tagged, read through both catalogs: each table's row count and
    a hash of its rows. Returns where they differ (nothing, for a good copy)."""
    differ = []
    with connect() as con:
        lake.attach_catalog(con, source, read_only=True, alias="a")
        lake.attach_catalog(con, target, read_only=True, alias="b")
        tables = [t for t, in con.execute("select table_name from duckdb_tables() where database_name = 'a'")
                  .fetchall()]
        for snapshot in lake.snapshots(con, "a"):
            for table in tables:
                if _state(con, "a", table, snapshot.snapshot_id) != _state(con, "b", table, snapshot.snapshot_id):
                    differ.append(f"{table} at snapshot {snapshot.snapshot_id} (run {snapshot.run_id})")
    return differ


def _state(con, alias: str, table: str, snapshot: int) -> object:
    import duckdb

    try:
        return con.execute(f'select count(*), sum(hash(t)) from {alias}."{table}" at (version => {snapshot}) as t'
                           ).fetchall()
    except duckdb.Error as e:  # a table the snapshot predates
        return type(e).__name__

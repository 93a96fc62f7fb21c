"""The table format: a DuckLake (a catalog, Parquet data) of the warehouse.

DuckLake owns snapshots, time travel, schema evolution, compaction and expiry; this module
only opens it the project's way (offline, the extensions from their pip packages) and keeps
its tables in step with the DDL in sql/tables/. Which catalog, and where the data files are,
is etl/storage/catalog.py's (by default):

    <warehouse>/lake.sqlite                    the catalog: snapshots, schemas, file lists
    <warehouse>/data/main/<table>/*.parquet    the data files (and delete files) it lists

etl/storage/warehouse.py (`Warehouse`) is the one object the rest of etl calls.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from etl.core.duck import connect, sql_value
from etl.core.schemas import INTERNAL_TABLES, literal, sql, table_names
from etl.core.settings import sql_dir
from etl.core.summary import RunSummary
from etl.storage.catalog import CATALOG_NAME, DATA_NAME, Catalog, resolve

__all__ = ["CATALOG_NAME", "DATA_NAME"]

ALIAS = "lake"


class SchemaConflict(Exception):
    """The warehouse has a column the DDL changed in a way no run may apply by itself."""


class NewerRelease(Exception):
    """The warehouse was written by a newer release of aletho-etl than this one."""


@dataclass(frozen=True)
class Snapshot:
    """One committed DuckLake snapshot that a run (or a rollback) made."""

    snapshot_id: int
    run_id: str


def _extensions() -> tuple[Path, Path]:
    """The DuckLake and SQLite extension files of their pip packages (every catalog loads
    both: the SQLite one also reads `lake.sqlite` for `etl catalog migrate`). The SQLite one
    is loaded from a copy named sqlite_scanner.duckdb_extension: DuckDB derives the entry
    point from the file name."""
    import duckdb_extension_ducklake
    import duckdb_extension_sqlite

    def find(module, name: str) -> Path:
        found = sorted(Path(module.__file__).parent.glob(f"extensions/*/{name}.duckdb_extension"))
        if not found:
            raise RuntimeError(f"{module.__name__} holds no {name}.duckdb_extension")
        return found[-1]

    ducklake = find(duckdb_extension_ducklake, "ducklake")
    sqlite = find(duckdb_extension_sqlite, "sqlite")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aletho-etl" / sqlite.parent.name
    scanner = cache / "sqlite_scanner.duckdb_extension"
    if not scanner.exists() or scanner.stat().st_size != sqlite.stat().st_size:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{os.getpid()}.tmp"
        shutil.copyfile(sqlite, tmp)
        os.replace(tmp, scanner)
    return ducklake, scanner


def attach(con, root: Path, *, read_only: bool = False, snapshot_id: int | None = None,
           alias: str = ALIAS) -> None:
    """Attach the DuckLake of the warehouse at `root` to `con` as `alias` (created if missing
    unless read-only), at its latest snapshot or at `snapshot_id`."""
    attach_catalog(con, resolve(root), read_only=read_only, snapshot_id=snapshot_id, alias=alias)


def attach_catalog(con, catalog: Catalog, *, read_only: bool = False, snapshot_id: int | None = None,
                   alias: str = ALIAS) -> None:
    """Attach the DuckLake whose catalog is `catalog` (see `attach`)."""
    for extension in _extensions():
        con.execute(f"load '{literal(extension)}'")
    for extension in catalog.extensions():
        con.execute(f"load '{literal(extension)}'")
    # The data path is where the data is now (a copied or moved warehouse keeps working).
    options = [f"data_path '{literal(catalog.data_path)}/'", "override_data_path true",
               "data_inlining_row_limit 0"]
    if read_only:
        options.append("read_only")
    else:  # row order is no promise (reports sort), and OPTIONS' byte-sized row groups need this
        con.execute("set preserve_insertion_order = false")
    if snapshot_id is not None:
        options.append(f"snapshot_version {int(snapshot_id)}")
    catalog.check()
    con.execute(f"attach 'ducklake:{literal(catalog.attach_target())}' as {alias} ({', '.join(options)})")


# Written into the catalog by every writer: DuckDB buffers a row group per thread while it
# writes Parquet, outside its memory limit, and a default group (122,880 rows of ~3 KB
# bodies) does not fit WRITER_MEMORY_MB: a group ends at 16,384 rows or 8 MB, whichever first.
OPTIONS = {"parquet_row_group_size": "16384", "parquet_row_group_size_bytes": "8MB",
           "parquet_compression": "zstd"}


def configure(con, alias: str = ALIAS) -> None:
    """Write OPTIONS into the catalog, only those not set so already (each write is a catalog
    update that two writers at once would conflict on)."""
    have = dict(con.execute(f"select option_name, value from {alias}.options() where scope = 'GLOBAL'").fetchall())
    for name, value in OPTIONS.items():
        if have.get(name) != value:
            con.execute(f"call {alias}.set_option({sql_value(name)}, {sql_value(value)})")


def exists(root: Path) -> bool:
    return resolve(root).exists()


@cache
def ddl_types(not_null: bool = False) -> dict[str, dict[str, str]]:
    """Every table's columns and their types as the DDL in sql/tables/ defines them, in order
    (with `not_null`, "VARCHAR NOT NULL" for a NOT NULL column). The DDL is executed once."""
    if not not_null:
        return {t: {c: kind.removesuffix(" NOT NULL") for c, kind in columns.items()}
                for t, columns in ddl_types(not_null=True).items()}
    with connect() as con:
        for table in (*table_names(), *INTERNAL_TABLES):
            con.execute(sql(f"tables/{table}"))
        return table_columns(con, "memory", not_null)


def table_columns(con, database: str, not_null: bool = False) -> dict[str, dict[str, str]]:
    """The columns and types of the base tables in `database`, in order; with `not_null`,
    the types of NOT NULL columns carry it ("VARCHAR NOT NULL")."""
    out: dict[str, dict[str, str]] = {}
    for table, column, kind, nullable in con.execute(
            "select c.table_name, c.column_name, c.data_type, c.is_nullable from duckdb_columns() as c "
            "semi join (select table_oid from duckdb_tables() where not temporary) as t on c.table_oid = t.table_oid "
            f"where c.database_name = {sql_value(database)} order by c.table_name, c.column_index").fetchall():
        out.setdefault(table, {})[column] = kind if nullable or not not_null else f"{kind} NOT NULL"
    return out


def evolve(con, alias: str = ALIAS) -> list[str]:
    """Bring the lake's tables in step with the DDL: create missing tables, add new columns
    (DuckLake records both as a schema change in a snapshot). A column whose type changed,
    or that the DDL dropped, is refused: that needs a decision, not an automatic step.
    Returns what it changed, as lines for the log."""
    wanted = ddl_types(not_null=True)
    have = table_columns(con, alias, not_null=True)
    changes: list[str] = []
    for table, columns in wanted.items():
        if table not in have:
            cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
            con.execute(f'create table {alias}."{table}" ({cols})')
            changes.append(f"created table {table}")
            continue
        for column, kind in columns.items():
            if column not in have[table]:
                con.execute(f'alter table {alias}."{table}" add column "{column}" {kind}')
                changes.append(f"added column {table}.{column} {kind}")
            elif have[table][column] != kind:
                raise SchemaConflict(f"{table}.{column} is {have[table][column]} in the warehouse but {kind} in "
                                     f"sql/tables/{table}.sql: change it back, or rebuild with --full-refresh")
        dropped = [c for c in have[table] if c not in columns]
        if dropped:
            raise SchemaConflict(f"the warehouse's {table} has columns sql/tables/{table}.sql no longer defines "
                                 f"({', '.join(dropped)}): put them back, or rebuild with --full-refresh")
    return changes


def refuse_newer(con, root: Path, alias: str = ALIAS) -> None:
    """Raise NewerRelease if a newer release than this one wrote the attached lake (its `runs`
    rows name their release): this one might misread what it changed. Before any write."""
    from packaging.version import Version

    from etl import __version__

    if "etl_version" not in table_columns(con, alias).get("runs", {}):
        return  # written by releases before 0.2.0 only
    found = [v for v, in con.execute(f"select distinct etl_version from {alias}.runs where etl_version is not null")
             .fetchall()]
    newest = max(found, key=Version, default=None)
    if newest is not None and Version(newest) > Version(__version__):
        raise NewerRelease(f"{root} was written by aletho-etl {newest}, newer than this {__version__}: "
                           f"install {newest} or later (pip install --upgrade aletho-etl)")


def snapshots(con, alias: str = ALIAS) -> list[Snapshot]:
    """The snapshots runs committed (tagged with their run id), oldest first, as far as
    retention keeps them."""
    return [Snapshot(s, r) for s, r in con.execute(
        f"select snapshot_id, commit_message from {alias}.snapshots() "
        "where author = 'etl' and commit_message is not null order by snapshot_id").fetchall()]


def latest(con, alias: str = ALIAS) -> Snapshot | None:
    found = snapshots(con, alias)
    return found[-1] if found else None


def current(con, alias: str = ALIAS) -> Snapshot:
    """The lake's newest snapshot (maintenance and rollbacks commit snapshots of their own),
    named after the run whose data it holds."""
    run = latest(con, alias)
    assert run is not None, "no run has committed yet"
    (snapshot_id,), = con.execute(f"select max(snapshot_id) from {alias}.snapshots()").fetchall()
    return Snapshot(snapshot_id, run.run_id)


def tag(con, run_id: str, alias: str = ALIAS) -> None:
    """Name the open transaction's snapshot after the run that commits it."""
    con.execute(f"call {alias}.set_commit_message('etl', {sql_value(run_id)})")


def select_list(columns: dict[str, str], present) -> str:
    """The DDL's columns in order, each cast to its DDL type; NULL for one not `present` in the
    source (a table or file written before the column was added)."""
    return ", ".join(f'cast("{c}" as {t}) as "{c}"' if c in present else f'cast(null as {t}) as "{c}"'
                     for c, t in columns.items())


def create_views(con) -> None:
    """The views of sql/views/ and the BI layer of sql/bi/, over tables `con` already names."""
    for folder in ("views", "bi"):
        for path in sorted((sql_dir() / folder).glob("*.sql")):
            con.execute(path.read_text(encoding="utf-8"))


def table_rows(con, tables: tuple[str, ...] | None = None) -> dict[str, int]:
    """Rows of each of `tables` as `con` sees them."""
    return {t: con.table(t).aggregate("count(*)").fetchall()[0][0] for t in tables or table_names()}


def insert_run(con, record: RunSummary) -> None:
    """The run's row of `runs`, from its record (by column), its values written into the
    statement (etl/core/duck.py sql_value: no bound value, so DuckDB imports no pandas)."""
    row = record.runs_row()
    con.execute(sql("load/insert_run").format(**{column: sql_value(v) for column, v in row.items()}))

"""Publish a snapshot for readers that have no DuckLake: the BI file and the manifest.

- `published.duckdb`: a small DuckDB file (storage format v1.0.0, which DuckDB 1.0 and
  every later client opens) with one view per table over the exact Parquet files of one
  snapshot (their delete files applied), then the views of sql/views/ and sql/bi/. It
  holds no data, so writing it costs kilobytes, not a copy of the warehouse.
- `snapshot.json`: the same file lists, for Spark, pandas or any Parquet reader.

Both are written beside their final name and renamed over it: a reader opens either the
previous snapshot's or this one's, never a mix. The data files they name stay on disk
until retention deletes them (etl/storage/maintain.py), long after a newer run publishes.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from etl.core.duck import connect, sql_value
from etl.core.schemas import literal, snapshot_view, table_names
from etl.storage.lake import ALIAS, Snapshot, create_views, ddl_types, select_list

PUBLISHED_NAME = "published.duckdb"
MANIFEST_NAME = "snapshot.json"
STORAGE_VERSION = "v1.0.0"
WRITABLE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


@dataclass
class TableFiles:
    """The Parquet files that make up one table in one snapshot."""

    files: list[str] = field(default_factory=list)
    deletes: dict[str, str] = field(default_factory=dict)  # data file → its delete file (positions)


def table_files(con, table: str, alias: str = ALIAS) -> TableFiles:
    out = TableFiles()
    for data, delete in con.execute(
            f"select data_file, delete_file from ducklake_list_files('{alias}', {sql_value(table)}) "
            "order by data_file").fetchall():
        out.files.append(data)
        if delete:
            out.deletes[data] = delete
    return out


def _columns_in(con, files: list[str]) -> dict[str, set[str]]:
    """The column names of each of these Parquet files (older files lack later columns)."""
    if not files:
        return {}
    listing = ", ".join(f"'{literal(f)}'" for f in files)
    out: dict[str, set[str]] = {f: set() for f in files}
    for file, name in con.execute(f"select file_name, name from parquet_schema([{listing}])").fetchall():
        out.setdefault(file, set()).add(name)
    return out


def view_sql(table: str, columns: dict[str, str], found: dict[str, set[str]], tf: TableFiles) -> str:
    """A view of one table over its files: each column cast to its DDL type, the rows its
    delete files name left out. A file written before a column was added reads it as NULL:
    the files without delete files are read together by name (a column none of them has is
    a NULL literal), each file with a delete file on its own, with its own columns. Plain
    read_parquet SQL, so that DuckDB 1.0 re-runs it as the writer means it."""
    parts = []
    whole = [f for f in tf.files if f not in tf.deletes]
    if whole:
        listing = ", ".join(f"'{literal(f)}'" for f in whole)
        select = select_list(columns, set().union(*(found[f] for f in whole)))
        parts.append(f"select {select} from read_parquet([{listing}], union_by_name = true)")
    for data, delete in tf.deletes.items():
        parts.append(f"select {select_list(columns, found[data])} from read_parquet('{literal(data)}', "
                     f"file_row_number = true) where file_row_number not in "
                     f"(select pos from read_parquet('{literal(delete)}'))")
    if not parts:
        parts.append(f"select {select_list(columns, set())} where false")
    return f'create view "{table}" as\n' + "\nunion all\n".join(parts)


@cache
def _comments() -> list[str]:
    """COMMENT ON statements that carry the DDL's comments to the views standing for the tables
    (what BI tools browse)."""
    from etl.storage.described import collect, ddl_catalog

    with ddl_catalog() as con:
        tables = [r for r in collect(con) if r.name in table_names()]
    out = []
    for r in tables:
        out.append(f"comment on view \"{r.name}\" is '{literal(r.comment)}'")
        out += [f"comment on column \"{r.name}\".\"{c.name}\" is '{literal(c.comment)}'" for c in r.columns]
    return out


def publish(con, root: Path, snapshot: Snapshot, alias: str = ALIAS) -> dict[str, TableFiles]:
    """Write published.duckdb and snapshot.json for the lake's current snapshot (attached to
    `con` as `alias`), which a run tagged `snapshot`."""
    files = {t: table_files(con, t, alias) for t in table_names()}
    seal(f for tf in files.values() for f in (*tf.files, *tf.deletes.values()))
    tmp = root / f".{PUBLISHED_NAME}.tmp"
    tmp.unlink(missing_ok=True)
    with connect() as bi:
        bi.execute(f"attach '{literal(tmp)}' as bi (storage_version '{STORAGE_VERSION}')")
        bi.execute("use bi")
        bi.begin()  # one commit, not one per view and comment (each would write the file's WAL)
        snapshot_views(bi, files, snapshot)
        for statement in _comments():
            bi.execute(statement)
        bi.commit()
        bi.execute("use memory")
        bi.execute("detach bi")
    _replace(tmp, root / PUBLISHED_NAME)
    manifest = {
        "snapshot_id": snapshot.snapshot_id, "run_id": snapshot.run_id, "root": str(root.resolve()),
        "tables": {t: {"files": f.files, "deletes": f.deletes} for t, f in files.items()},
    }
    tmp = root / f".{MANIFEST_NAME}.tmp"
    tmp.unlink(missing_ok=True)  # a killed run may have left it, sealed
    tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    _replace(tmp, root / MANIFEST_NAME)
    return files


def snapshot_views(con, files: dict[str, TableFiles], snapshot: Snapshot) -> None:
    """In `con`'s default database: what a reader of one snapshot sees (the BI file, `etl sql
    --as-of`): a view per table over `files`, the views of sql/views/ and sql/bi/, etl_snapshot."""
    columns = ddl_types()
    for table in table_names():
        tf = files.get(table, TableFiles())
        con.execute(view_sql(table, columns[table], _columns_in(con, tf.files), tf))
    create_views(con)
    con.execute(snapshot_view(snapshot.snapshot_id, snapshot.run_id))


def seal(paths: Iterable[str | Path]) -> None:
    """Take the write permission off files readers read (a data file is never changed, only
    replaced or deleted, which needs the folder's permission, not the file's). Files an
    earlier release wrote writable are sealed when a snapshot names them."""
    for path in paths:
        mode = os.stat(path).st_mode
        if mode & WRITABLE:
            os.chmod(path, stat.S_IMODE(mode) & ~WRITABLE)


def published_snapshot(root: Path) -> int | None:
    """The snapshot id snapshot.json names, if it was published for the folder where it is
    now (None before the first publish, or in a copied or moved warehouse)."""
    try:
        manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("snapshot_id") if manifest.get("root") == str(root.resolve()) else None


def _replace(tmp: Path, final: Path) -> None:
    """Rename `tmp` over `final`, sealed and on disk first."""
    seal([tmp])
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)


@dataclass(frozen=True)
class PublishedSnapshot:
    """The snapshot snapshot.json names, read once: every table taken from it is of that one
    snapshot, however many runs publish meanwhile (the files it names stay on disk for the
    retention period). The way any Parquet reader (pandas, Spark, polars) reads the warehouse."""

    snapshot_id: int
    run_id: str
    tables: dict[str, TableFiles]

    def table(self, name: str):
        """One table as a pyarrow Table: each data file read whole, less the row positions
        its delete file lists; the DDL's columns (a column older files lack is null there)."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        columns = ddl_types().get(name)
        if columns is None or name not in table_names():
            raise KeyError(f"no table {name!r} in the warehouse (tables: {', '.join(table_names())})")
        entry = self.tables.get(name, TableFiles())  # a table added after this snapshot: empty
        parts = []
        for path in entry.files:
            data = pq.read_table(path)
            delete = entry.deletes.get(path)
            if delete:
                gone = pq.read_table(delete, columns=["pos"]).column("pos")
                data = data.filter(pc.invert(pc.is_in(pa.array(range(data.num_rows), pa.int64()), gone)))
            parts.append(data.select([c for c in columns if c in data.column_names]))
        if not parts:
            return pa.table({c: pa.array([], pa.null()) for c in columns})
        return pa.concat_tables(parts, promote_options="default")


def read_snapshot(root: Path) -> PublishedSnapshot:
    """The published snapshot of the warehouse at `root`, from one read of snapshot.json."""
    manifest = json.loads((Path(root) / MANIFEST_NAME).read_text(encoding="utf-8"))
    return PublishedSnapshot(manifest["snapshot_id"], manifest["run_id"], {
        t: TableFiles(e["files"], e["deletes"]) for t, e in manifest["tables"].items()})


def read_table(root: Path, table: str):
    """One table of the published snapshot as a pyarrow Table. It reads snapshot.json on each
    call: two calls may see two snapshots if a run publishes between them. For several
    tables, `read_snapshot(root)` once, then `.table(name)` for each."""
    return read_snapshot(root).table(table)

"""The read path: how every `etl` command that reads opens the warehouse.

`open_reader` is the one way in for `etl sql` (and `--as-of`), `etl report`, `etl status`,
`etl dashboard` and `etl validation-report`. The connection it returns:

- shows one snapshot: the published one (published.duckdb, attached read-only to a fresh
  in-memory DuckDB: `duckdb.connect(path)` would hand back the database instance that
  another connection of the process holds open, still on the snapshot it opened), or with
  `as_of` the one a run left (views over that snapshot's files, the lake then detached);
- reaches no file but the warehouse's data files: external access is off except for the
  data folder (`allowed_directories`), no extension loads, and the configuration is locked,
  so no statement can undo any of it;
- runs read statements only: every statement's type, as DuckDB's own parser gives it, must
  be SELECT, which covers WITH, FROM-first queries, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE
  and the PRAGMAs that only read. COPY, ATTACH, LOAD, INSTALL, SET, CREATE, CALL, EXPLAIN
  (EXPLAIN ANALYZE runs its statement) and the rest raise NotARead before anything runs.

DuckDB lets a connection write files inside its allowed folders (`COPY … TO` a data file):
refusing every statement but SELECT is what keeps this read path from writing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from etl.core.duck import connect
from etl.core.schemas import literal
from etl.storage.history import NoRun
from etl.storage.warehouse import NoWarehouse, Warehouse

READ_STATEMENTS = ("SELECT",)


class NotARead(Exception):
    """A statement that is not a read (COPY, ATTACH, SET, ...): refused, nothing ran."""


class Unreadable(Exception):
    """The published file (or the lake) cannot be opened: damaged, or not readable."""


def check_reads(query: str) -> None:
    """Raise NotARead unless every statement in `query` is a read, by DuckDB's own parser."""
    import duckdb

    statements = duckdb.extract_statements(query)
    if not statements:
        raise NotARead("no SQL statement given")
    for statement in statements:
        kind = statement.type.name
        if kind not in READ_STATEMENTS:
            raise NotARead("read-only: only queries run here (SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, "
                           f"SHOW, SUMMARIZE), not {kind} statements")


class Reader:
    """A confined connection that runs read statements only (see the module's docstring)."""

    def __init__(self, con) -> None:
        self._con = con

    def execute(self, query: str, parameters: Any = None):
        check_reads(query)
        return self._con.execute(query, parameters)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def confine(con, data: Path) -> None:
    """From now on `con` reads the warehouse's data files (under `data`) and nothing else, and
    can change no setting. (DuckDB takes `allowed_directories` only by SET, and only while
    external access is on: hence the order.) Parquet footers are cached between queries: a
    data file is never changed once written (only replaced, under a new name), and every
    query reads the footers of its tables' files when it binds (half the planning time of a
    search at 1M posts)."""
    data = literal(data)
    con.execute("set parquet_metadata_cache = true")
    con.execute(f"set allowed_directories = ['{data}/']")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def open_reader(root: Path | Warehouse, as_of: str | None = None) -> Reader:
    """A Reader of the warehouse at `root` (a folder, or a Warehouse naming its catalog): the
    published snapshot, or with `as_of` the one run `as_of` left (time travel). Raises
    NoWarehouse (LegacyWarehouse), UnknownRun or Unreadable."""
    import duckdb

    wh = root if isinstance(root, Warehouse) else Warehouse(root)
    wh.refuse_legacy()
    # A folder copied or moved since it published (its BI file names the files of the old
    # place), or a host that has only the catalog and the data path: the same snapshot is
    # read through the DuckLake.
    published = as_of is None and wh.published_snapshot() is not None
    if not (wh.published.exists() if as_of is None and wh.writes_here else wh.exists()):
        raise NoWarehouse(f"no warehouse at {wh.root}: run `etl run` first")
    try:
        con = _published(wh.published) if published else wh.open_snapshot(as_of)
    except NoRun:
        raise NoWarehouse(f"no warehouse at {wh.root} ({wh.catalog.display}): run `etl run` first") from None
    except (duckdb.Error, OSError) as e:
        what, hint = (wh.published, f"; `etl run -w {wh.root}` publishes it again") if published else \
            (f"the DuckLake of {wh.root} (catalog {wh.catalog.display})", "")
        raise Unreadable(f"cannot read {what}: {str(e).splitlines()[0]}{hint}") from None
    try:
        confine(con, wh.data)
    except Exception:
        con.close()
        raise
    return Reader(con)


def _published(path: Path):
    con = connect()
    try:
        con.execute(f"attach '{literal(path)}' as published (read_only)")
        con.execute("use published")
    except Exception:
        con.close()
        raise
    return con

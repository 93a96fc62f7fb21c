"""Time travel and rollback, on DuckLake's snapshots.

Every run commits one snapshot tagged with its run id (etl/storage/lake.py `tag`), so a run
id names a state of every table at once:
- `open_as_of` reads the warehouse as a run left it (`etl sql --as-of RUN_ID`);
- `rollback` makes that state current again as a new snapshot (`etl rollback RUN_ID`): the
  snapshots after it stay, so `--as-of` still reads them until retention expires them. A
  table added since reads as empty, a column added since as NULL, and a table a
  `--full-refresh` rebuilt since as it stood then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from etl import __version__
from etl.core import duck
from etl.core.schemas import INTERNAL_TABLES, table_names
from etl.core.summary import Provenance, RunSummary, Validation
from etl.storage import lake
from etl.storage.catalog import Catalog, resolve
from etl.storage.publish import snapshot_views, table_files


# Tables a rollback restores; `runs` and `validation_results` keep every run's history.
def restored() -> tuple[str, ...]:
    return tuple(t for t in table_names() if t not in ("runs", "validation_results")) + INTERNAL_TABLES


class UnknownRun(Exception):
    """No snapshot of the warehouse is tagged with this run id."""


class NoRun(Exception):
    """The lake exists, but no run has committed to it yet."""


class RollbackRefused(Exception):
    """The run's rows cannot be put into the tables as they are now (a column's type changed)."""


@dataclass(frozen=True)
class Rollback:
    run_id: str  # the rollback's own id, in `runs`
    target: lake.Snapshot
    before: dict[str, int]  # rows of each restored table before and after
    after: dict[str, int]
    publish_error: str | None = None  # committed, but not published: why (the next run publishes)


def find(con, run_id: str, alias: str = lake.ALIAS) -> lake.Snapshot:
    found = [s for s in lake.snapshots(con, alias) if s.run_id == run_id]
    if not found:
        known = ", ".join(s.run_id for s in lake.snapshots(con, alias)[-5:]) or "none"
        raise UnknownRun(f"no snapshot of run {run_id} (never published, or expired by retention); "
                         f"latest runs: {known}")
    return found[-1]


def open_as_of(root: Path, run_id: str | None, catalog: Catalog | None = None):
    """An in-memory connection whose tables and views are the warehouse as run `run_id` left
    it (None: as the latest run left it): the views a published file would hold, over that
    snapshot's files (a table or column the snapshot predates reads as empty or NULL). The
    lake is detached before it returns: the connection reaches no catalog, only files."""
    catalog = catalog or resolve(root)
    con = duck.connect()
    try:
        lake.attach_catalog(con, catalog, read_only=True)
        if run_id is None:
            if lake.latest(con) is None:
                raise NoRun("no run has committed yet")
            target, alias = lake.current(con), lake.ALIAS
        else:
            target, alias = find(con, run_id), "as_of"
            lake.attach_catalog(con, catalog, read_only=True, snapshot_id=target.snapshot_id, alias=alias)
        present = {t for t, in con.execute("select table_name from duckdb_tables() where database_name = ?",
                                            [alias]).fetchall()}
        files = {t: table_files(con, t, alias) for t in table_names() if t in present}
        snapshot_views(con, files, target)
        for attached in {alias, lake.ALIAS}:
            con.execute(f"detach {attached}")
    except Exception:
        con.close()
        raise
    return con


def open_current(root: Path):
    """The latest snapshot, read through the DuckLake (as `open_as_of`)."""
    return open_as_of(root, None)


def rollback(con, root: Path, target_run: str, rollback_id: str, catalog: Catalog | None = None) -> Rollback:
    """In `con` (the lake of `root` attached and in use, under the writer lock): restore every
    data table to its state after `target_run`, record the rollback in `runs`, commit it as a
    snapshot tagged `rollback_id`."""
    target = find(con, target_run)
    started = datetime.now(UTC).replace(tzinfo=None)
    before = lake.table_rows(con, restored())
    # The target snapshot attached on its own: its tables and columns as they were then,
    # read unchanged while the transaction below empties the current ones.
    lake.attach_catalog(con, catalog or resolve(root), read_only=True, snapshot_id=target.snapshot_id, alias=TARGET)
    try:
        con.begin()
        _restore(con, target_run)
        after = lake.table_rows(con, restored())
        rows = lake.table_rows(con)
        rows["runs"] += 1
        record = RunSummary(rollback_id, "rollback", 0, started.isoformat(),
                            Validation(f"rolled back to {target_run}", 0),
                            finished_at=datetime.now(UTC).replace(tzinfo=None).isoformat(), table_rows=rows,
                            made_by=Provenance(__version__))
        lake.insert_run(con, record)
        lake.tag(con, rollback_id)
        con.commit()
    finally:
        con.execute(f"detach {TARGET}")
    return Rollback(rollback_id, target, before, after)


TARGET = "rollback_target"


def _restore(con, target_run: str) -> None:
    """Replace each restored table's rows by the target snapshot's, in the current columns: a
    table the snapshot lacks is left empty, a column it lacks is NULL (in the open transaction;
    RollbackRefused, and the transaction rolled back, if a value no longer fits its column)."""
    import duckdb

    now, then = lake.table_columns(con, lake.ALIAS), lake.table_columns(con, TARGET)
    for table in restored():
        con.execute(f'delete from "{table}"')
        if table not in then:
            continue
        try:
            con.execute(f'insert into "{table}" by name select {lake.select_list(now[table], then[table])} '
                        f'from {TARGET}."{table}"')
        except (duckdb.ConversionException, duckdb.BinderException) as e:
            con.rollback()
            raise RollbackRefused(f"cannot roll back to run {target_run}: its {table} rows do not fit the table's "
                                  f"columns since a --full-refresh changed them ({str(e).splitlines()[0]})") from None

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

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from etl import duck
from etl.schemas import INTERNAL_TABLES, TABLES, sql
from etl.storage import lake

# Tables a rollback restores; `runs` and `validation_results` keep every run's history.
RESTORED = tuple(t for t in TABLES if t not in ("runs", "validation_results")) + INTERNAL_TABLES


class UnknownRun(Exception):
    """No snapshot of the warehouse is tagged with this run id."""


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


def open_as_of(root: Path, run_id: str | None):
    """A read-only connection whose tables and views are the warehouse as run `run_id` left
    it (None: as the latest run left it)."""
    con = duck.connect()
    try:
        lake.attach(con, root, read_only=True)
        if run_id is not None:
            target = find(con, run_id)
            lake.attach(con, root, read_only=True, snapshot_id=target.snapshot_id, alias="as_of")
        lake.views_over(con, "as_of" if run_id is not None else lake.ALIAS)
    except Exception:
        con.close()
        raise
    return con


def open_current(root: Path):
    """The latest snapshot, read through the DuckLake (as `open_as_of`)."""
    return open_as_of(root, None)


def rollback(con, root: Path, target_run: str, rollback_id: str) -> Rollback:
    """In `con` (the lake of `root` attached and in use, under the writer lock): restore every
    data table to its state after `target_run`, record the rollback in `runs`, commit it as a
    snapshot tagged `rollback_id`."""
    target = find(con, target_run)
    started = datetime.now(UTC).replace(tzinfo=None)
    before = lake.table_rows(con, RESTORED)
    # The target snapshot attached on its own: its tables and columns as they were then,
    # read unchanged while the transaction below empties the current ones.
    lake.attach(con, root, read_only=True, snapshot_id=target.snapshot_id, alias=TARGET)
    try:
        con.begin()
        _restore(con, target_run)
        after = lake.table_rows(con, RESTORED)
        rows = lake.table_rows(con)
        rows["runs"] += 1
        finished = datetime.now(UTC).replace(tzinfo=None)
        con.execute(sql("load/insert_run"), [rollback_id, started, finished, "rollback", 0, False, 0, 0, 0, 0, 0,
                                             f"rolled back to {target_run}", 0, 0, json.dumps(rows)])
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
    for table in RESTORED:
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

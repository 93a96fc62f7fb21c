"""Time travel and rollback, on DuckLake's snapshots.

Every run commits one snapshot tagged with its run id (etl/storage/lake.py `tag`), so a run
id names a state of every table at once:
- `open_as_of` reads the warehouse as a run left it (`etl sql --as-of RUN_ID`);
- `rollback` makes that state current again as a new snapshot (`etl rollback RUN_ID`): the
  snapshots after it stay, so `--as-of` still reads them until retention expires them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from etl import __version__, duck
from etl.schemas import INTERNAL_TABLES, TABLES, sql
from etl.storage import lake
from etl.storage.publish import snapshot_views, table_files

# Tables a rollback restores; `runs` and `validation_results` keep every run's history.
RESTORED = tuple(t for t in TABLES if t not in ("runs", "validation_results")) + INTERNAL_TABLES


class UnknownRun(Exception):
    """No snapshot of the warehouse is tagged with this run id."""


@dataclass(frozen=True)
class Rollback:
    run_id: str  # the rollback's own id, in `runs`
    target: lake.Snapshot
    before: dict[str, int]  # rows of each restored table before and after
    after: dict[str, int]


def find(con, run_id: str, alias: str = lake.ALIAS) -> lake.Snapshot:
    found = [s for s in lake.snapshots(con, alias) if s.run_id == run_id]
    if not found:
        known = ", ".join(s.run_id for s in lake.snapshots(con, alias)[-5:]) or "none"
        raise UnknownRun(f"no snapshot of run {run_id} (never published, or expired by retention); "
                         f"latest runs: {known}")
    return found[-1]


def open_as_of(root: Path, run_id: str | None):
    """An in-memory connection whose tables and views are the warehouse as run `run_id` left
    it (None: as the latest run left it): the views a published file would hold, over that
    snapshot's files (a table or column the snapshot predates reads as empty or NULL). The
    lake is detached before it returns: the connection reaches no catalog, only files."""
    con = duck.connect()
    try:
        lake.attach(con, root, read_only=True)
        if run_id is None:
            target, alias = lake.current(con), lake.ALIAS
        else:
            target, alias = find(con, run_id), "as_of"
            lake.attach(con, root, read_only=True, snapshot_id=target.snapshot_id, alias=alias)
        present = {t for t, in con.execute("select table_name from duckdb_tables() where database_name = ?",
                                            [alias]).fetchall()}
        files = {t: table_files(con, t, alias) for t in TABLES if t in present}
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


def rollback(con, target_run: str, rollback_id: str) -> Rollback:
    """In `con` (the lake attached and in use, under the writer lock): restore every data
    table to its state after `target_run`, record the rollback in `runs`, commit it as a
    snapshot tagged `rollback_id`."""
    target = find(con, target_run)
    started = datetime.now(UTC).replace(tzinfo=None)
    before = lake.table_rows(con, RESTORED)
    con.begin()
    for table in RESTORED:
        # Read the old rows before the delete: inside the transaction, time travel sees it.
        con.execute(f'create temp table restore as select * from "{table}" at (version => {target.snapshot_id})')
        con.execute(f'delete from "{table}"')
        con.execute(f'insert into "{table}" by name select * from restore')
        con.execute("drop table restore")
    after = lake.table_rows(con, RESTORED)
    rows = lake.table_rows(con)
    rows["runs"] += 1
    finished = datetime.now(UTC).replace(tzinfo=None)
    con.execute(sql("load/insert_run"), {
        "run_id": rollback_id, "started_at": started, "finished_at": finished, "status": "rollback",
        "exit_code": 0, "full_refresh": False, "documents_new": 0, "documents_skipped": 0,
        "documents_rejected": 0, "posts_new": 0, "posts_updated": 0,
        "validation_status": f"rolled back to {target_run}", "expectations_evaluated": 0,
        "expectations_failed": 0, "table_rows": json.dumps(rows), "etl_version": __version__,
        "config_file": None, "config_sha256": None, "lists_sha256": None, "suites_sha256": None})
    lake.tag(con, rollback_id)
    con.commit()
    return Rollback(rollback_id, target, before, after)

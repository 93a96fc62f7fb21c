"""Keep the lake small: compact small files, fold in deletes, expire old snapshots.

All of it is DuckLake's own maintenance; this module only decides when, so that a
nightly run that adds a little writes a little:
- a table is compacted (`ducklake_merge_adjacent_files`) once it has COMPACT_AT files
  smaller than SMALL_FILE: each run adds one small file per table it writes, so compaction
  runs about every COMPACT_AT runs. It merges only files smaller than SMALL_FILE, so it
  never rewrites the bulk of a table that a large load wrote;
- a data file most of whose rows are deleted is rewritten (`ducklake_rewrite_data_files`);
- snapshots older than the retention are expired, and the files only they used are deleted
  (`ducklake_expire_snapshots`, `ducklake_cleanup_old_files`). Until then `etl sql --as-of`
  reads them, and a BI client that opened an older published.duckdb keeps working.
  Whatever the retention, three snapshots never expire: the newest, the one published.duckdb
  and snapshot.json name (readers use its files until a run publishes another), and the
  latest run's (the run that is publishing, whose id names the snapshot it publishes).
  And no file snapshot.json names is deleted: compaction schedules the files it merged for
  deletion at once (DuckLake's own time travel reads the merged file), while the published
  files name them until a run publishes again; the cleanup then stops short of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from etl.core.duck import sql_value
from etl.core.schemas import INTERNAL_TABLES, table_names
from etl.core.settings import DEFAULT_RETENTION_DAYS, check_retention
from etl.storage.catalog import Catalog, resolve
from etl.storage.lake import ALIAS, latest
from etl.storage.publish import MANIFEST_NAME, published_snapshot

SMALL_FILE = 8_000_000  # bytes on disk
COMPACT_AT = 16  # small files in one table
DELETE_THRESHOLD = 0.5  # rewrite a data file once this share of its rows is deleted


@dataclass(frozen=True)
class Maintenance:
    compacted: tuple[str, ...]
    expired_snapshots: int
    deleted_files: int


def retention_cutoff(days: float, now: datetime | None = None) -> datetime | None:
    """The time before which snapshots expire; None when `days` reaches back before any date
    a timestamp holds (nothing expires)."""
    check_retention(days)
    try:
        return (now or datetime.now(UTC)) - timedelta(days=days)
    except OverflowError:
        return None


def maintain(con, root: Path, retention_days: float = DEFAULT_RETENTION_DAYS, alias: str = ALIAS,
             catalog: Catalog | None = None) -> Maintenance:
    """Expire, then compact and rewrite, as the rules above say, in the lake of `root`
    attached to `con` as `alias`. Each step commits on its own. Expiry goes first: the files
    this run's compaction and rewrites schedule for deletion are scheduled after the cutoff,
    and DuckLake's cleanup of a SQLite catalog goes by whole days (`_cleanup_before`), so one
    of them would keep every file expired earlier that day on disk; they go on the next run."""
    expired, deleted_files = _expire(con, root, retention_cutoff(retention_days), alias, catalog or resolve(root))
    compacted = []
    for table in (*table_names(), *INTERNAL_TABLES):
        small, deleted = con.execute(
            f"select count(*) filter (where data_file_size_bytes < {SMALL_FILE}), count(delete_file) "
            f"from ducklake_list_files('{alias}', {sql_value(table)})").fetchall()[0]
        if small >= COMPACT_AT:
            con.execute(f"call ducklake_merge_adjacent_files('{alias}', {sql_value(table)}, "
                        f"max_file_size => {SMALL_FILE})")
            compacted.append(table)
        if deleted:
            con.execute(f"call ducklake_rewrite_data_files('{alias}', {sql_value(table)}, "
                        f"delete_threshold => {DELETE_THRESHOLD})")
    return Maintenance(tuple(compacted), expired, deleted_files)


def _expire(con, root: Path, cutoff: datetime | None, alias: str, catalog: Catalog) -> tuple[int, int]:
    """Expire the snapshots older than `cutoff` (but those that never expire) and delete the
    files only they used: how many of each (none when `cutoff` is None)."""
    if cutoff is None:
        return 0, 0
    expiring = _expiring(con, root, cutoff, alias)
    expired = con.execute(f"call ducklake_expire_snapshots('{alias}', versions => {sql_value(expiring)})")\
        .fetchall() if expiring else []
    before = _cleanup_before(con, root, cutoff, alias, catalog)
    deleted_files = con.execute(f"call ducklake_cleanup_old_files('{alias}', older_than => {sql_value(before)})")\
        .fetchall()
    return len(expired), len(deleted_files)


def _expiring(con, root: Path, cutoff: datetime, alias: str) -> list[int]:
    """The snapshots older than `cutoff` but the three that never expire."""
    run = latest(con, alias)
    keep = {published_snapshot(root), run.snapshot_id if run else None}
    return [s for s, in con.execute(
        f"select snapshot_id from {alias}.snapshots() where snapshot_time < {sql_value(cutoff)} "
        f"and snapshot_id < (select max(snapshot_id) from {alias}.snapshots()) order by snapshot_id").fetchall()
        if s not in keep]


def _cleanup_before(con, root: Path, cutoff: datetime, alias: str, catalog: Catalog) -> datetime:
    """What to pass ducklake_cleanup_old_files so that it deletes no file scheduled for
    deletion at `cutoff` or later, nor any file snapshot.json names: `cutoff`, or just before
    the day of the first such file. (DuckLake 1.5.5 compares the schedule times of its SQLite
    catalog as text, and deletes every file scheduled on the day it is given, at any hour:
    measured, see docs/storage.md. Whole days are right whichever way it compares.)"""
    named = _published_files(root)
    data = catalog.data_path
    kept = [start for path, relative, start in con.execute(
        f"select path, path_is_relative, schedule_start::timestamptz "
        f"from __ducklake_metadata_{alias}.ducklake_files_scheduled_for_deletion").fetchall()
        if start >= cutoff or (str(data / path) if relative else path) in named]
    days = [start.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(microseconds=1) for start in kept]
    return min([cutoff, *days])


def _published_files(root: Path) -> set[str]:
    """Every data and delete file snapshot.json names."""
    try:
        tables = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))["tables"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {f for entry in tables.values() for f in (*entry.get("files", []), *entry.get("deletes", {}).values())}

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
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.schemas import INTERNAL_TABLES, TABLES
from etl.storage.lake import ALIAS

DEFAULT_RETENTION_DAYS = 7
SMALL_FILE = 8_000_000  # bytes on disk
COMPACT_AT = 16  # small files in one table
DELETE_THRESHOLD = 0.5  # rewrite a data file once this share of its rows is deleted


@dataclass(frozen=True)
class Maintenance:
    compacted: tuple[str, ...]
    expired_snapshots: int
    deleted_files: int


def maintain(con, retention_days: float = DEFAULT_RETENTION_DAYS, alias: str = ALIAS) -> Maintenance:
    """Compact, rewrite and expire as the rules above say. Each step commits on its own."""
    compacted = []
    for table in (*TABLES, *INTERNAL_TABLES):
        small, deleted = con.execute(
            f"select count(*) filter (where data_file_size_bytes < {SMALL_FILE}), count(delete_file) "
            f"from ducklake_list_files('{alias}', ?)", [table]).fetchall()[0]
        if small >= COMPACT_AT:
            con.execute(f"call ducklake_merge_adjacent_files('{alias}', ?, max_file_size => {SMALL_FILE})", [table])
            compacted.append(table)
        if deleted:
            con.execute(f"call ducklake_rewrite_data_files('{alias}', ?, delete_threshold => {DELETE_THRESHOLD})",
                        [table])
    older = f"now() - interval '{float(retention_days) * 86400} seconds'"
    expired = con.execute(f"call ducklake_expire_snapshots('{alias}', older_than => {older})").fetchall()
    deleted_files = con.execute(f"call ducklake_cleanup_old_files('{alias}', older_than => {older})").fetchall()
    return Maintenance(tuple(compacted), len(expired), len(deleted_files))

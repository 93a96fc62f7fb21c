"""Load: staged tables → a new snapshot of the warehouse, published atomically.

Layout of a warehouse folder:

    .versions/<run_id>/warehouse.duckdb   one immutable snapshot per finished run
    .versions/<run_id>/parquet/<table>/<run>.parquet   the rows each run wrote
    .versions/<run_id>/inputs.parquet     size, time, inode and document of every file read
    current           -> .versions/<run_id>     the one pointer that commits a run
    warehouse.duckdb  -> current/warehouse.duckdb
    published.duckdb  -> current/warehouse.duckdb   (what BI tools open, read-only)
    parquet           -> current/parquet
    logs/<run_id>.json                          summary of every run, published or not
    .lock                                       held by the running writer

A run's workers write its raw rows as Parquet files in `.versions/tmp-<run_id>/raw/`; the
run copies the current database beside them, stages and validates the rows there (as
temporary views), merges them into that private copy, writes the Parquet files of the
rows it added or changed (the others are hard links to the previous snapshot's), then
renames the folder and swaps `current` with one atomic rename. A crash at any moment leaves `current` on the last
finished run, with its database and Parquet files consistent; the next run deletes the
leftover temporary folder. Readers never open the file a writer writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

from etl.failpoints import failpoint
from etl.schemas import TABLES, literal, sql
from etl.settings import SQL_DIR

DB_NAME = "warehouse.duckdb"
INPUTS_NAME = "inputs.parquet"  # the files the runs read, to skip unchanged ones unread
KEEP_VERSIONS = 2  # the current snapshot and the one before, for readers still on it
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
PARQUET_ROW_GROUP = 8_192  # rows; the writer holds a group per thread in memory (posts: ~25 MB each)
# DuckDB's memory limits while a run writes (beyond them it spills to disk, or fails where it
# cannot): while the GX process validates beside it, and for the merge, which runs alone and
# must hold the primary-key indexes it inserts into (a first load of 1,000,000 posts needs
# more than 512 MB; a nightly run uses far less than the limit).
WRITER_MEMORY = "256MB"
MERGE_MEMORY = "1GB"


class WarehouseBusy(Exception):
    """Another run holds the warehouse's lock."""


class NoWarehouse(Exception):
    """The folder holds no finished run yet."""


@dataclass(frozen=True)
class Warehouse:
    root: Path

    @property
    def versions(self) -> Path:
        return self.root / ".versions"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def database(self) -> Path:
        return self.root / DB_NAME

    @property
    def published(self) -> Path:
        return self.root / "published.duckdb"

    @property
    def parquet(self) -> Path:
        return self.root / "parquet"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def current_version(self) -> Path | None:
        return self.current.resolve() if self.current.is_symlink() else None


def connect(path: Path | str, read_only: bool = False, spill_to: Path | None = None):
    """Open a DuckDB file with extension auto-install and auto-load off (works offline).
    A writer passes `spill_to`: DuckDB then keeps to WRITER_MEMORY and spills there."""
    import duckdb

    config = dict(DUCKDB_CONFIG)
    if spill_to:
        config |= {"memory_limit": WRITER_MEMORY, "temp_directory": str(spill_to)}
    return duckdb.connect(str(path), read_only=read_only, config=config)


def open_published(wh: Warehouse):
    """Read-only connection to the latest published snapshot."""
    if not wh.published.exists():
        raise NoWarehouse(f"no warehouse at {wh.root}: run `etl run` first")
    return connect(wh.published, read_only=True)


@contextlib.contextmanager
def writer_lock(wh: Warehouse, wait: bool, new_run_id: Callable[[], str]) -> Iterator[str]:
    """One writer at a time. The kernel drops the lock when its process dies, so a
    killed run never leaves a lock that blocks the next one.

    Yields the run's id, made once the lock is held: run ids then sort in the order runs
    publish, even when several runs `--wait` (clean_stale relies on it)."""
    wh.root.mkdir(parents=True, exist_ok=True)
    with open(wh.root / ".lock", "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown run"
            raise WarehouseBusy(f"warehouse {wh.root} is in use by {holder}") from None
        run_id = new_run_id()
        f.seek(0)
        f.truncate()
        f.write(f"run {run_id} (pid {os.getpid()}, started {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())})")
        f.flush()
        _held.append(f.fileno())
        try:
            yield run_id
        finally:
            _held.remove(f.fileno())
            f.truncate(0)


_held: list[int] = []  # descriptors of the lock files this process holds


def _forget_locks() -> None:
    """In a forked child: close the inherited lock descriptors. The parent keeps the lock,
    and a child outliving a killed parent cannot keep holding it."""
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_forget_locks)


def die_with_parent() -> None:
    """Call in a child process: the kernel kills it when its parent dies (Linux), so the
    workers of a killed run do not linger."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


def clean_stale(wh: Warehouse) -> list[Path]:
    """Delete what killed runs left (temporary folders, and snapshots renamed but never made
    current: those newer than `current`) and snapshots no reader needs. Call under lock."""
    if not wh.versions.exists():
        return []
    current = wh.current_version()
    done = sorted(p.name for p in wh.versions.iterdir()
                  if not p.name.startswith("tmp-") and current and p.name <= current.name)
    keep = set(done[-KEEP_VERSIONS:])
    stale = sorted(p for p in wh.versions.iterdir() if p.name not in keep)
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale


def _link(target: str, link: Path) -> None:
    """Point `link` at `target` atomically (a new symlink renamed over the old one)."""
    tmp = link.with_name(f".{link.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def _fsync_tree(path: Path) -> None:
    for p in [*path.rglob("*"), path]:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def begin_snapshot(wh: Warehouse, run_id: str) -> Path:
    """The run's private folder, where it stages its rows and writes its snapshot."""
    tmp = wh.versions / f"tmp-{run_id}"
    tmp.mkdir(parents=True)
    return tmp


def copy_current(wh: Warehouse, tmp: Path, full_refresh: bool) -> Path:
    """A private copy of the current database to write this run into."""
    current = wh.current_version()
    if current and not full_refresh:
        shutil.copyfile(current / DB_NAME, tmp / DB_NAME)
        os.chmod(tmp / DB_NAME, 0o644)
    return tmp / DB_NAME


def create_schema(con) -> None:
    """Tables from sql/tables/, then views from sql/views/ and the BI layer in sql/bi/."""
    for table in TABLES:
        con.execute(sql(f"tables/{table}"))
    for folder in ("views", "bi"):
        for path in sorted((SQL_DIR / folder).glob("*.sql")):
            con.execute(path.read_text(encoding="utf-8"))


def merge(con) -> tuple[int, int, set[tuple[str, str]]]:
    """Merge the run's staged_<table> views; returns (posts new, posts upgraded, (table,
    run_id) partitions of earlier runs whose rows changed)."""
    # Row order within a table is no promise (reports sort), and keeping it costs memory.
    con.execute(f"set memory_limit = '{MERGE_MEMORY}'; set preserve_insertion_order = false")
    con.execute(sql("load/merge"))
    (new, updated), = con.execute(sql("load/post_counts")).fetchall()
    touched = set(con.execute("select table_name, run_id from merge_touched").fetchall())
    return new, updated, touched


def table_rows(con) -> dict[str, int]:
    return {t: con.table(t).aggregate("count(*)").fetchall()[0][0] for t in TABLES}


def export_parquet(con, snapshot: Path, previous: Path | None, run_id: str,
                   touched: set[tuple[str, str]]) -> int:
    """Every table as <snapshot>/parquet/<table>/<run_id>.parquet: one file per run that
    wrote rows of it. Files of earlier runs whose rows did not change are hard links to the
    previous snapshot's (snapshots are never written after they are published), so a run
    writes only its own rows and the partitions it touched. Returns files written."""
    written = 0
    for i, table in enumerate(TABLES):
        folder = snapshot / "parquet" / table
        folder.mkdir(parents=True)
        runs = [r for r, in con.execute(f"select distinct run_id from {table}").fetchall()] or [run_id]
        for part in runs:
            old = previous / "parquet" / table / f"{part}.parquet" if previous else None
            new = folder / f"{part}.parquet"
            if part != run_id and (table, part) not in touched and old and old.exists():
                os.link(old, new)
                continue
            con.execute(f"copy (select * from {table} where run_id = '{literal(part)}') "
                        f"to '{literal(new)}' (format parquet, compression zstd, row_group_size {PARQUET_ROW_GROUP})")
            written += 1
        if i == len(TABLES) // 2:
            failpoint("parquet")
    return written


def commit_snapshot(wh: Warehouse, database: Path, run_id: str) -> Path:
    """Publish a written snapshot: one atomic rename of `current` makes it the warehouse."""
    tmp = database.parent
    os.chmod(database, 0o444)
    _fsync_tree(tmp)
    # The fixed links go through `current`: made before the swap (dangling until the first
    # run publishes), so that swapping `current` is the one step that publishes.
    for link, target in ((wh.database, f"current/{DB_NAME}"), (wh.published, f"current/{DB_NAME}"),
                         (wh.parquet, "current/parquet")):
        if not link.is_symlink():
            _link(target, link)
    final = wh.versions / run_id
    os.replace(tmp, final)
    failpoint("commit")
    _link(f".versions/{run_id}", wh.current)
    return final


class Identity(NamedTuple):
    """What a file was when a run read it: unchanged size, time and inode, unchanged bytes."""

    path: str
    size_bytes: int
    modified_ns: int
    inode: int
    document_id: str


def identity(path: Path, st: os.stat_result, document_id: str) -> Identity:
    return Identity(str(path), st.st_size, st.st_mtime_ns, st.st_ino, document_id)


def read_inputs(snapshot: Path | None) -> dict[str, Identity]:
    """The input files a snapshot's runs read, by path (none for an older snapshot)."""
    if not snapshot or not (snapshot / INPUTS_NAME).exists():
        return {}
    return {r["path"]: Identity(**r) for r in pq.read_table(snapshot / INPUTS_NAME).to_pylist()}


def write_inputs(snapshot: Path, inputs: Iterable[Identity]) -> None:
    rows = {i.path: i for i in inputs}
    schema = pa.schema([("path", pa.string()), ("size_bytes", pa.int64()), ("modified_ns", pa.int64()),
                        ("inode", pa.int64()), ("document_id", pa.string())])
    pq.write_table(pa.Table.from_pylist([i._asdict() for i in rows.values()], schema=schema), snapshot / INPUTS_NAME)


def write_log(wh: Warehouse, run_id: str, summary: dict) -> Path:
    """The run's summary under logs/, written atomically."""
    wh.logs.mkdir(parents=True, exist_ok=True)
    path = wh.logs / f"{run_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path

"""The storage seam: `Warehouse`, the one object through which etl writes and reads storage.

It owns the warehouse's layout, the writer lock, attaching and configuring the lake and
bringing it in step with the DDL, the commit tagged with the run's id, maintenance and
publishing, rollback and upgrades, and opening a snapshot read-only for readers.
etl/run/pipeline.py calls it and nothing below it; the readers (etl/storage/readers.py and the
read commands) use it and never import the writer's merge (etl/run/load.py).

Layout of a warehouse folder (the catalog and the data path are etl/storage/catalog.py's):

    lake.sqlite, data/      the DuckLake: catalog and Parquet files (etl/storage/lake.py)
    published.duckdb        what BI tools open, read-only: views over one snapshot's files
    snapshot.json           the same snapshot's file lists, for Spark and pandas
    logs/<run_id>.json      summary of every run, published or not
    publish-failed.json     why the newest snapshot is not published, while it is not (storage/state.py)
    .tmp/<run_id>/          a run's raw rows and spill files, deleted when it ends
    .lock                   held by the running writer

A run merges its rows into the DuckLake in one transaction: DuckLake commits it as one
snapshot of every table, or not at all (a crash before the commit leaves only orphan files,
which the next run deletes). Then the run publishes that snapshot (etl/storage/publish.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache
from pathlib import Path

from etl.core.duck import connect
from etl.core.summary import RunSummary
from etl.storage import history, lake, maintain, state
from etl.storage import migrate as migrating
from etl.storage import upgrade as upgrading
from etl.storage.catalog import (
    CATALOG_NAME,
    DATA_NAME,
    MARKER_NAME,
    Catalog,
    CatalogBusy,
    CatalogError,
    PostgresCatalog,
    SqliteCatalog,
    parse_url,
    resolve,
    write_marker,
)
from etl.storage.publish import MANIFEST_NAME, PUBLISHED_NAME, published_snapshot
from etl.storage.state import FAILED_NAME
from etl.storage.upgrade import LEGACY_DIR, LEGACY_MARKS

TMP_NAME = ".tmp"
LOCK_NAME = ".lock"
# What a warehouse writes itself, relative to its folder (the layout above): no command's
# --output may name one of these.
OWN_FOLDERS = (DATA_NAME, TMP_NAME, LEGACY_DIR, *LEGACY_MARKS)
OWN_FILES = (f"{CATALOG_NAME}*", f"{PUBLISHED_NAME}*", f".{PUBLISHED_NAME}.tmp*", MANIFEST_NAME,
             f".{MANIFEST_NAME}.tmp", LOCK_NAME, "logs/*.json", "logs/*.tmp", f"{FAILED_NAME}*", MARKER_NAME)

Log = Callable[..., None]


class WarehouseBusy(Exception):
    """Another run holds the warehouse's lock."""


class NoWarehouse(Exception):
    """The folder holds no finished run yet."""


class LegacyWarehouse(NoWarehouse):
    """The folder holds a warehouse of an earlier release (snapshot folders): none this
    release reads until `etl upgrade` converts it."""


@dataclass
class Warehouse:
    """A warehouse: its folder and its lake's catalog (by default the SQLite file in the
    folder; etl/storage/catalog.py `resolve`)."""

    root: Path
    catalog: Catalog = field(default=None)  # type: ignore[assignment]  # None: the folder's (catalog.resolve)
    _lock: object = field(default=None, repr=False, compare=False)  # the held writer lock, while held

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if self.catalog is None:
            self.catalog = resolve(self.root)

    @classmethod
    def named(cls, root: Path, catalog: str | None = None, data_path: Path | None = None) -> Warehouse:
        """The warehouse at `root` with the catalog URL and data path given (None: the
        environment's, else the folder's own)."""
        return cls(Path(root), resolve(Path(root), catalog, data_path))

    # -- layout --------------------------------------------------------------------------

    @property
    def published(self) -> Path:
        return self.root / PUBLISHED_NAME

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def tmp(self) -> Path:
        return self.root / TMP_NAME

    @property
    def data(self) -> Path:
        return self.catalog.data_path

    def exists(self) -> bool:
        """Whether the lake's catalog exists (a run has at least started to create it)."""
        return self.catalog.exists()

    @property
    def writes_here(self) -> bool:
        """Whether this folder is the writer's (it holds the SQLite catalog, or names the
        PostgreSQL one): its readers read what the writer published there. Elsewhere (a host
        with only the catalog URL and the data path), readers read the newest committed run."""
        return self.catalog.in_folder or (self.root / MARKER_NAME).exists()

    def is_legacy(self) -> bool:
        return upgrading.is_legacy(self.root)

    def refuse_legacy(self) -> None:
        if not self.is_legacy():
            return
        if self.exists():  # an upgrade started here and did not finish
            raise LegacyWarehouse(f"the upgrade of {self.root} to this release did not finish (it was interrupted): "
                                  f"run `etl upgrade -w {self.root}` again to finish it")
        raise LegacyWarehouse(f"{self.root} was built by an earlier release (snapshot folders): "
                              f"run `etl upgrade -w {self.root}` once to convert it from its Parquet files")

    def write_log(self, run_id: str, summary: dict) -> Path:
        """The run's summary under logs/, written atomically."""
        self.logs.mkdir(parents=True, exist_ok=True)
        path = self.logs / f"{run_id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path

    # -- the writer ----------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, wait: bool, new_run_id: Callable[[], str]) -> Iterator[str]:
        """Hold the one-writer lock for the block; yields the run's id, made once the lock is
        held (run ids then sort in the order runs publish, even when several runs `--wait`)."""
        with writer_lock(self, wait, new_run_id) as run_id:
            try:
                with self.catalog.writer_lock(wait) as held:
                    held.name_holder(run_id)
                    self._lock = held
                    try:
                        yield run_id
                    finally:
                        self._lock = None
            except CatalogBusy as busy:
                raise WarehouseBusy(str(busy)) from None

    def check_lock(self) -> None:
        """LockLost (etl/storage/catalog.py) if the writer lock was lost: a PostgreSQL restart
        ends its session, while DuckDB's own sessions reconnect unseen."""
        if self._lock is not None:
            self._lock.check()

    def clean_stale(self) -> list[Path]:
        """Delete what killed runs left in .tmp/ (their raw rows and spill files). Call under lock."""
        if not self.tmp.exists():
            return []
        stale = sorted(self.tmp.iterdir())
        for p in stale:
            shutil.rmtree(p, ignore_errors=True)
        return stale

    def attach(self, con, *, read_only: bool = False, snapshot_id: int | None = None,
               alias: str = lake.ALIAS) -> None:
        lake.attach_catalog(con, self.catalog, read_only=read_only, snapshot_id=snapshot_id, alias=alias)

    def open(self, con, log: Log, *, evolve: bool = True, configure: bool = True) -> bool:
        """Attach the lake for writing (created if missing) and make it `con`'s default
        database; refuse one a newer release wrote; write the options and, with `evolve`,
        bring its tables in step with the DDL (each change logged). Returns whether the lake
        was new."""
        new = not self.exists()
        write_marker(self.root, self.catalog)
        self.attach(con)
        lake.refuse_newer(con, self.root)
        con.execute(f"use {lake.ALIAS}")
        if configure:
            lake.configure(con)
        if new:
            log("warehouse created", tables=len(lake.evolve(con)))
        elif evolve:
            for change in lake.evolve(con):
                log("schema", change=change)
        return new

    def evolve(self, con) -> list[str]:
        """The lake's tables in step with the DDL (in `con`'s open transaction, if any)."""
        return lake.evolve(con)

    def recover(self, con, log: Log) -> None:
        """Under the lock, after `open`: delete the files a killed run wrote but never
        committed, and publish the lake's newest snapshot if a killed run did not (if that
        fails, log it and go on: the run publishes its own, which holds it)."""
        con.execute(f"call ducklake_delete_orphaned_files('{lake.ALIAS}', cleanup_all => true)")
        if lake.latest(con) and published_snapshot(self.root) != lake.current(con).snapshot_id:
            failed = self.publish(con)
            if failed:
                log("publish failed", snapshot=lake.current(con).snapshot_id, error=failed,
                    note="an earlier committed snapshot stays unpublished; this run publishes its own")
            else:
                log("published", snapshot=published_snapshot(self.root),
                    reason="a killed run had not published it, or publishing had failed, or the folder moved")

    def known_runs(self, con) -> list[lake.Snapshot]:
        return lake.snapshots(con)

    def runs(self) -> list[lake.Snapshot]:
        """The snapshots runs committed, read-only (a connection of its own)."""
        with connect() as con:
            self.attach(con, read_only=True)
            return lake.snapshots(con)

    def commit(self, con, run_id: str) -> None:
        """Commit `con`'s open transaction as one snapshot tagged with `run_id`, if the
        writer lock is still held (LockLost otherwise, and nothing is committed)."""
        self.check_lock()
        lake.tag(con, run_id)
        con.commit()

    def table_rows(self, con) -> dict[str, int]:
        return lake.table_rows(con)

    def record_run(self, con, record: RunSummary) -> None:
        """The run's `runs` row, in the run's open transaction."""
        lake.insert_run(con, record)

    def maintain(self, con, retention_days: float) -> maintain.Maintenance:
        return maintain.maintain(con, self.root, retention_days, catalog=self.catalog)

    def publish(self, con) -> str | None:
        """Publish the lake's newest snapshot; None once done, else why not (recorded)."""
        self.check_lock()
        return state.publish_or_record(con, self.root)

    def published_snapshot(self) -> int | None:
        return published_snapshot(self.root)

    def unpublished(self) -> state.Unpublished | None:
        return state.unpublished(self.root, self.catalog)

    def rollback(self, con, target_run: str, rollback_id: str) -> history.Rollback:
        """Under the lock, after `open`: make `target_run`'s state current as a new snapshot."""
        return history.rollback(con, self.root, target_run, rollback_id, self.catalog)

    def upgrade_legacy(self, con) -> upgrading.Upgraded | None:
        """Convert the earlier release's snapshot folders into the lake (under the lock)."""
        return upgrading.upgrade(con, self.root)

    def upgrade_half_done(self) -> bool:
        return upgrading.half_done(self.root)

    # -- moving the catalog ----------------------------------------------------------------

    @contextlib.contextmanager
    def migration(self, url: str, data_path: Path | None, wait: bool,
                  new_run_id: Callable[[], str]) -> Iterator[tuple[Warehouse, object]]:
        """For `etl catalog migrate`: this warehouse's writer lock and the target database's,
        held together; yields the warehouse as it will be in `url` and a connection."""
        if not isinstance(self.catalog, SqliteCatalog):
            raise CatalogError(f"the warehouse {self.root} is already in catalog {self.catalog.display}")
        if not self.exists():
            raise NoWarehouse(f"no warehouse at {self.root}: run `etl run` first")
        parse_url(url)
        target = PostgresCatalog(url, Path(data_path) if data_path else self.root / DATA_NAME)
        with self.writer(wait, new_run_id), target.writer_lock(wait), connect() as con:
            yield Warehouse(self.root, target), con

    def move_catalog(self, con, moved: Warehouse, log: Log) -> migrating.Migrated:
        """Copy the catalog into `moved`'s (empty) database, verify every run's snapshot
        through both, then retire lake.sqlite (etl/storage/migrate.py). Under `migration`."""
        target = moved.catalog
        assert isinstance(self.catalog, SqliteCatalog) and isinstance(target, PostgresCatalog)
        done = migrating.migrate(con, self.catalog, target)
        log("copied catalog", to=target.url, snapshots=done.snapshots, rows=sum(done.rows.values()),
            data_copied=done.data_copied)
        differ = migrating.verify(self.catalog, target)
        if differ:
            raise CatalogError(f"the copy in {target.url} differs from {self.catalog.display}: "
                               f"{', '.join(differ[:5])}; the warehouse still uses its SQLite catalog "
                               "(empty the database to try again)")
        log("verified", runs=len(moved.runs()))
        log("retired", catalog=str(migrating.retire(self.catalog, target)))
        return done

    # -- readers -------------------------------------------------------------------------

    def open_snapshot(self, run_id: str | None = None):
        """A fresh in-memory connection whose tables and views are the warehouse as run
        `run_id` left it (None: the latest run), read through the lake, which is detached
        again: the connection reaches only data files."""
        return history.open_as_of(self.root, run_id, self.catalog)


@contextlib.contextmanager
def writer_lock(wh: Warehouse, wait: bool, new_run_id: Callable[[], str]) -> Iterator[str]:
    """One writer at a time: `flock` on the folder's .lock. The kernel drops the lock when its
    process dies, so a killed run never leaves a lock that blocks the next one."""
    wh.root.mkdir(parents=True, exist_ok=True)
    with open(wh.root / LOCK_NAME, "a+") as f:
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
        _close_locks_in_children()
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


@cache
def _close_locks_in_children() -> None:
    """Registered once, when the process first takes a lock (not at import)."""
    os.register_at_fork(after_in_child=_forget_locks)


def own_file(path: Path) -> tuple[Path, Path] | None:
    """(warehouse folder, path inside it) if `path` (symlinks followed) is a file some warehouse
    writes itself: its catalog, a data file, the published files, its lock, a run's log."""
    target = path.resolve()
    for folder in target.parents:
        if (folder / CATALOG_NAME).exists() or (folder / PUBLISHED_NAME).exists():
            inside = target.relative_to(folder)
            if inside.parts[0] in OWN_FOLDERS or any(fnmatch(inside.as_posix(), p) for p in OWN_FILES):
                return folder, inside
    return None

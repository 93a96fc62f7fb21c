"""Load: the warehouse folder, its one-writer lock, and the merge of a run's staged rows.

Layout of a warehouse folder:

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
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from etl.schemas import sql
from etl.storage import upgrade
from etl.storage.lake import CATALOG_NAME, DATA_NAME
from etl.storage.lake import exists as lake_exists
from etl.storage.publish import MANIFEST_NAME, PUBLISHED_NAME
from etl.storage.state import FAILED_NAME
from etl.storage.upgrade import LEGACY_DIR, LEGACY_MARKS

TMP_NAME = ".tmp"
# What a warehouse writes itself, relative to its folder (the layout above): no command's
# --output may name one of these.
OWN_FOLDERS = (DATA_NAME, TMP_NAME, LEGACY_DIR, *LEGACY_MARKS)
OWN_FILES = (f"{CATALOG_NAME}*", f"{PUBLISHED_NAME}*", f".{PUBLISHED_NAME}.tmp*", MANIFEST_NAME,
             f".{MANIFEST_NAME}.tmp", ".lock", "logs/*.json", "logs/*.tmp", f"{FAILED_NAME}*")


class WarehouseBusy(Exception):
    """Another run holds the warehouse's lock."""


class NoWarehouse(Exception):
    """The folder holds no finished run yet."""


class LegacyWarehouse(NoWarehouse):
    """The folder holds a warehouse of an earlier release (snapshot folders): none this
    release reads until `etl upgrade` converts it."""


@dataclass(frozen=True)
class Warehouse:
    root: Path

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

    def is_legacy(self) -> bool:
        return upgrade.is_legacy(self.root)

    def refuse_legacy(self) -> None:
        if not self.is_legacy():
            return
        if lake_exists(self.root):  # an upgrade started here and did not finish
            raise LegacyWarehouse(f"the upgrade of {self.root} to this release did not finish (it was interrupted): "
                                  f"run `etl upgrade -w {self.root}` again to finish it")
        raise LegacyWarehouse(f"{self.root} was built by an earlier release (snapshot folders): "
                              f"run `etl upgrade -w {self.root}` once to convert it from its Parquet files")


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


def clean_stale(wh: Warehouse) -> list[Path]:
    """Delete what killed runs left in .tmp/ (their raw rows and spill files). Call under lock."""
    if not wh.tmp.exists():
        return []
    stale = sorted(wh.tmp.iterdir())
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale


def merge(con) -> tuple[int, int]:
    """Merge the run's staged_<table> tables and views into the lake's tables (in the caller's open
    transaction); returns (posts new, posts upgraded to a complete copy)."""
    con.execute(sql("load/merge"))
    (new, updated), = con.execute(sql("load/post_counts")).fetchall()
    return new, updated


def write_log(wh: Warehouse, run_id: str, summary: dict) -> Path:
    """The run's summary under logs/, written atomically."""
    wh.logs.mkdir(parents=True, exist_ok=True)
    path = wh.logs / f"{run_id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


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

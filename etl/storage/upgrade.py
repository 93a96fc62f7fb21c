"""`etl upgrade`: convert a warehouse of an earlier release (snapshot folders, a DuckDB 2.0
file) into the DuckLake, from its own Parquet files: no old dumps needed.

The earlier layout: `current -> .versions/<run_id>`, holding `parquet/<table>/*.parquet`
(every table's rows) and `inputs.parquet` (the files the runs read). The conversion loads
those rows into a new DuckLake in one transaction tagged with the latest run's id, moves the
old folders under `.legacy/` (delete it once satisfied), and publishes.

An upgrade killed at any step is finished by running `etl upgrade` again: until the commit
the lake holds nothing of the old warehouse (its orphan files are deleted, the conversion
starts over); after it, the conversion is not repeated. The old folders are moved last, so
the warehouse reads as one of an earlier release (and `etl run` refuses it, naming `etl
upgrade`) until only the publishing is left; an upgrade killed then leaves a lake that is
not published, which `etl upgrade` (or the next `etl run`) publishes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from etl.core.failpoints import failpoint
from etl.core.schemas import literal, table_names
from etl.storage import lake
from etl.storage.publish import published_snapshot
from etl.storage.state import publish_or_record

LEGACY_DIR = ".legacy"
LEGACY_LINKS = ("warehouse.duckdb", "parquet", "published.duckdb")
LEGACY_MARKS = ("current", ".versions")  # the snapshot folders of releases before the DuckLake


@dataclass(frozen=True)
class Upgraded:
    run_id: str
    rows: dict[str, int]
    moved_to: Path
    finished: bool = False  # an interrupted upgrade was finished (its conversion had committed)
    publish_error: str | None = None  # converted, but not published: why (the next run publishes)


def upgrade(con, root: Path) -> Upgraded | None:
    """Convert the legacy warehouse at `root` into its lake (attached to `con` here, under the
    writer lock), or finish an upgrade that was interrupted; None if there is nothing to do."""
    lake.attach(con, root)
    con.execute(f"use {lake.ALIAS}")
    lake.configure(con)
    lake.evolve(con)
    finishing = lake.latest(con) is not None  # an upgrade killed after its commit
    if not finishing:
        if not is_legacy(root):  # moved aside by hand, or by another upgrade meanwhile
            return None
        con.execute(f"call ducklake_delete_orphaned_files('{lake.ALIAS}', cleanup_all => true)")
        convert(con, root)
        failpoint("upgrade-commit")
    elif not is_legacy(root) and published_snapshot(root) == lake.current(con).snapshot_id:
        return None  # a finished upgrade: nothing left to do
    moved = move_legacy_aside(root)
    failpoint("upgrade-publish")
    failed = publish_or_record(con, root)
    run = lake.latest(con)
    assert run is not None
    return Upgraded(run.run_id, lake.table_rows(con), moved, finishing, failed)


def convert(con, root: Path) -> None:
    """Load the current legacy snapshot's Parquet files into the attached, empty lake
    (in `con`, the lake in use), in one transaction."""
    snapshot = (root / "current").resolve()
    con.begin()
    for table in table_names():
        files = sorted((snapshot / "parquet" / table).glob("*.parquet"))
        if files:
            listing = ", ".join(f"'{literal(f)}'" for f in files)
            con.execute(f'insert into "{table}" by name select * from read_parquet([{listing}], union_by_name = true)')
    inputs = snapshot / "inputs.parquet"
    if inputs.exists():
        con.execute(f"insert into input_files by name select * from read_parquet('{literal(inputs)}')")
    latest = con.execute("select max(run_id) from runs").fetchall()[0][0] or "upgrade"
    lake.tag(con, latest)
    con.commit()


def move_legacy_aside(root: Path) -> Path:
    """Move the legacy links, then the snapshot folders, under .legacy/ (links keep their
    targets). The folders last: until they are moved the warehouse is still an earlier
    release's, so that a kill in between leaves an upgrade to finish, not a mix."""
    target = root / LEGACY_DIR
    target.mkdir(exist_ok=True)
    for name in LEGACY_LINKS:
        path = root / name
        if path.is_symlink() or (path.exists() and name != "published.duckdb"):
            os.replace(path, target / name)
    failpoint("upgrade-move")
    for name in LEGACY_MARKS:
        path = root / name
        if path.is_symlink() or path.exists():
            os.replace(path, target / name)
    return target


def is_legacy(root: Path) -> bool:
    return any((root / m).exists() or (root / m).is_symlink() for m in LEGACY_MARKS)


def half_done(root: Path) -> bool:
    """Whether an upgrade moved the old folders aside and may not have published: `etl
    upgrade` then finishes it (publishes, if the lake's newest snapshot is not)."""
    return (root / LEGACY_DIR).is_dir() and lake.exists(root) and not is_legacy(root)

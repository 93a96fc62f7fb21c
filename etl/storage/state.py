"""Publishing a committed snapshot, and what is left when that fails.

A run's data is safe once its DuckLake transaction commits. Publishing it for readers
(published.duckdb and snapshot.json: etl/storage/publish.py) comes after, and may fail: the
disk is full, a view of sql/bi/ does not bind. Then the snapshot is committed but not
published: readers keep the snapshot published before, and the next writer publishes the
lake's newest snapshot (which holds this one). Why it failed is kept in
<warehouse>/publish-failed.json for `etl status`, until a publish succeeds.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from etl.core.duck import connect
from etl.storage import lake
from etl.storage.catalog import Catalog, resolve
from etl.storage.publish import MANIFEST_NAME, PUBLISHED_NAME, publish

FAILED_NAME = "publish-failed.json"


@dataclass(frozen=True)
class Unpublished:
    """The lake's newest snapshot, committed but not what readers see."""

    snapshot: lake.Snapshot
    published: lake.Snapshot | None  # what readers see (None: nothing yet)
    reason: str


def publish_or_record(con, root: Path, alias: str = lake.ALIAS) -> str | None:
    """Publish the lake's newest snapshot (attached to `con` as `alias`). None once it is
    published; otherwise why not (recorded for `etl status`), and readers keep the previous one."""
    snapshot = lake.current(con, alias)
    try:
        publish(con, root, snapshot, alias)
    except Exception as e:  # the data is committed whatever failed here: say what, go on
        for name in (PUBLISHED_NAME, MANIFEST_NAME):  # what publish wrote beside them (room on a full disk)
            (root / f".{name}.tmp").unlink(missing_ok=True)
        reason = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else 'no message'}"
        _record(root, snapshot, reason)
        return reason
    (root / FAILED_NAME).unlink(missing_ok=True)
    return None


def _record(root: Path, snapshot: lake.Snapshot, reason: str) -> None:
    """Keep why `snapshot` was not published (best effort: on a full disk this may fail too)."""
    tmp = root / f".{FAILED_NAME}.tmp"
    try:
        tmp.write_text(json.dumps({"snapshot_id": snapshot.snapshot_id, "run_id": snapshot.run_id,
                                   "reason": reason}) + "\n", encoding="utf-8")
        os.replace(tmp, root / FAILED_NAME)
    except OSError:
        tmp.unlink(missing_ok=True)


def unpublished(root: Path, catalog: Catalog | None = None) -> Unpublished | None:
    """The lake's newest snapshot if readers do not see it (None if they do, or if no run has
    committed yet), read-only."""
    catalog = catalog or resolve(root)
    if not catalog.exists():
        return None
    with connect() as con:
        lake.attach_catalog(con, catalog, read_only=True)
        if lake.latest(con) is None:
            return None
        newest = lake.current(con)
    manifest = _read(root / MANIFEST_NAME)
    if manifest.get("snapshot_id") == newest.snapshot_id and manifest.get("root") == str(root.resolve()):
        return None
    shown = lake.Snapshot(manifest["snapshot_id"], manifest.get("run_id", "?")) if "snapshot_id" in manifest else None
    if shown is not None and shown.snapshot_id == newest.snapshot_id:
        reason = "the warehouse folder was moved or copied since it was published"
    elif _read(root / FAILED_NAME).get("snapshot_id") == newest.snapshot_id:
        reason = _read(root / FAILED_NAME)["reason"]
    elif shown is not None and shown.run_id == newest.run_id:
        reason = f"no run since {shown.run_id} has committed: only a schema change or maintenance, not published"
    else:
        reason = "no reason recorded (the writer was killed after its commit, or could not record why)"
    return Unpublished(newest, shown, reason)


def _read(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}

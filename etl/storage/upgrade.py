"""`etl upgrade`: convert a warehouse of an earlier release (snapshot folders, a DuckDB 2.0
file) into the DuckLake, from its own Parquet files: no old dumps needed.

The earlier layout: `current -> .versions/<run_id>`, holding `parquet/<table>/*.parquet`
(every table's rows) and `inputs.parquet` (the files the runs read). The conversion loads
those rows into a new DuckLake in one transaction tagged with the latest run's id, moves the
old folders under `.legacy/` (delete it once satisfied), and publishes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from etl.schemas import TABLES, literal
from etl.storage import lake

LEGACY_DIR = ".legacy"
LEGACY_LINKS = ("warehouse.duckdb", "parquet", "published.duckdb")


@dataclass(frozen=True)
class Upgraded:
    run_id: str
    rows: dict[str, int]
    moved_to: Path


def convert(con, root: Path) -> None:
    """Load the current legacy snapshot's Parquet files into the attached, empty lake
    (in `con`, the lake in use), in one transaction."""
    snapshot = (root / "current").resolve()
    con.begin()
    for table in TABLES:
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


def set_aside(root: Path) -> Path:
    """Move the legacy snapshot folders and links under .legacy/ (links keep their targets)."""
    target = root / LEGACY_DIR
    target.mkdir(exist_ok=True)
    for name in (".versions", "current", *LEGACY_LINKS):
        path = root / name
        if path.is_symlink() or (path.exists() and name != "published.duckdb"):
            os.replace(path, target / name)
    return target

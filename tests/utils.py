"""Shared test helpers: run the real CLI in a subprocess, read real warehouses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from etl import duck
from etl.schemas import TABLES
from etl.storage import lake
from etl.storage.publish import read_table

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "aletho-news-2020-01-09.txt"


def etl(*args: str | Path, env: dict | None = None, timeout: float = 300, cwd: Path = ROOT
        ) -> subprocess.CompletedProcess:
    """Run `etl ARGS` as a real subprocess (of the project in `cwd`); returns the completed process (text output)."""
    full_env = {**os.environ, "CI": "true", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "etl.cli", *map(str, args)],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def start_etl(*args: str | Path, env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    """Start `etl ARGS` without waiting (for crash and concurrency tests), in `cwd`."""
    full_env = {**os.environ, "CI": "true", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "etl.cli", *map(str, args)],
        cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to a warehouse's published database."""
    return duckdb.connect(str(warehouse / "published.duckdb"), read_only=True)


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(warehouse) as con:
        return con.execute(sql, params).fetchall()


def table_counts(warehouse: Path) -> dict[str, int]:
    """Rows of every table of the warehouse, as its published file shows them."""
    with connect(warehouse) as con:
        return {t: con.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in TABLES}


def snapshot(warehouse: Path, exclude_columns: tuple[str, ...] = ("run_id",)) -> dict[str, list[tuple]]:
    """Every row of every data table (not runs or validation_results), sorted, without
    the given columns: two warehouses with equal snapshots hold the same data."""
    out = {}
    with connect(warehouse) as con:
        for t in TABLES:
            if t in ("runs", "validation_results"):
                continue
            cols = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where table_name = ? order by column_index", [t]
            ).fetchall() if c not in exclude_columns]
            select = ", ".join(f'"{c}"' for c in cols)
            out[t] = sorted(con.execute(f'select {select} from "{t}"').fetchall(), key=repr)
    return out


def parquet_counts(warehouse: Path) -> dict[str, int]:
    """Rows of every table as a Parquet reader gets them from snapshot.json."""
    return {t: read_table(warehouse, t).num_rows for t in TABLES}


def lake_rows(warehouse: Path, table: str, snapshot_id: int | None = None) -> list[tuple]:
    """A table's rows read through DuckLake itself (read-only), sorted."""
    with duck.connect() as con:
        lake.attach(con, warehouse, read_only=True, snapshot_id=snapshot_id)
        return sorted(con.execute(f'select * from lake."{table}"').fetchall(), key=repr)


def parquet_matches_database(warehouse: Path) -> None:
    """The published file, the manifest's Parquet files and the DuckLake hold the same rows."""
    with connect(warehouse) as con:
        for t in TABLES:
            published = sorted(con.execute(f'select * from "{t}"').fetchall(), key=repr)
            files = sorted(tuple(r.values()) for r in read_table(warehouse, t).to_pylist())
            assert sorted(files, key=repr) == published, t
            assert lake_rows(warehouse, t) == published, t


def file_digest(path: Path) -> tuple[str, float]:
    """Content hash and modification time: to assert an input file was not touched."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime


def expectation_count(expectations_dir: Path | None = None) -> int:
    """How many expectations the suites in `expectations_dir` (the project's by default) hold:
    what a run evaluates (each suite's rows part on the staged rows, its table part on the merged tables)."""
    from etl.settings import EXPECTATIONS_DIR

    folder = expectations_dir or EXPECTATIONS_DIR
    return sum(len(json.loads(p.read_text(encoding="utf-8"))["expectations"]) for p in sorted(folder.glob("*.json")))


def etl_here(*args: str | Path) -> subprocess.CompletedProcess:
    """`etl ARGS` run in this process by typer's test runner: the same app, arguments, exit code
    and output as `etl` in a subprocess, without an interpreter and its imports per call. For
    the many read-only calls of a module (reports); runs and crashes go through `etl`."""
    from typer.testing import CliRunner

    from etl.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

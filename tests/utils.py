"""Shared test helpers: run the real CLI in a subprocess, read real warehouses."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "aletho-news-2020-01-09.txt"


def etl(*args: str | Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `etl ARGS` as a real subprocess; returns the completed process (text output)."""
    full_env = {**os.environ, "CI": "true", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "etl.cli", *map(str, args)],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def start_etl(*args: str | Path, env: dict | None = None) -> subprocess.Popen:
    """Start `etl ARGS` without waiting (for crash and concurrency tests)."""
    full_env = {**os.environ, "CI": "true", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "etl.cli", *map(str, args)],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to a warehouse's published database."""
    return duckdb.connect(str(warehouse / "published.duckdb"), read_only=True)


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(warehouse) as con:
        return con.execute(sql, params).fetchall()


def table_counts(warehouse: Path) -> dict[str, int]:
    """Rows of every base table of the warehouse."""
    with connect(warehouse) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where not temporary order by 1").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in tables}


def snapshot(warehouse: Path, exclude_columns: tuple[str, ...] = ("run_id",)) -> dict[str, list[tuple]]:
    """Every row of every data table (not runs or validation_results), sorted, without
    the given columns: two warehouses with equal snapshots hold the same data."""
    out = {}
    with connect(warehouse) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where not temporary order by 1").fetchall()]
        for t in tables:
            if t in ("runs", "validation_results"):
                continue
            cols = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where table_name = ? order by column_index", [t]
            ).fetchall() if c not in exclude_columns]
            select = ", ".join(f'"{c}"' for c in cols)
            out[t] = sorted(con.execute(f'select {select} from "{t}"').fetchall(), key=repr)
    return out


def parquet_counts(warehouse: Path) -> dict[str, int]:
    """Rows of every table's Parquet files under <warehouse>/parquet/."""
    con = duckdb.connect()
    return {
        d.name: con.execute(f"select count(*) from read_parquet('{d}/*.parquet')").fetchall()[0][0]
        for d in sorted((warehouse / "parquet").iterdir())
    }


def parquet_matches_database(warehouse: Path) -> None:
    """Every table's Parquet files (one per run that wrote rows of it) hold exactly its rows."""
    files = duckdb.connect()
    with connect(warehouse) as con:
        for d in sorted((warehouse / "parquet").iterdir()):
            got = sorted(files.execute(f"select * from read_parquet('{d}/*.parquet')").fetchall(), key=repr)
            assert got == sorted(con.execute(f'select * from "{d.name}"').fetchall(), key=repr), d.name
            runs = {r for r, in con.execute(f'select distinct run_id from "{d.name}"').fetchall()}
            latest = con.execute("select max(run_id) from runs").fetchall()[0][0]  # an empty table: its file
            assert {p.stem for p in d.iterdir()} == (runs or {latest}), d.name


def file_digest(path: Path) -> tuple[str, float]:
    """Content hash and modification time: to assert an input file was not touched."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime

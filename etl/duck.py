"""DuckDB connections opened the project's way: offline (no extension is installed or
loaded behind the caller's back) and, for a writer, within a memory limit."""

from __future__ import annotations

from pathlib import Path

DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
# DuckDB's memory limit in a writer (beyond it, it spills to the run's temporary folder).
# DuckDB's resident memory runs 150-300 MB beyond what it counts against the limit (its
# allocator's caches, Parquet metadata): bench/README.md, "Memory".
WRITER_MEMORY = "256MB"


def connect(path: Path | str = ":memory:", read_only: bool = False, spill_to: Path | None = None):
    """A DuckDB connection with extension auto-install and auto-load off (works offline).
    A writer passes `spill_to`: DuckDB then keeps to WRITER_MEMORY and spills there."""
    import duckdb

    config = dict(DUCKDB_CONFIG)
    if spill_to:
        config |= {"memory_limit": WRITER_MEMORY, "temp_directory": str(spill_to)}
    return duckdb.connect(str(path), read_only=read_only, config=config)

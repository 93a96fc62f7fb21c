"""DuckDB connections opened the project's way: offline (no extension is installed or
loaded behind the caller's back) and, for a writer, within a memory limit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
# A writer (a run, an upgrade, a rollback) keeps DuckDB's working memory this small whatever
# the size of its input: beyond it, DuckDB spills to the run's temporary folder. One thread,
# so that one set of per-thread buffers (Parquet readers and writers, hash tables), which the
# limit does not count, is held at a time; no cache of the files read (the raw and staged
# Parquet files, read a few times each, are in the OS's page cache anyway). Measured down to
# 10 GB of input: bench/README.md, "Memory".
WRITER_CONFIG = {"threads": 1, "enable_external_file_cache": False}
# A result read as a stream (the posts the search index analyzes, a batch at a time) is
# buffered up to streaming_buffer_size (a setting of the connection), not counted in the
# memory limit: at DuckDB's default (976 KiB) streaming 280 MB of posts grew the process by
# 130 MB, at 100 KB by 25 MB, and read as fast (bench/README.md, round 6).
WRITER_STREAMING_BUFFER = "100KB"
WRITER_MEMORY_MB = 128
# Each thread's memory in the writer's one wide sort (`widened`: the search index's postings,
# at most etl/search/index.py POSTINGS_PER_SORT = 48M of them at a time). At 2 x 96 MB a sort
# of 70M postings completes, and the 300 MB bench run's process tree peaks 50-90 MB lower
# than at 2 x 128, as fast (bench/README.md, round 7).
SORT_MEMORY_MB = 96
# DuckDB's allocator (its own jemalloc) keeps the pages a query freed for about a second
# before it gives them back; at 100 ms, a run's peak is 100-150 MB lower at 1.5 GB of input,
# at the same speed (at 0 ms the DuckDB steps took 1.7x as long). jemalloc reads it when
# DuckDB's library loads, so connect() sets it before its first `import duckdb` of the process
# (a command opens its connections through connect(); nothing is set at import time).
ALLOCATOR_ENV = ("DUCKDB_JE_MALLOC_CONF", "dirty_decay_ms:100,muzzy_decay_ms:0")


def connect(path: Path | str = ":memory:", read_only: bool = False, spill_to: Path | None = None):
    """A DuckDB connection with extension auto-install and auto-load off (works offline).
    A writer passes `spill_to`: DuckDB then keeps to WRITER_MEMORY_MB and spills there."""
    os.environ.setdefault(*ALLOCATOR_ENV)
    import duckdb

    config: dict[str, object] = dict(DUCKDB_CONFIG)
    if not spill_to:
        return duckdb.connect(str(path), read_only=read_only, config=config)
    config |= WRITER_CONFIG | {"memory_limit": f"{WRITER_MEMORY_MB}MB", "temp_directory": str(spill_to)}
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    con.execute(f"set streaming_buffer_size = '{WRITER_STREAMING_BUFFER}'")
    return con


@contextmanager
def widened(con, threads: int) -> Iterator[None]:
    """A writer's one big sort on `threads` threads, with SORT_MEMORY_MB for each: a sort on
    one thread takes twice as long (the search index's postings: bench/README.md, round 5)."""
    if threads < 2:
        yield
        return
    con.execute(f"set threads = {threads}; set memory_limit = '{SORT_MEMORY_MB * threads}MB'")
    narrow = f"set threads = {WRITER_CONFIG['threads']}; set memory_limit = '{WRITER_MEMORY_MB}MB'"
    try:
        yield
    except BaseException:
        # A failed statement aborts the open transaction, which then takes no SET either: the
        # error to tell is the first one (the run rolls back and closes the connection).
        with suppress(Exception):
            con.execute(narrow)
        raise
    con.execute(narrow)


def sql_value(v: object) -> str:
    """`v` (None, bool, int, str or Path, datetime, or a list of these) as a DuckDB SQL literal.

    The statements a run with nothing new executes carry their values this way, not as bound
    parameters: DuckDB's Python client imports pandas the first time it converts a bound value
    (it checks each value against pandas.NA), 0.3 CPU s and 1.5-3 s of wall time on a busy
    machine (bench/README.md), and such a run has no other use for pandas. Strings are quoted
    the SQL way (' doubled; DuckDB reads no backslash escapes)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, datetime):
        return f"'{v.isoformat()}'::{'timestamptz' if v.tzinfo else 'timestamp'}"
    if isinstance(v, list | tuple):
        return f"[{', '.join(sql_value(x) for x in v)}]"
    if isinstance(v, str | Path):
        return "'" + str(v).replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(v).__name__}")

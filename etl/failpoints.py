"""Named points where a test can freeze a run, to kill it at an exact moment.

Set ETL_FAILPOINTS=extract,load (names below) and the run prints
`failpoint <name> reached` to stderr and sleeps there until it is killed. Used by the
crash tests; unset, each call is one dictionary lookup.

Points: extract (half the documents read), validate (suites loaded, before the first
expectation runs), load (inside the DuckDB transaction, rows merged, not committed),
parquet (half the tables exported), commit (snapshot renamed, `current` not yet swapped).
ETL_CORRUPT corrupts a staged value before validation (see `corrupt`).
"""

from __future__ import annotations

import os
import sys
import time


def failpoint(name: str) -> None:
    if name in os.environ.get("ETL_FAILPOINTS", "").split(","):
        print(f"failpoint {name} reached", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)


def corrupt(tables: dict) -> dict:
    """ETL_CORRUPT=<table>.<column> empties that column's first staged value (sets it to
    NULL), so a test can make an expectation fail on real staged data."""
    target = os.environ.get("ETL_CORRUPT")
    if not target:
        return tables
    import pyarrow as pa

    table, column = target.split(".")
    data = tables[table]
    if data.num_rows:
        i = data.schema.get_field_index(column)
        values = data.column(i).to_pylist()
        values[0] = None
        data = data.set_column(i, data.schema.field(i), pa.array(values, data.schema.field(i).type))
    return {**tables, table: data}

"""Named points where a test can freeze a run, to kill it at an exact moment.

Set ETL_FAILPOINTS=extract,load (names below) and the run prints
`failpoint <name> reached` to stderr and sleeps there until it is killed. Used by the
crash tests; unset, each call is one dictionary lookup.

Points: extract (half the documents read), validate (suites loaded, before the first
expectation runs), load (rows merged into the run's private copy of the database, run not finished),
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


def corrupt(con) -> None:
    """ETL_CORRUPT=<table>.<column> empties that column's first staged value (sets it to
    NULL) in staged_<table> of `con`, so a test can make an expectation fail on real staged data."""
    target = os.environ.get("ETL_CORRUPT")
    if target:
        table, column = target.split(".")
        staged = f"staged_{table}"  # a view: made a table first, to update it
        con.execute(f"create temp table corrupted as from {staged}; drop view {staged}; "
                    f"alter table corrupted rename to {staged}")
        con.execute(f"update {staged} set {column} = null where rowid = (select min(rowid) from {staged})")

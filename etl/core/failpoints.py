"""Named points where a test can freeze a run, to kill it at an exact moment.

Set ETL_FAILPOINTS=extract,load (names below) and the run prints
`failpoint <name> reached` to stderr and sleeps there until it is killed, or, if
ETL_FAILPOINT_RESUME names a file, until that file exists (then it goes on: a test can
change the world at that moment, e.g. fill the disk). Used by the crash tests; unset, each
call is one dictionary lookup.

Points of a run: extract (half the documents read), validate (suites loaded, before the
first expectation runs), load (rows merged in the run's open DuckLake transaction, not
committed), commit (the DuckLake transaction committed, maintenance and the BI file and
manifest not yet done), index-analyze (a batch of posts to index about to be analyzed: in an
analyzer process when the run indexes more than one batch). Of `etl upgrade`: upgrade-commit
(the conversion committed, the old folders not moved), upgrade-move (the old links moved,
the old snapshot folders not), upgrade-publish (everything moved, the lake not published).
ETL_CORRUPT corrupts a staged value before validation (etl/run/transform.py `corrupt`).
"""

from __future__ import annotations

import os
import sys
import time


def failpoint(name: str) -> None:
    if name in os.environ.get("ETL_FAILPOINTS", "").split(","):
        print(f"failpoint {name} reached", file=sys.stderr, flush=True)
        resume = os.environ.get("ETL_FAILPOINT_RESUME")
        while not (resume and os.path.exists(resume)):
            time.sleep(0.1 if resume else 60)

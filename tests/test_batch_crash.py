"""Crash tests: `etl run` is killed with SIGKILL at each failpoint (while extracting,
validating, merging into the open DuckLake transaction, and between the DuckLake commit and
the publishing of the BI file), on a warehouse that already holds a finished run and on an
empty one.

After the kill, readers must see exactly the last finished run (or still no warehouse at
all), the published file, the manifest's Parquet files and the DuckLake consistent; the
next run must complete and reach exactly the tables of a run that was never killed,
leaving no temporary or orphan files.

Each killed run, with its `etl status` and its rerun, is one chain of processes; the chains
(and the runs never killed they are compared with) go side by side."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import pytest

from etl.core import duck
from etl.storage import lake
from tests.corpus import (
    copy_warehouse,
    day_name,
    front_page,
    kill,
    nightly_dumps,
    run_many,
    wait_for_line,
    write,
)
from tests.pg import CATALOGS, use_postgres
from tests.utils import (
    etl,
    index_in_step,
    parquet_counts,
    parquet_matches_database,
    rows,
    snapshot,
    start_etl,
    table_counts,
)

FAILPOINTS = ("extract", "validate", "load", "commit")
CASES = ("finished", "empty")  # the warehouse before the killed run


def state(warehouse: Path) -> dict:
    """All a reader can see of a warehouse."""
    if not (warehouse / "published.duckdb").exists():
        return {"published": False}
    return {
        "published": True,
        "manifest": (warehouse / "snapshot.json").read_text(encoding="utf-8").replace(str(warehouse), "<wh>"),
        "snapshot": snapshot(warehouse),
        "tables": table_counts(warehouse),
        "parquet": parquet_counts(warehouse),
        "runs": rows(warehouse, "select * from runs order by started_at"),
    }


def orphans(warehouse: Path) -> list:
    """Files in the data folder that no snapshot of the DuckLake lists."""
    with duck.connect() as con:
        lake.attach(con, warehouse)
        return con.execute("call ducklake_delete_orphaned_files('lake', cleanup_all => true, dry_run => true)"
                           ).fetchall()


@pytest.fixture(scope="module", params=CATALOGS)
def crashes(request, tmp_path_factory) -> dict:
    """Every case on each catalog: the SQLite file, a PostgreSQL database (a new one for each
    warehouse; a copied warehouse gets a copy of its database)."""
    server = request.getfixturevalue("pg_server") if request.param == "postgresql" else None

    def new(wh: Path) -> Path:
        if server is not None:
            use_postgres(wh, server)
        return wh

    root = tmp_path_factory.mktemp("crash")
    dumps = root / "dumps"
    nights = nightly_dumps(dumps)  # Jan 7, 8, 9
    write(dumps / "aletho-news-2020-01-10.txt", "<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n")
    # The Jan 8 page again, as saved on a Windows machine: other bytes, the same posts.
    write(dumps / "archive" / day_name(date(2020, 1, 8)), front_page(date(2020, 1, 8)), newline="\r\n")
    base = root / "base"
    built = threading.Event()

    def build_base():
        """The finished run the "finished" case starts from: the first two nights."""
        try:
            first = etl("run", nights[0], nights[1], "--warehouse", new(base))
            assert first.returncode == 0, first.stdout + first.stderr
            return state(base)
        finally:
            built.set()

    def start_from(case: str, wh: Path) -> Path:
        if case == "finished":
            built.wait()
            assert (base / "published.duckdb").exists(), "the base run failed"
            return copy_warehouse(base, wh)
        return new(wh)

    def reference(case: str):
        """A run never killed, to compare with: the same inputs from the same starting point."""
        wh = start_from(case, root / f"ref-{case}")
        return wh, etl("run", dumps, "--warehouse", wh)

    def crash(case: str, point: str) -> dict:
        """Kill a run at its failpoint, look at what it left, then run `etl status` and the next run."""
        wh = start_from(case, root / f"{case}-{point}")
        proc = start_etl("run", dumps, "--warehouse", wh, env={"ETL_FAILPOINTS": point})
        lines = wait_for_line(proc, f"failpoint {point} reached")
        kill(proc)
        return {
            "warehouse": wh,
            "run_id": next(line.split("run_id=")[1].split()[0] for line in lines if "run started" in line),
            "state": state(wh),
            "status": etl("status", "--warehouse", wh),
            "rerun": etl("run", dumps, "--warehouse", wh),
        }

    # Each history is a chain of real processes, independent of the others but for the base
    # run the "finished" ones copy: the chains run side by side, each killed run killed as soon
    # as it reaches its failpoint.
    jobs: dict = {"base": build_base}
    for case in reversed(CASES):  # the empty ones first: they need no base
        jobs["ref", case] = lambda c=case: reference(c)
        jobs |= {(case, point): (lambda c=case, p=point: crash(c, p)) for point in FAILPOINTS}
    done = run_many(jobs, workers=4)
    crashed = {key: done[key] for key in jobs if key != "base" and key[0] != "ref"}
    return {
        "base_state": done["base"],
        "reference": {case: done["ref", case][0] for case in CASES},
        "reference_results": {case: done["ref", case][1] for case in CASES},
        "warehouses": {key: c["warehouse"] for key, c in crashed.items()},
        "killed": {key: {"run_id": c["run_id"], "state": c["state"]} for key, c in crashed.items()},
        "statuses": {key: c["status"] for key, c in crashed.items()},
        "reruns": {key: c["rerun"] for key, c in crashed.items()},
    }


@pytest.mark.parametrize("point", FAILPOINTS)
def test_kill_leaves_the_last_finished_run(crashes, point):
    killed = crashes["killed"]["finished", point]
    assert killed["state"] == crashes["base_state"]
    status = crashes["statuses"]["finished", point]
    assert status.returncode == 0 and "(1 row)" in status.stdout, status.stdout + status.stderr


@pytest.mark.parametrize("point", FAILPOINTS)
def test_kill_on_an_empty_warehouse_publishes_nothing(crashes, point):
    killed = crashes["killed"]["empty", point]
    assert killed["state"] == {"published": False}
    status = crashes["statuses"]["empty", point]
    assert status.returncode == 1 and "run `etl run` first" in status.stderr


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("point", FAILPOINTS)
def test_next_run_reaches_the_tables_of_a_run_never_killed(crashes, case, point):
    wh = crashes["warehouses"][case, point]
    rerun = crashes["reruns"][case, point]
    reference = crashes["reference"][case]
    expected = crashes["reference_results"][case]
    assert expected.returncode == 1  # the HTML page in the folder is rejected
    # A run killed after its commit had loaded (and rejected) everything: the rerun has nothing new.
    assert rerun.returncode == (0 if point == "commit" else expected.returncode), rerun.stdout + rerun.stderr
    assert snapshot(wh) == snapshot(reference)
    index_in_step(wh)
    extra_runs = 1 if point == "commit" else 0  # the killed run, committed, and the rerun's noop
    assert table_counts(wh) == {**table_counts(reference), "runs": table_counts(reference)["runs"] + extra_runs}
    runs = [r[1:3] for r in rows(wh, "select run_id, status, exit_code from runs order by started_at")]
    expected_runs = [r[1:3] for r in rows(reference, "select run_id, status, exit_code from runs order by started_at")]
    if point == "commit":  # the killed run had committed: the rerun publishes it and has nothing new
        expected_runs.append(("noop", 0))
        assert "reason=a killed run had not published it" in rerun.stderr
    assert runs == expected_runs
    parquet_matches_database(wh)
    # What the killed run left is gone: its temporary folder, and the Parquet files it wrote
    # before it could commit them.
    killed = crashes["killed"][case, point]["run_id"]
    assert f"cleaned path={wh / '.tmp' / killed}" in rerun.stderr
    assert not list((wh / ".tmp").iterdir())
    assert orphans(wh) == []


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("point", ["extract", "validate"])
def test_killed_run_leaves_no_process_and_no_lock(point, tmp_path):
    """A run killed while its extract workers run (two tasks of files: the pool is used), or
    while it validates (in its own process, inside DuckDB: no child left by then): the kernel
    ends its children too, and the next run is not locked out."""
    import time

    dumps = tmp_path / "dumps"
    text = front_page(date(2020, 1, 9))
    for k in range(110):  # ~5 MB: more than one task of files
        write(dumps / f"aletho-news-{k:03d}.txt", f"{text}\nCopy {k}.\n")
    wh = tmp_path / "warehouse"
    proc = start_etl("run", dumps, "--warehouse", wh, "--jobs", "2", env={"ETL_FAILPOINTS": point})
    wait_for_line(proc, f"failpoint {point} reached")
    children = _children(proc.pid)
    assert bool(children) == (point == "extract")  # the workers; validation starts no process
    kill(proc)
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if _alive(c)]
    result = etl("run", dumps, "--warehouse", wh)
    assert result.returncode in (0, 1), result.stderr  # not 4: no leftover holds the lock
    assert table_counts(wh)["documents"] == 110


def test_a_run_killed_while_its_analyzers_index_leaves_no_process(tmp_path):
    """A run indexing more than one batch of posts analyzes them in processes of its own
    (etl/search/index.py): killed while they work, the kernel ends them too, nothing is
    committed, and the next run indexes every post."""
    import time
    from dataclasses import replace

    from etl.search.index import BATCH
    from tests.corpus import page, sample_posts

    dumps = tmp_path / "dumps"
    posts = sample_posts()
    pages = BATCH // len(posts) + 2  # distinct titles: more posts than one batch holds
    for k in range(pages):
        renamed = [replace(p, lines=(f"{p.lines[0]} ({k})", *p.lines[1:])) for p in posts]
        write(dumps / f"aletho-news-{k:03d}.txt", page(renamed))
    wh = tmp_path / "warehouse"
    proc = start_etl("run", dumps, "--warehouse", wh, "--jobs", "2", env={"ETL_FAILPOINTS": "index-analyze"})
    wait_for_line(proc, "failpoint index-analyze reached", timeout=240)
    children = _children(proc.pid)
    assert children  # the analyzers (the extract workers are gone by then)
    kill(proc)
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if _alive(c)]
    assert not (wh / "published.duckdb").exists()  # the first run: nothing committed
    result = etl("run", dumps, "--warehouse", wh)
    assert result.returncode == 0, result.stdout + result.stderr
    counts = table_counts(wh)
    assert counts["posts"] == pages * len(posts) == counts["search_docs"] > BATCH
    index_in_step(wh)

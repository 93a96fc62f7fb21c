"""Crash tests: `etl run` is killed with SIGKILL at each failpoint (while extracting,
validating, loading DuckDB, writing Parquet, and between the snapshot's rename and the
swap of `current`), on a warehouse that already holds a finished run and on an empty one.

After the kill the warehouse must be exactly the last finished run (or still no warehouse
at all), its DuckDB file and Parquet files consistent; the next run must complete and
reach exactly the tables of a run that was never killed, leaving no temporary files.

The killed runs sit frozen at their failpoints, so they are all started at once; the
reruns then go in parallel."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.corpus import (
    copy_warehouse,
    day_name,
    front_page,
    kill,
    nightly_dumps,
    run_many,
    versions,
    wait_for_line,
    write,
)
from tests.utils import etl, parquet_counts, rows, snapshot, start_etl, table_counts

FAILPOINTS = ("extract", "validate", "load", "parquet", "commit")
CASES = ("finished", "empty")  # the warehouse before the killed run


def state(warehouse: Path) -> dict:
    """All a reader can see of a warehouse."""
    if not (warehouse / "published.duckdb").exists():
        return {"published": False}
    return {
        "published": True,
        "current": os.readlink(warehouse / "current"),
        "snapshot": snapshot(warehouse),
        "tables": table_counts(warehouse),
        "parquet": parquet_counts(warehouse),
        "parquet_not_in_duckdb": parquet_mismatch(warehouse),
        "runs": rows(warehouse, "select * from runs order by started_at"),
    }


def parquet_mismatch(warehouse: Path) -> dict[str, int]:
    """Rows of each table found in its Parquet file or in DuckDB but not in both (opening
    the DuckDB file read-only on the way)."""
    out = {}
    with duckdb.connect(str(warehouse / "published.duckdb"), read_only=True) as con:
        for table in table_counts(warehouse):
            files = f"read_parquet('{warehouse}/parquet/{table}/*.parquet')"
            (n,), = con.execute(f"""
                select count(*) from (
                    (select * from {files} except all select * from {table})
                    union all
                    (select * from {table} except all select * from {files})
                )""").fetchall()
            out[table] = n
    return out


def assert_consistent(warehouse: Path) -> None:
    """The DuckDB file opens, and the Parquet files hold the same rows as its tables."""
    assert parquet_counts(warehouse) == table_counts(warehouse)
    assert set(parquet_mismatch(warehouse).values()) == {0}


@pytest.fixture(scope="module")
def crashes(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("crash")
    dumps = root / "dumps"
    nights = nightly_dumps(dumps)  # Jan 7, 8, 9
    write(dumps / "aletho-news-2020-01-10.txt", "<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n")
    # The Jan 8 page again, as saved on a Windows machine: other bytes, the same posts.
    write(dumps / "archive" / day_name(date(2020, 1, 8)), front_page(date(2020, 1, 8)), newline="\r\n")

    # The finished run the "finished" case starts from: the first two nights.
    base = root / "base"
    first = etl("run", nights[0], nights[1], "--warehouse", base)
    assert first.returncode == 0, first.stdout + first.stderr

    # Runs never killed, to compare with: the same inputs from each starting point.
    reference = {"finished": copy_warehouse(base, root / "ref-finished"), "empty": root / "ref-empty"}
    results = run_many({case: (lambda wh=wh: etl("run", dumps, "--warehouse", wh)) for case, wh in reference.items()})

    # Start every killed run at once; each freezes at its failpoint.
    warehouses, procs = {}, {}
    for case in CASES:
        for point in FAILPOINTS:
            wh = root / f"{case}-{point}"
            if case == "finished":
                copy_warehouse(base, wh)
            warehouses[case, point] = wh
            procs[case, point] = start_etl("run", dumps, "--warehouse", wh, env={"ETL_FAILPOINTS": point})
    killed = {}
    for key, proc in procs.items():
        lines = wait_for_line(proc, f"failpoint {key[1]} reached")
        kill(proc)
        killed[key] = {
            "run_id": next(line.split("run_id=")[1].split()[0] for line in lines if "run started" in line),
            "state": state(warehouses[key]),
            "versions": versions(warehouses[key]),
        }
    statuses = run_many({key: (lambda wh=wh: etl("status", "--warehouse", wh)) for key, wh in warehouses.items()})
    reruns = run_many({key: (lambda wh=wh: etl("run", dumps, "--warehouse", wh)) for key, wh in warehouses.items()})
    return {
        "base": base, "base_state": state(base), "reference": reference, "reference_results": results,
        "warehouses": warehouses, "killed": killed, "statuses": statuses, "reruns": reruns,
    }


@pytest.mark.parametrize("point", FAILPOINTS)
def test_kill_leaves_the_last_finished_run(crashes, point):
    killed = crashes["killed"]["finished", point]
    assert killed["state"] == crashes["base_state"]
    assert set(killed["state"]["parquet_not_in_duckdb"].values()) == {0}
    status = crashes["statuses"]["finished", point]
    assert status.returncode == 0 and "(1 row)" in status.stdout, status.stdout + status.stderr
    if point in ("load", "parquet"):  # the run was writing its private copy
        assert f"tmp-{killed['run_id']}" in killed["versions"]
    if point == "commit":  # renamed into place, never made current
        assert killed["run_id"] in killed["versions"]


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
    assert rerun.returncode == expected.returncode, rerun.stdout + rerun.stderr
    assert snapshot(wh) == snapshot(reference)
    assert table_counts(wh) == table_counts(reference)
    assert [r[1:3] for r in rows(wh, "select run_id, status, exit_code from runs order by started_at")] == \
        [r[1:3] for r in rows(reference, "select run_id, status, exit_code from runs order by started_at")]
    assert_consistent(wh)
    # What the killed run left is gone: its temporary folder, or its never-published snapshot.
    left = versions(wh)
    killed = crashes["killed"][case, point]["run_id"]
    assert not [v for v in left if v.startswith("tmp-") or v == killed], left
    assert os.readlink(wh / "current").removeprefix(".versions/") == left[-1]
    assert len(left) <= 2
    if point in ("load", "parquet"):
        assert f"cleaned path={wh / '.versions' / ('tmp-' + killed)}" in rerun.stderr
    if point == "commit":
        assert f"cleaned path={wh / '.versions' / killed}" in rerun.stderr


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

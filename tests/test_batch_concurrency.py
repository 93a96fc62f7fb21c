"""One writer at a time, readers never locked out: real `etl` processes on one warehouse.

Every test starts from a copy of the sample warehouse and loads the same two nightly
dumps; whatever the interleaving, the result must be the tables of one plain run."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.corpus import copy_warehouse, kill, nightly_dumps, wait_for_line
from tests.utils import etl, parquet_counts, rows, snapshot, start_etl, table_counts

NIGHTS = (date(2020, 1, 7), date(2020, 1, 8))


@pytest.fixture(scope="module")
def dumps(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("concurrency") / "dumps"
    nightly_dumps(folder, NIGHTS)
    return folder


@pytest.fixture(scope="module")
def reference(dumps, sample_warehouse, tmp_path_factory) -> Path:
    """The sample warehouse after one plain run over the dumps."""
    wh = copy_warehouse(sample_warehouse, tmp_path_factory.mktemp("reference") / "warehouse")
    result = etl("run", dumps, "--warehouse", wh)
    assert result.returncode == 0, result.stdout + result.stderr
    return wh


def run_id_in(lines: list[str]) -> str:
    return next(line.split("run_id=")[1].split()[0] for line in lines if "run started" in line)


def assert_equals_reference(wh: Path, reference: Path, runs: int = 2) -> None:
    """The data of the reference, `runs` runs recorded, Parquet matching DuckDB."""
    assert snapshot(wh) == snapshot(reference)
    assert table_counts(wh) == {**table_counts(reference), "runs": runs}
    assert parquet_counts(wh) == table_counts(wh)


def test_second_run_exits_4_at_once_naming_the_running_one(dumps, reference, sample_warehouse_copy):
    wh = sample_warehouse_copy
    before = snapshot(wh)
    first = start_etl("run", dumps, "--warehouse", wh, env={"ETL_FAILPOINTS": "load"})
    try:
        first_id = run_id_in(wait_for_line(first, "failpoint load reached"))
        started = time.monotonic()
        second = etl("run", dumps, "--warehouse", wh)
        took = time.monotonic() - started
        assert second.returncode == 4, second.stdout + second.stderr
        assert f"is in use by run {first_id} (pid {first.pid}," in second.stderr
        assert took < 30  # exits before any real work (no Great Expectations import)
        # Dashboards are not locked out by the load in progress.
        reader = etl("sql", "select count(*) as n from documents", "--warehouse", wh, "--format", "csv")
        assert reader.stdout.splitlines() == ["n", "1"], reader.stderr
    finally:
        kill(first)
    assert snapshot(wh) == before
    # The killed holder's lock does not block the next run.
    third = etl("run", dumps, "--warehouse", wh)
    assert third.returncode == 0, third.stdout + third.stderr
    assert_equals_reference(wh, reference)


def test_two_runs_started_together_one_exits_4(dumps, reference, sample_warehouse_copy):
    wh = sample_warehouse_copy
    procs = [start_etl("run", dumps, "--warehouse", wh) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 4], outputs
    busy = next(i for i, p in enumerate(procs) if p.returncode == 4)
    winner = procs[1 - busy]
    assert f"(pid {winner.pid}," in outputs[busy][1]
    assert_equals_reference(wh, reference)


def test_wait_waits_for_a_killed_holder(dumps, reference, sample_warehouse_copy):
    wh = sample_warehouse_copy
    first = start_etl("run", dumps, "--warehouse", wh, env={"ETL_FAILPOINTS": "validate"})
    second = None
    try:
        wait_for_line(first, "failpoint validate reached")
        second = start_etl("run", dumps, "--warehouse", wh, "--wait")
        time.sleep(3)
        assert second.poll() is None  # waiting, not exited with 4
    finally:
        kill(first)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, out + err
    assert_equals_reference(wh, reference)


def test_wait_runs_after_the_running_one_finishes(dumps, reference, sample_warehouse_copy):
    wh = sample_warehouse_copy
    first = start_etl("run", dumps, "--warehouse", wh)
    wait_for_line(first, "run started")  # it holds the lock
    second = start_etl("run", dumps, "--warehouse", wh, "--wait")
    first_out, first_err = first.communicate(timeout=300)
    second_out, second_err = second.communicate(timeout=300)
    assert first.returncode == 0, first_out + first_err
    assert second.returncode == 0, second_out + second_err
    assert "nothing new: the warehouse is unchanged" in second_out  # it saw the first run's documents
    assert_equals_reference(wh, reference, runs=3)
    runs = rows(wh, "select run_id, status, started_at, finished_at from runs order by run_id")
    assert [r[1] for r in runs] == ["succeeded", "succeeded", "noop"]
    assert runs[2][2] >= runs[1][3]  # the waiting run started once the first had finished


def test_an_open_reader_neither_blocks_nor_sees_a_half_run(dumps, reference, sample_warehouse_copy):
    wh = sample_warehouse_copy
    with duckdb.connect(str(wh / "published.duckdb"), read_only=True) as dashboard:
        assert dashboard.execute("select count(*) from documents").fetchall() == [(1,)]
        result = etl("run", dumps, "--warehouse", wh)
        assert result.returncode == 0, result.stdout + result.stderr
        # The open connection keeps reading the snapshot it opened.
        assert dashboard.execute("select count(*) from documents").fetchall() == [(1,)]
    assert rows(wh, "select count(*) from documents") == [(3,)]
    assert_equals_reference(wh, reference)

"""The table format: time travel, rollback, schema evolution, upgrades of earlier
warehouses, maintenance, and readers of a snapshot while a run publishes the next."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from etl.core import duck
from etl.storage import lake
from etl.storage.maintain import maintain
from tests.corpus import copy_warehouse
from tests.pg import CATALOGS, build_sample
from tests.utils import (
    ROOT,
    SAMPLE,
    etl,
    etl_in,
    index_in_step,
    lake_rows,
    other_day,
    parquet_matches_database,
    project_copy,
    rows,
    table_counts,
)

LEGACY = ROOT / "tests" / "fixtures" / "legacy-warehouse"  # built from the sample by the release before DuckLake


@pytest.fixture(scope="module", params=CATALOGS)
def sample_warehouse(request, tmp_path_factory) -> Path:
    """The tests of this module run on both catalogs: the sample, built on each."""
    return build_sample(request.param, request, tmp_path_factory)


@pytest.fixture(scope="module")
def two_runs(sample_warehouse, tmp_path_factory) -> tuple[Path, str, str, Path]:
    """The sample warehouse (one run of the sample), then a run of `other_day`."""
    root = tmp_path_factory.mktemp("two-runs")
    wh = copy_warehouse(sample_warehouse, root / "wh")
    other = other_day(root / "dumps")
    assert etl("run", other, "-w", wh).returncode == 0
    first, second = (r for r, in rows(wh, "select run_id from runs order by run_id"))
    return wh, first, second, other


def test_sql_as_of_reads_the_warehouse_as_a_run_left_it(two_runs):
    wh, first, second, _ = two_runs
    query = "select count(*) as n from documents"
    assert etl("sql", query, "-w", wh, "-f", "csv").stdout.split() == ["n", "2"]
    assert etl("sql", query, "-w", wh, "-f", "csv", "--as-of", first).stdout.split() == ["n", "1"]
    assert etl("sql", query, "-w", wh, "-f", "csv", "--as-of", second).stdout.split() == ["n", "2"]
    # Views too: 12 posts, 12 comment observations after the first run (one per post).
    result = etl("sql", "select count(*) as n, sum(comment_observations) as obs from post_details",
                 "-w", wh, "-f", "csv", "--as-of", first)
    assert result.stdout.split() == ["n,obs", "12,12"], result.stderr
    unknown = etl("sql", query, "-w", wh, "--as-of", "20200101T000000000000Z-000000")
    assert unknown.returncode == 1
    assert "no snapshot of run 20200101T000000000000Z-000000" in unknown.stderr


def test_rollback_restores_a_run_and_keeps_the_history(two_runs, tmp_path):
    wh = copy_warehouse(two_runs[0], tmp_path / "wh")
    _, first, second, other = two_runs
    result = etl("rollback", first, "-w", wh)
    assert result.returncode == 0, result.stderr
    assert f"rolled back to run {first}" in result.stdout
    assert "documents: 2 -> 1 rows" in result.stdout and "comments: 24 -> 12 rows" in result.stdout
    assert table_counts(wh)["documents"] == 1
    assert rows(wh, "select status, validation_status from runs order by run_id")[-1] == \
        ("rollback", f"rolled back to {first}")
    assert len(rows(wh, "select * from runs")) == 3  # the history stays
    # The rolled-back run is still there to read ...
    again = etl("sql", "select count(*) as n from documents", "-w", wh, "-f", "csv", "--as-of", second)
    assert again.stdout.split() == ["n", "2"]
    parquet_matches_database(wh)
    # ... and its document is new again to the next run.
    rerun = etl("run", other, "-w", wh)
    assert rerun.returncode == 0 and "documents: 1 loaded" in rerun.stdout, rerun.stdout + rerun.stderr
    assert table_counts(wh)["documents"] == 2


def test_a_new_column_and_a_new_table_upgrade_an_existing_warehouse(two_runs, tmp_path):
    wh = copy_warehouse(two_runs[0], tmp_path / "wh")
    project = project_copy(tmp_path / "project")
    ddl = project / "sql" / "tables" / "documents.sql"
    ddl.write_text(ddl.read_text().replace("    error varchar,\n", "    error varchar,\n    note varchar,\n"))
    (project / "sql" / "tables" / "notes.sql").write_text(
        "create table if not exists notes (note_id varchar, body varchar);\n"
        "comment on table notes is 'Notes.';\n")
    dump = other_day(tmp_path / "dumps").with_name("third.txt")
    dump.write_text(SAMPLE.read_text().replace("January 8, 2020", "January 11, 2020"))
    result = etl_in(project, "run", dump, "-w", wh)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "schema change=added column documents.note VARCHAR" in result.stderr
    assert "schema change=created table notes" in result.stderr
    assert rows(wh, "select count(*), count(note) from documents") == [(3, 0)]
    assert rows(wh, "select count(*) from notes") == [(0,)]
    assert len(lake_rows(wh, "documents")[0]) == 12  # the lake's table has the column
    # The earlier snapshot still reads with its own columns.
    first = two_runs[1]
    old = etl_in(project, "sql", "select count(*) as n from documents", "-w", wh, "-f", "csv", "--as-of", first)
    assert old.stdout.split() == ["n", "1"], old.stderr


def test_a_changed_column_type_is_refused_with_a_way_forward(two_runs, tmp_path):
    wh = copy_warehouse(two_runs[0], tmp_path / "wh")
    project = project_copy(tmp_path / "project")
    ddl = project / "sql" / "tables" / "documents.sql"
    ddl.write_text(ddl.read_text().replace("size_bytes bigint", "size_bytes varchar"))
    result = etl_in(project, "run", other_day(tmp_path / "dumps"), "-w", wh)
    assert result.returncode == 5
    message = result.stderr.strip().splitlines()[-1]
    assert "documents.size_bytes is BIGINT in the warehouse but VARCHAR" in message
    assert "--full-refresh" in message and "nothing published" in message
    assert table_counts(wh)["documents"] == 2


@pytest.mark.skipif(not LEGACY.exists(), reason="no legacy warehouse fixture")
def test_a_warehouse_of_the_earlier_release_is_refused_then_upgraded(tmp_path):
    wh = tmp_path / "wh"
    shutil.copytree(LEGACY, wh, symlinks=True)
    refused = etl("run", SAMPLE, "-w", wh)
    assert refused.returncode == 5
    line = refused.stderr.strip().splitlines()[-1]
    assert "built by an earlier release" in line and f"etl upgrade -w {wh}" in line
    assert etl("sql", "select 1", "-w", wh).returncode == 1

    upgraded = etl("upgrade", "-w", wh)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert "posts 12" in upgraded.stdout and (wh / ".legacy" / ".versions").is_dir()
    # The legacy Parquet files hold exactly what the converted tables hold; the upgrade then
    # built the search index of the converted posts.
    assert f"{wh}: built the search index of its 12 posts" in upgraded.stdout
    index_in_step(wh)
    legacy = (wh / ".legacy" / "current").resolve() / "parquet"
    for table, n in table_counts(wh).items():
        if table.startswith("search_"):
            continue
        files = sorted((legacy / table).glob("*.parquet"))
        assert n == (duckdb.sql(f"select count(*) from read_parquet({[str(f) for f in files]})").fetchone()[0]
                     if files else 0), table
    parquet_matches_database(wh)
    again = etl("run", SAMPLE, "-w", wh)
    assert again.returncode == 0 and "nothing new" in again.stdout, again.stdout + again.stderr
    assert etl("upgrade", "-w", wh).stdout.strip() == f"{wh} needs no upgrade"


def test_a_reader_keeps_its_snapshot_while_a_run_publishes(two_runs, tmp_path):
    wh = copy_warehouse(two_runs[0], tmp_path / "wh")
    with duckdb.connect(str(wh / "published.duckdb"), read_only=True) as reader:
        before = reader.execute("select (select count(*) from documents), (select count(*) from comments)").fetchall()
        dump = tmp_path / "third.txt"
        dump.write_text(SAMPLE.read_text().replace("January 8, 2020", "January 11, 2020"))
        assert etl("run", dump, "-w", wh).returncode == 0
        # The open reader still sees one whole snapshot (its files are kept by retention).
        assert reader.execute("select (select count(*) from documents), (select count(*) from comments)"
                              ).fetchall() == before == [(2, 24)]
    assert table_counts(wh)["documents"] == 3


def test_maintenance_compacts_small_files_and_expiry_frees_them(sample_warehouse_copy):
    wh = sample_warehouse_copy
    with duck.connect() as con:
        lake.attach(con, wh)
        con.execute("use lake")
        for k in range(20):  # twenty small commits: twenty small files
            con.execute("insert into document_warnings values ('d', ?, 'code', 'message', 'r')", [k])

        def files() -> int:
            return con.execute("select count(*) from ducklake_list_files('lake', 'document_warnings')").fetchone()[0]

        assert files() == 21
        done = maintain(con, wh, retention_days=7)
        assert "document_warnings" in done.compacted and files() == 1
        assert done.deleted_files == 0  # the replaced files stay for readers until retention
        on_disk = len(list((wh / "data" / "main" / "document_warnings").glob("*.parquet")))
        assert on_disk == 22
        done = maintain(con, wh, retention_days=0)
        assert done.deleted_files == 21
        assert len(list((wh / "data" / "main" / "document_warnings").glob("*.parquet"))) == 1
        assert con.execute("select count(*) from document_warnings").fetchone() == (22,)

"""What the writer promises under faults: a failure after the commit (a view that does not
bind, a full disk) says the run is committed and wedges no later run; retention never
deletes what readers or the run in progress use; a rollback crosses a table added later and
a --full-refresh; a killed `etl upgrade` is finished by the next one. Real processes, a real
full disk (a tmpfs in a mount namespace of its own), real kills."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from etl.storage.state import FAILED_NAME
from tests.corpus import kill, wait_for_line, with_excerpts, write
from tests.utils import (
    ROOT,
    SAMPLE,
    etl,
    etl_in,
    lake_rows,
    parquet_counts,
    parquet_matches_database,
    project_copy,
    rows,
    start_etl,
    table_counts,
)

LEGACY = ROOT / "tests" / "fixtures" / "legacy-warehouse"
NEW_POSTS = ROOT / "tests" / "fixtures" / "dumps" / "listing-category-2011-09-08.txt"  # 6 posts the sample lacks
BROKEN_VIEW = "create view bi_zz_broken as select no_such_column from posts;\n"


def broken_view_project(dest: Path, compact_at: int | None = None) -> Path:
    """A copy of the project whose BI layer has a view that does not bind (publishing fails
    after every commit); with `compact_at`, maintenance compacts a table at that many small files."""
    project = project_copy(dest)
    (project / "sql" / "bi" / "bi_zz_broken.sql").write_text(BROKEN_VIEW, encoding="utf-8")
    if compact_at is not None:
        maintain = project / "etl" / "storage" / "maintain.py"
        text = maintain.read_text(encoding="utf-8")
        assert "COMPACT_AT = 16" in text
        maintain.write_text(text.replace("COMPACT_AT = 16", f"COMPACT_AT = {compact_at}"), encoding="utf-8")
    return project


def published_files(wh: Path) -> list[Path]:
    """Every data and delete file snapshot.json names."""
    tables = json.loads((wh / "snapshot.json").read_text(encoding="utf-8"))["tables"]
    return [Path(f) for t in tables.values() for f in (*t["files"], *t["deletes"].values())]


def assert_readers_work(wh: Path, documents: int) -> None:
    """published.duckdb and snapshot.json read every table (their files all there), and
    show `documents` documents."""
    assert all(f.exists() for f in published_files(wh))
    assert table_counts(wh)["documents"] == documents
    assert parquet_counts(wh) == table_counts(wh)


# A failure after the commit


def test_a_publish_failing_after_the_commit_says_so_and_wedges_no_later_run(sample_warehouse_copy, tmp_path):
    wh = sample_warehouse_copy
    assert etl("run", SAMPLE, "-w", wh).returncode == 0  # published here (the copy named the old folder)
    project = broken_view_project(tmp_path / "project")
    first = etl_in(project, "run", NEW_POSTS, "-w", wh)
    out = first.stdout + first.stderr
    assert first.returncode == 6, out
    assert first.stdout.splitlines()[0].endswith("succeeded, committed but NOT published (exit 6)")
    assert 'not published: BinderException: Binder Error: Referenced column "no_such_column" not found' in first.stdout
    assert "nothing published" not in out
    assert len(lake_rows(wh, "documents")) == 2  # committed ...
    assert_readers_work(wh, documents=1)  # ... readers on the run before
    run_id = first.stdout.split()[1].rstrip(":")
    log = json.loads((wh / "logs" / f"{run_id}.json").read_text(encoding="utf-8"))
    assert log["exit_code"] == 6 and log["publish_error"].startswith("BinderException")
    status = etl_in(project, "status", "-w", wh)
    assert status.returncode == 0, status.stderr
    assert "NOT PUBLISHED: snapshot" in status.stdout and "no_such_column" in status.stdout
    # The next run, a --full-refresh too, fails to publish the earlier snapshot first, goes on,
    # and commits its own work.
    again = etl_in(project, "run", "--full-refresh", SAMPLE, "-w", wh)
    assert again.returncode == 6, again.stdout + again.stderr
    assert "publish failed snapshot=" in again.stderr and "this run publishes its own" in again.stderr
    assert [r[3] for r in lake_rows(wh, "runs")] == ["succeeded"]  # the full refresh's one run
    # The view fixed, the next run publishes everything.
    fixed = etl("run", SAMPLE, "-w", wh)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "published snapshot=" in fixed.stderr
    assert_readers_work(wh, documents=1)
    assert rows(wh, "select count(*) from runs") == [(2,)]  # the full refresh and this one
    assert "NOT PUBLISHED" not in etl("status", "-w", wh).stdout and not (wh / FAILED_NAME).exists()


@dataclass
class SmallDisk:
    """A tmpfs mounted at `mount` in a user and mount namespace of its own, kept by `holder`:
    commands run inside it through nsenter; this process reaches it through /proc."""

    holder: subprocess.Popen
    mount: Path

    def outside(self, path: Path) -> Path:
        return Path(f"/proc/{self.holder.pid}/root") / path.relative_to("/")

    def command(self, *argv: str | Path) -> list[str]:
        return ["nsenter", "-t", str(self.holder.pid), "-U", "-m", "--preserve-credentials", f"--wd={ROOT}",
                *map(str, argv)]

    def etl(self, *args: str | Path, env: dict | None = None) -> subprocess.Popen:
        return subprocess.Popen(self.command(sys.executable, "-m", "etl.cli", *args),
                                env={**os.environ, "CI": "true", **(env or {})},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def fill(self) -> None:
        """Write zeros until the disk is full."""
        with open(self.outside(self.mount / "filler"), "wb", buffering=0) as f:
            try:
                while True:
                    f.write(bytes(1 << 20))
            except OSError as e:
                assert e.errno == errno.ENOSPC


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    if not (shutil.which("unshare") and shutil.which("nsenter")):
        pytest.skip("needs unshare and nsenter (util-linux) to mount a small disk")
    holder = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private", "sh", "-c",
         'mount -t tmpfs -o size=16m tmpfs "$1" && echo ready && exec sleep 600', "sh", str(mount)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if holder.stdout.readline().strip() != "ready":
        holder.kill()
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {holder.communicate()[1].strip()}")
    try:
        yield SmallDisk(holder, mount)
    finally:
        holder.kill()
        holder.communicate()


def test_a_full_disk_after_the_commit_says_committed_and_the_next_run_publishes(small_disk, sample_warehouse, tmp_path):
    disk = small_disk
    wh = disk.mount / "wh"
    assert subprocess.run(disk.command("cp", "-a", sample_warehouse, wh)).returncode == 0
    resume = tmp_path / "resume"
    proc = disk.etl("run", NEW_POSTS, "-w", wh, env={"ETL_FAILPOINTS": "commit", "ETL_FAILPOINT_RESUME": resume})
    try:
        wait_for_line(proc, "failpoint commit reached")
        disk.fill()  # between the commit and maintenance and publishing
        resume.touch()
        out, err = proc.communicate(timeout=120)
    finally:  # a run left at its failpoint would outlive the test
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 6, out + err
    assert "committed but NOT published (exit 6)" in out and "No space left on device" in out
    assert "nothing published" not in out + err
    assert "run log not written" in err  # the disk has no room for it either

    def sql(query: str) -> subprocess.CompletedProcess:
        done = disk.etl("sql", query, "-w", wh, "-f", "csv")
        out, err = done.communicate(timeout=60)
        return subprocess.CompletedProcess(query, done.returncode, out, err)

    assert sql("select count(*) as n from documents").stdout.split() == ["n", "1"]  # readers: the run before
    status = disk.etl("status", "-w", wh)
    status_out, status_err = status.communicate(timeout=60)
    assert status.returncode == 0, status_err
    assert "NOT PUBLISHED: snapshot" in status_out and "no reason recorded" in status_out
    assert not list(disk.outside(wh).glob(".*.tmp"))  # the half-written BI file is gone
    disk.outside(disk.mount / "filler").unlink()
    rerun = disk.etl("run", NEW_POSTS, "-w", wh)
    rerun_out, rerun_err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, rerun_out + rerun_err
    assert "published snapshot=" in rerun_err and "nothing new" in rerun_out
    assert sql("select count(*) as n from documents").stdout.split() == ["n", "2"]


# Retention


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-1", "1e999", "seven"])
def test_retention_days_must_be_a_finite_number_of_days(value, tmp_path):
    wh = tmp_path / "wh"
    result = etl("run", SAMPLE, "-w", wh, "--retention-days", value)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--retention-days" in result.stderr
    assert not wh.exists() or not (wh / "lake.sqlite").exists()
    from_env = etl("run", SAMPLE, "-w", wh, env={"ETL_RETENTION_DAYS": value})
    assert from_env.returncode == 2, from_env.stdout + from_env.stderr


def test_retention_zero_keeps_what_readers_and_the_run_use(tmp_path):
    """Excerpts completed by the next run: maintenance rewrites the file whose rows that run
    deleted, and commits a snapshot after the run's. Retention 0 expires every other one."""
    wh = tmp_path / "wh"
    dumps = tmp_path / "dumps"
    first = etl("run", write(dumps / "excerpts.txt", with_excerpts(whole=1)), "-w", wh, "--retention-days", "0")
    assert first.returncode == 0, first.stdout + first.stderr
    second = etl("run", SAMPLE, "-w", wh, "--retention-days", "1e-9")  # 86 microseconds: as good as 0
    assert second.returncode == 0, second.stdout + second.stderr
    assert "posts: 12 in new documents (6 new, 5 completed)" in second.stdout
    assert_readers_work(wh, documents=2)
    # Every snapshot expired but the one readers had (the first run's), the second run's, and
    # those its maintenance committed after the retention's cutoff: its rewrites of the
    # excerpts' file and of the search index's two files whose rows it deleted (search_docs,
    # search_postings: the excerpts' docs and postings).
    assert len(_snapshots(wh)) == 5
    parquet_matches_database(wh)
    # A run whose maintenance compacts (at 2 small files, in this copy of the project) and
    # whose publishing then fails: the files the published snapshot names stay.
    project = broken_view_project(tmp_path / "project", compact_at=2)
    third = etl_in(project, "run", NEW_POSTS, "-w", wh, "--retention-days", "0")
    assert third.returncode == 6, third.stdout + third.stderr
    assert "maintained compacted=" in third.stderr
    assert_readers_work(wh, documents=2)
    fourth = etl("run", NEW_POSTS, "-w", wh, "--retention-days", "0")
    assert fourth.returncode == 0, fourth.stdout + fourth.stderr
    assert_readers_work(wh, documents=3)
    parquet_matches_database(wh)
    # Expiry kept the published snapshot and the latest run's only until they were neither:
    # every file on disk is one the lake or snapshot.json still uses.
    on_disk = {p for p in (wh / "data").rglob("*.parquet")}
    assert on_disk == set(published_files(wh)) | _lake_files(wh)


def _snapshots(wh: Path) -> list[int]:
    from etl.core import duck
    from etl.storage import lake

    with duck.connect() as con:
        lake.attach(con, wh, read_only=True)
        return [s for s, in con.execute("select snapshot_id from lake.snapshots()").fetchall()]


def _lake_files(wh: Path) -> set[Path]:
    from etl.core import duck
    from etl.core.schemas import INTERNAL_TABLES, table_names
    from etl.storage import lake

    with duck.connect() as con:
        lake.attach(con, wh, read_only=True)
        return {Path(f) for t in (*table_names(), *INTERNAL_TABLES) for pair in con.execute(
            "select data_file, delete_file from ducklake_list_files('lake', ?)", [t]).fetchall() for f in pair if f}


# Rollback across schema changes


def test_rollback_crosses_a_table_added_later_and_a_full_refresh(sample_warehouse_copy, tmp_path):
    wh = sample_warehouse_copy
    (first,), = rows(wh, "select run_id from runs")
    before = {t: lake_rows(wh, t) for t in ("documents", "posts", "post_tags")}
    project = project_copy(tmp_path / "project")
    (project / "sql" / "tables" / "notes.sql").write_text(
        "create table if not exists notes (note_id varchar, body varchar);\ncomment on table notes is 'Notes.';\n")
    posts = project / "sql" / "tables" / "posts.sql"  # a type changed: a --full-refresh's to apply
    posts.write_text(posts.read_text().replace("word_count integer not null", "word_count bigint not null"))
    refreshed = etl_in(project, "run", "--full-refresh", NEW_POSTS, "-w", wh)
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert rows(wh, "select count(*) from notes") == [(0,)]
    write_note = "insert into lake.notes values ('n1', 'a note')"
    from etl.core import duck
    from etl.storage import lake

    with duck.connect() as con:  # a row in the new table, to see the rollback empty it
        lake.attach(con, wh)
        con.execute(write_note)
    back = etl_in(project, "rollback", first, "-w", wh)
    assert back.returncode == 0, back.stdout + back.stderr
    assert "notes: 1 -> 0 rows" in back.stdout
    assert rows(wh, "select count(*) from notes") == [(0,)]
    for table, old in before.items():  # the rows as they stood then (posts.word_count now a BIGINT)
        assert lake_rows(wh, table) == old, table
    as_of = etl_in(project, "sql", "select count(*) as n from notes", "-w", wh, "-f", "csv", "--as-of", first)
    assert as_of.stdout.split() == ["n", "0"], as_of.stderr
    again = etl_in(project, "run", NEW_POSTS, "-w", wh)  # new again to the restored state
    assert again.returncode == 0 and "documents: 1 loaded" in again.stdout, again.stdout + again.stderr


def test_a_rollback_whose_rows_no_longer_fit_is_refused_in_one_line(tmp_path):
    wh = tmp_path / "wh"
    bad = write(tmp_path / "dumps" / "bad.txt", "<!DOCTYPE html>\n<html><body>502</body></html>\n")
    assert etl("run", SAMPLE, bad, "-w", wh).returncode == 1  # documents.error holds the reason
    (first,), = rows(wh, "select run_id from runs")
    project = project_copy(tmp_path / "project")
    documents = project / "sql" / "tables" / "documents.sql"
    documents.write_text(documents.read_text().replace("    error varchar,", "    error integer,"))
    assert etl_in(project, "run", "--full-refresh", SAMPLE, "-w", wh).returncode == 0
    before = table_counts(wh)
    refused = etl_in(project, "rollback", first, "-w", wh)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith(
        f"error: cannot roll back to run {first}: its documents rows do not fit the table's columns")
    assert "Traceback" not in refused.stderr
    assert table_counts(wh) == before


# A killed upgrade


@pytest.fixture(scope="module")
def upgraded_once(tmp_path_factory) -> Path:
    """The legacy warehouse upgraded without a kill: what every finished upgrade must equal."""
    wh = tmp_path_factory.mktemp("upgraded") / "wh"
    shutil.copytree(LEGACY, wh, symlinks=True)
    assert etl("upgrade", "-w", wh).returncode == 0
    return wh


@pytest.mark.skipif(not LEGACY.exists(), reason="no legacy warehouse fixture")
@pytest.mark.parametrize("point", ["upgrade-commit", "upgrade-move", "upgrade-publish"])
def test_a_killed_upgrade_is_finished_by_the_next(point, upgraded_once, tmp_path):
    wh = tmp_path / "wh"
    shutil.copytree(LEGACY, wh, symlinks=True)
    proc = start_etl("upgrade", "-w", wh, env={"ETL_FAILPOINTS": point})
    wait_for_line(proc, f"failpoint {point} reached")
    kill(proc)
    if point != "upgrade-publish":  # the old folders are still there: refused, with the way to finish
        refused = etl("run", SAMPLE, "-w", wh)
        assert refused.returncode == 5
        assert refused.stderr.strip().splitlines()[-1] == (
            f"error: the upgrade of {wh} to this release did not finish (it was interrupted): "
            f"run `etl upgrade -w {wh}` again to finish it; nothing published")
    done = etl("upgrade", "-w", wh)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"finished the interrupted upgrade of {wh}")
    assert table_counts(wh) == table_counts(upgraded_once)
    parquet_matches_database(wh)
    assert sorted(p.name for p in wh.iterdir()) == sorted(p.name for p in upgraded_once.iterdir())
    assert sorted(p.name for p in (wh / ".legacy").iterdir()) == \
        sorted(p.name for p in (upgraded_once / ".legacy").iterdir())
    assert etl("upgrade", "-w", wh).stdout.strip() == f"{wh} needs no upgrade"
    again = etl("run", SAMPLE, "-w", wh)
    assert again.returncode == 0 and "nothing new" in again.stdout, again.stdout + again.stderr


@pytest.mark.quick
def test_a_statement_failing_in_a_widened_sort_is_the_error_told():
    """etl.core.duck.widened (the search index's postings sort on more threads): a statement
    that fails in it aborts the open transaction, which then refuses the SET that narrows the
    connection again; the error raised is the statement's (a 3 GB first build told
    `Current transaction is aborted` for its sort's Out of Memory Error)."""
    import duckdb

    from etl.core.duck import widened

    with duckdb.connect() as con:
        con.execute("create table t (x integer primary key)")
        con.execute("insert into t values (1)")
        con.begin()
        with pytest.raises(duckdb.ConstraintException, match="Duplicate key"), widened(con, 2):
            con.execute("insert into t values (1)")
        con.rollback()
        with widened(con, 2):  # and when nothing fails, the connection is narrowed again after
            assert con.execute("select current_setting('threads')").fetchall() == [(2,)]
        assert con.execute("select current_setting('threads')").fetchall() == [(1,)]

"""Adding a nullable column to any table of the DDL upgrades a warehouse in any state.

The warehouse has several runs, delete files (posts: excerpts completed later; documents and
input_files: a rejected document read again; comment_entries, in the run that adds the
columns: a longer copy of a thread) and compacted files (every table merged once): the state
a warehouse reaches after a few weeks of nightly runs. A copy of the project adds a nullable
column to each table of sql/tables/ (to all at once: one copy of the project and one run
instead of twelve), then a run brings new rows to every table, `--as-of` reads a run from
before the columns, and a rollback to that run publishes again. Every published view must
read the files written before its column as NULL, and hold exactly the lake's rows."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from etl.core import duck
from etl.core.schemas import INTERNAL_TABLES, table_names
from etl.storage import lake
from tests import bi_clients
from tests.bi_clients import VIEWS
from tests.corpus import copy_warehouse, nightly_dumps, with_excerpts, write
from tests.utils import ROOT, etl, etl_in, project_copy, rows

DDL = sorted(p.stem for p in (ROOT / "sql" / "tables").glob("*.sql"))
COLUMN = "reviewer"
FIXTURES = ROOT / "tests" / "fixtures" / "dumps"
THREAD = FIXTURES / "single-2022-08-18.txt"  # a post and its thread of three comments
NEW = (THREAD, FIXTURES / "listing-category-2011-09-08.txt")  # new rows for every table


def other_thread() -> str:
    """THREAD under another title: another post, with a thread of three comments."""
    title = "UK Health Agency Stops Publishing Vaccine Data After Criticism"
    return THREAD.read_text(encoding="utf-8").replace(title, "UK Health Agency Resumes Publishing Vaccine Data")


def earlier_thread() -> str:
    """THREAD as saved a day earlier, when its thread had one comment."""
    text = THREAD.read_text(encoding="utf-8")
    start, end = text.index("  2. The ONS"), text.index("Leave a Reply")
    text = text[:start] + text[end:]
    for old, new in (("| 3 Comments", "| 1 Comment"), ("3 Responses to", "1 Response to")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    return text


def add_column(ddl: Path) -> None:
    """`reviewer varchar` after the last column of the table (before a table constraint), with
    its COMMENT ON, as a user would add it."""
    lines = ddl.read_text(encoding="utf-8").splitlines()
    end = lines.index(");")
    table = ddl.stem
    if lines[end - 1].strip().startswith("primary key"):
        lines.insert(end - 1, f"    {COLUMN} varchar,")
    else:
        lines[end - 1] += ","
        lines.insert(end, f"    {COLUMN} varchar")
    lines.append(f"comment on column {table}.{COLUMN} is 'Who reviewed the row (added later).';")
    ddl.write_text("\n".join(lines) + "\n", encoding="utf-8")


def files_and_deletes(wh: Path) -> dict[str, tuple[int, int]]:
    with duck.connect() as con:
        lake.attach(con, wh, read_only=True)
        return {t: con.execute("select count(*), count(delete_file) from ducklake_list_files('lake', ?)",
                               [t]).fetchone() for t in (*table_names(), *INTERNAL_TABLES)}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> tuple[Path, str]:
    """Five runs, a compaction between the third and the fourth: returns the warehouse and
    the id of its last run (before any column was added)."""
    root = tmp_path_factory.mktemp("evolve")
    wh, dumps = root / "base", root / "dumps"
    mixed = write(dumps / "mixed.txt", with_excerpts(2))  # 2 of 12 posts
    bad = write(dumps / "bad.txt", "<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n")
    nights = nightly_dumps(dumps / "nights")
    threads = write(dumps / "thread.txt", earlier_thread()), write(dumps / "other-thread.txt", other_thread())
    # Dumps saved an hour ago: a run remembers only files that have settled (etl/run/workers.py
    # SETTLED_NS), and bad.txt's row must be in input_files for its retry to delete it.
    hour_ago = time.time_ns() - 3_600_000_000_000
    for dump in (mixed, bad, *nights, *threads):
        os.utime(dump, ns=(hour_ago, hour_ago))
    # bad.txt is read with three others, so that its row is at most a quarter of a file's rows
    # even where compaction leaves that file alone: a run rewrites a file half of whose rows
    # are deleted (etl/storage/maintain.py), which would fold its delete file in.
    for args in ([mixed, bad, *threads], [nights[0]], [nights[1]]):
        assert etl("run", *args, "-w", wh).returncode in (0, 1)
    with duck.connect() as con:  # what maintenance does every ~16 runs, for every table at once
        lake.attach(con, wh)
        for table in (*table_names(), *INTERNAL_TABLES):
            con.execute("call ducklake_merge_adjacent_files('lake', ?)", [table])
    before = files_and_deletes(wh)
    for args in ([nights[2]], [bad, "--retry-rejected"]):  # completes the excerpts; reads the page again
        assert etl("run", *args, "-w", wh).returncode in (0, 1)
    after = files_and_deletes(wh)
    assert before["runs"][0] == 1 and after["runs"][0] == 3  # compacted, then two runs
    assert after["posts"][1] and after["documents"][1] and after["input_files"][1], (before, after)  # delete files
    assert rows(wh, "select count(*) from comment_entries") == [(4,)]  # 1 + 3: the longer copy replaces 1 of 4
    last, = rows(wh, "select max(run_id) from runs")[0]
    return wh, last


@pytest.fixture(scope="module")
def evolved(base, tmp_path_factory) -> dict:
    """The project with a column added to every table of the DDL; on a copy of the base: a
    run, `--as-of` the base's last run, a rollback to it."""
    wh, last = base
    root = tmp_path_factory.mktemp("evolved")
    project = project_copy(root / "project")
    for table in DDL:
        add_column(project / "sql" / "tables" / f"{table}.sql")
    copy = copy_warehouse(wh, root / "wh")
    run = etl_in(project, "run", *NEW, "-w", copy)
    counts = ", ".join(f'(select count(*) from "{t}") as "{t}", (select count("{COLUMN}") from "{t}") as "{t}.{COLUMN}"'
                       for t in table_names())
    as_of = etl_in(project, "sql", f"select {counts}", "-w", copy, "-f", "json", "--as-of", last)
    after_run = published_and_lake(copy), files_and_deletes(copy)
    bi_file = shutil.copy(copy / "published.duckdb", root / "after-run.duckdb")  # its files stay (retention)
    rollback = etl_in(project, "rollback", last, "-w", copy)
    return {"warehouse": copy, "run": run, "as_of": as_of, "after_run": after_run, "rollback": rollback,
            "after_rollback": published_and_lake(copy), "bi_file": Path(bi_file)}


def published_and_lake(wh: Path) -> dict[str, tuple[list, list]]:
    """Each table's rows as published.duckdb shows them and as the DuckLake holds them (the
    same columns, by name), sorted."""
    out = {}
    with duckdb.connect(str(wh / "published.duckdb"), read_only=True) as bi, duck.connect() as con:
        lake.attach(con, wh, read_only=True)
        for table in table_names():
            columns = [c for c, in bi.execute("select column_name from duckdb_columns() where table_name = ? "
                                              "order by column_index", [table]).fetchall()]
            select = ", ".join(f'"{c}"' for c in columns)
            out[table] = (sorted(bi.execute(f'select {select} from "{table}"').fetchall(), key=repr),
                          sorted(con.execute(f'select {select} from lake."{table}"').fetchall(), key=repr))
    return out


def test_every_table_of_the_ddl_is_covered():
    assert set(DDL) == {*table_names(), *INTERNAL_TABLES} and len(DDL) == 17


def test_the_run_adds_every_column_and_the_rows_of_every_table(evolved):
    run = evolved["run"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert "documents: 2 loaded" in run.stdout
    files = evolved["after_run"][1]
    # After the run: every table has files written before the column and after it (but
    # `upgrades`, written once, by the first run of this release: etl/run/rekey.py), and posts,
    # documents, input_files and comment_entries have delete files besides.
    assert all(n >= 2 for t, (n, _) in files.items() if t != "upgrades"), repr(files)
    assert files["upgrades"] == (1, 0)
    assert all(files[t][1] for t in ("posts", "documents", "input_files", "comment_entries")), files


@pytest.mark.parametrize("table", DDL)
def test_a_new_nullable_column_upgrades_a_warehouse_with_deletes_and_compactions(evolved, base, table):
    """The column is added, the BI file reads the table (the column NULL in the files written
    before it, and in the new rows, which nothing fills) with exactly the lake's rows; the run
    before the column reads through time travel; the rollback to it publishes its rows."""
    wh, (base_wh, last) = evolved["warehouse"], base
    assert f"schema change=added column {table}.{COLUMN} VARCHAR" in evolved["run"].stderr
    if table not in table_names():  # input_files: storage-internal, neither published nor time-travelled
        return
    published, in_lake = evolved["after_run"][0][table]
    before = rows(base_wh, f'select count(*) from "{table}"')[0][0]
    assert published == in_lake and len(published) > before
    assert rows(wh, f'select count("{COLUMN}") from "{table}"') == [(0,)]
    as_of = evolved["as_of"]
    assert as_of.returncode == 0, as_of.stderr
    then = json.loads(as_of.stdout)[0]
    assert (then[table], then[f"{table}.{COLUMN}"]) == (rows(base_wh, f'select count(*) from "{table}"')[0][0], 0)
    back = evolved["rollback"]
    assert back.returncode == 0, back.stdout + back.stderr
    assert f"rolled back to run {last}" in back.stdout
    published, in_lake = evolved["after_rollback"][table]
    assert published == in_lake
    if table not in ("runs", "validation_results"):  # they keep their history
        assert len(published) == rows(base_wh, f'select count(*) from "{table}"')[0][0]


OLDEST = next(c for c in bi_clients.clients() if c.name == "duckdb-py-1.1")


def test_the_oldest_bi_client_reads_the_new_columns_views(evolved, tmp_path):
    """DuckDB 1.1 runs the views' SQL itself: over the files with and without the columns, with
    and without delete files, it reads the rows the project's own DuckDB reads."""
    OLDEST.require()
    want = bi_clients.dump_reference(evolved["bi_file"], tmp_path)
    got = OLDEST.dump(evolved["bi_file"], tmp_path)
    for view, grain in VIEWS.items():
        assert "error" not in got["views"][view], f"{view}: {got['views'][view].get('error')}"
        assert want["views"][view]["rows"], view
        assert not bi_clients.differences(want["views"][view], got["views"][view], grain), view

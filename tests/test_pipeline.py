"""The core pipeline end to end on the real sample: the CLI in a subprocess, a real
DuckDB file and real Parquet in a temporary folder. Values checked by hand on the sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from etl.core import duck
from etl.core.schemas import arrow_schemas, table_names
from etl.storage import lake
from tests.corpus import fingerprint
from tests.utils import ROOT, SAMPLE, connect, etl, lake_rows, parquet_counts, rows, snapshot, table_counts

SAMPLE_ID = "f66d67bea32c3e1aea83896f8f4eaef57a91d609dac7dc5b87e08dea8937847b"  # sha256sum of the file
D7, D8, D9 = date(2020, 1, 7), date(2020, 1, 8), date(2020, 1, 9)

# title, author, source, published_on, posted_on, categories, tag_count, comment_count, word_count
# (word counts: `wc -w` over the body lines of each post in the file)
EXPECTED = [
    ("The Kerfuffle War – Trump’s Iran De-escalation Succeeds", "Joaquin Flores",
     "Strategic Culture Foundation", D9, D9,
     ["Ethnic Cleansing, Racism, Zionism", "Timeless or most popular", "Wars for Israel"], 7, 0, 2047),
    ("Iran’s Strikes Against the U.S. Demonstrate the Unipolar System Is Truly Over", "Paul Antonopoulos",
     None, D9, D9, ["Militarism"], 3, 1, 891),
    ("How Was Pentagon ‘Withdrawal Letter” Leaked To Iraq? Anatomy Of A Propaganda Coup", "Tyler Durden",
     "ZeroHedge", D7, D8, ["Illegal Occupation"], 2, 0, 579),
    ("Russia Proposes To Secure Iraqi Airspace With S-400 Air Defense", "Tyler Durden",
     "ZeroHedge", D7, D8, ["Aletho News"], 3, 1, 276),
    ("Iraqi cleric Moqtada al-Sadr says crisis over, after Trump & Iran speak", None,
     "RT", D8, D8, ["Illegal Occupation"], 3, 1, 269),
    ("After Soleimani Killing Suddenly the US is Alone", "Tom Luongo",
     "Gold, Goats, & Guns", date(2020, 1, 6), D8, ["Timeless or most popular", "Wars for Israel"], 8, 3, 1671),
    ("Zarif: Iran informed Iraqi govt. of missile attack on US bases", None,
     "Press TV", D8, D8, ["Illegal Occupation"], 3, 3, 386),
    ("Iran strikes US bases in Iraq to avenge Soleimani, vows to target Israel and all US bases in the region",
     None, "Al-Manar", D8, D8, ["Illegal Occupation", "Wars for Israel"], 4, 2, 888),
    ("FM Zarif: Iran’s Reprisal Attack in Compliance with UN Charter", None,
     "Fars News Agency", D8, D7, ["Illegal Occupation"], 3, 5, 552),
    ("Iran Strikes Back! Daniel McAdams talks to RT", None,
     "Ron Paul Institute", D7, D7, ["Video"], 3, 2, 56),
    ("UK defence secretary ‘reserves the right’ to ‘strike’ Iran", None,
     "Press TV", D7, D7, ["Militarism"], 3, 1, 408),
    ("Canada says some troops in Iraq to be moved temporarily to Kuwait for safety", None,
     "MEMO", D7, D7, ["Illegal Occupation"], 3, 1, 210),
]

POST_DETAILS_FIRST = [
    "post_id", "title", "author", "source", "published_on", "posted_on", "categories", "tag_count",
    "comment_count", "comments_open", "word_count", "document_id",
]


NO_NETWORK = (  # `etl run`, every socket connect refused and recorded in the file argv[1]
    "import socket, sys\n"
    "def refuse(self, address, *args, **kwargs):\n"
    "    open(sys.argv[1], 'a').write(repr(address) + '\\n')\n"
    "    raise OSError('network is off')\n"
    "socket.socket.connect = refuse\n"
    "socket.socket.connect_ex = refuse\n"
    "from etl.cli import app\n"
    "sys.argv = ['etl', 'run', '--warehouse', sys.argv[2]]\n"
    "app()\n"
)


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, Path]:
    """`etl run` of the sample into a new warehouse (apart from the session's sample warehouse),
    in a process whose every socket connect is refused and recorded: (warehouse, the process,
    the file of connect attempts)."""
    root = tmp_path_factory.mktemp("fresh")
    wh, attempts = root / "wh", root / "connects.txt"
    result = subprocess.run([sys.executable, "-c", NO_NETWORK, str(attempts), str(wh)], cwd=ROOT,
                            env={**os.environ, "CI": "true"}, capture_output=True, text=True, timeout=300)
    return wh, result, attempts


def test_run_prints_summary_and_writes_both_stores(fresh_run):
    wh, result, _ = fresh_run
    assert result.returncode == 0, result.stderr
    assert "documents: 1 loaded, 0 skipped" in result.stdout
    assert "posts: 12 in new documents (12 new" in result.stdout
    assert "validation: passed" in result.stdout
    assert "posts 12" in result.stdout
    assert (wh / "lake.sqlite").exists() and (wh / "published.duckdb").exists()
    counts = table_counts(wh)
    assert {t: counts[t] for t in ("posts", "authors", "sources", "tags", "post_tags", "comments", "documents",
                                   "runs", "comment_entries")} == {
        "posts": 12, "authors": 4, "sources": 9, "tags": 7, "post_tags": 16, "comments": 12,
        "documents": 1, "runs": 1, "comment_entries": 0,
    }
    assert parquet_counts(wh) == {t: counts[t] for t in table_names()}
    # One Parquet file per table that has rows, in the DuckLake's data folder, with the
    # columns and types read off the DDL; snapshot.json lists them.
    manifest = json.loads((wh / "snapshot.json").read_text())
    assert manifest["run_id"] == rows(wh, "select run_id from runs")[0][0]
    for table in table_names():
        files = manifest["tables"][table]["files"]
        assert len(files) == (1 if counts[table] else 0), table
        for f in files:
            assert Path(f).parent == wh / "data" / "main" / table
            schema = pq.read_schema(f)
            assert [(f.name, f.type) for f in schema] == [(f.name, f.type) for f in arrow_schemas()[table]]
    # The lake keeps the DDL's NOT NULL (DuckLake writes every Parquet field as optional).
    with duck.connect() as con:
        lake.attach(con, wh, read_only=True)
        assert con.execute("select is_nullable from duckdb_columns() where database_name = 'lake' "
                           "and table_name = 'posts' and column_name = 'title'").fetchall() == [(False,)]


def test_every_field_of_every_sample_post(sample_warehouse):
    got = rows(sample_warehouse, """
        select title, author, source, published_on, posted_on, categories, tag_count, comment_count, word_count,
               comments_open, document_id, is_complete
        from post_details order by (select line_number from posts p where p.post_id = post_details.post_id)""")
    assert [g[:9] for g in got] == [tuple(e) for e in EXPECTED]
    assert all(g[9] is True and g[10] == SAMPLE_ID and g[11] is True for g in got)


def test_post_details_contract(sample_warehouse):
    columns = [c for (c,) in rows(sample_warehouse, """
        select column_name from duckdb_columns() where table_name = 'post_details' order by column_index""")]
    assert columns[: len(POST_DETAILS_FIRST)] == POST_DETAILS_FIRST
    types = dict(rows(sample_warehouse, """
        select column_name, data_type from duckdb_columns() where table_name = 'post_details'"""))
    assert types["categories"] == "VARCHAR[]"
    assert types["published_on"] == types["posted_on"] == "DATE"
    assert types["comments_open"] == "BOOLEAN"


def test_subtitles_credits_and_guessed_dates(sample_warehouse):
    got = dict((t, (s, c, g)) for t, s, c, g in rows(sample_warehouse,
               "select title, subtitle, image_credit, published_on_guess from posts"))
    assert got["UK defence secretary ‘reserves the right’ to ‘strike’ Iran"][0] == \
        "Ben Wallace in a combative mood in the House of Commons"
    assert got["Iraqi cleric Moqtada al-Sadr says crisis over, after Trump & Iran speak"][1] == \
        "© Reuters / Alaa al-Marjani"
    guessed = sorted(t for t, (_, _, g) in got.items() if g)
    assert guessed == ["How Was Pentagon ‘Withdrawal Letter” Leaked To Iraq? Anatomy Of A Propaganda Coup",
                       "Russia Proposes To Secure Iraqi Airspace With S-400 Air Defense"]
    assert {g for _, _, g in got.values()} == {None, "month-first"}


def test_ids_are_stable_across_runs(sample_warehouse, fresh_run):
    other, result, _ = fresh_run
    assert result.returncode == 0, result.stderr
    query = "select post_id, author_id, source_id from posts order by post_id"
    assert rows(other, query) == rows(sample_warehouse, query)
    assert len({r[0] for r in rows(other, query)}) == 12


def test_documents_and_runs_rows(sample_warehouse):
    (doc,) = rows(sample_warehouse, """
        select document_id, path, size_bytes, encoding, site_name, page_kind, post_count, status, error
        from documents""")
    assert doc == (SAMPLE_ID, str(SAMPLE), SAMPLE.stat().st_size, "utf-8", "Aletho News", "listing", 12,
                   "loaded", None)
    (run,) = rows(sample_warehouse, """
        select status, exit_code, documents_new, documents_rejected, posts_new, validation_status,
               expectations_failed, table_rows from runs""")
    assert run[:7] == ("succeeded", 0, 1, 0, 12, "passed", 0)
    assert json.loads(run[7])["posts"] == 12
    # every row carries the run that loaded it
    (run_id,) = rows(sample_warehouse, "select run_id from runs")[0]
    assert rows(sample_warehouse, "select distinct run_id from posts union select distinct run_id from comments") \
        == [(run_id,)]


def test_runs_row_is_the_run_record(sample_warehouse):
    """The `runs` row is the run's one record (etl/core/summary.py): every column of the DDL is
    written from it by name, and read back it is the record its log keeps."""
    from etl.core.summary import Provenance, RunSummary

    with connect(sample_warehouse) as con:
        cur = con.execute("select * from runs")
        (values,) = cur.fetchall()
        row = dict(zip([d[0] for d in cur.description], values, strict=True))
    logged = RunSummary.from_dict(json.loads((sample_warehouse / "logs" / f"{row['run_id']}.json").read_text()))
    assert set(logged.runs_row()) == set(row)
    back = RunSummary.from_runs_row(row)
    assert (back.status, back.exit_code, back.documents, back.validation.status, back.full_refresh) \
        == ("succeeded", 0, logged.documents, "passed", False)
    assert (back.posts.new, back.posts.updated, back.table_rows["posts"]) == (12, 0, 12)
    assert (back.started_at, back.finished_at, back.table_rows) \
        == (logged.started_at, logged.finished_at, logged.table_rows)
    assert back.made_by == logged.made_by and isinstance(back.made_by, Provenance)
    assert back.made_by.etl_version == version("aletho-etl") and back.made_by.config_file is None


def test_sql_command_json_and_csv(sample_warehouse):
    result = etl("sql", "select title, published_on, categories from post_details where tag_count = 7",
                 "--warehouse", sample_warehouse, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{
        "title": "The Kerfuffle War – Trump’s Iran De-escalation Succeeds", "published_on": "2020-01-09",
        "categories": ["Ethnic Cleansing, Racism, Zionism", "Timeless or most popular", "Wars for Israel"]}]
    result = etl("sql", "select count(*) as n from posts", "--warehouse", sample_warehouse, "--format", "csv")
    assert result.stdout.splitlines() == ["n", "12"]


def test_sql_command_is_read_only(sample_warehouse):
    result = etl("sql", "create table scratch (a int)", "--warehouse", sample_warehouse)
    assert result.returncode == 1
    assert "read-only" in result.stderr
    assert table_counts(sample_warehouse)["posts"] == 12


def test_corrupted_staged_value_exits_3_and_publishes_nothing(failed_run, sample_warehouse):
    """corrupting a staged value so an expectation fails makes etl run exit 3 with nothing published"""
    wh, r = failed_run.warehouse, failed_run.result
    assert r.returncode == 3, r.stdout + r.stderr
    assert f"run {failed_run.run_id}: validation FAILED, nothing published (exit 3)" in r.stdout
    assert "expect_column_values_to_not_be_null on sources.name" in r.stdout
    # The warehouse is exactly the one before the run: data, runs, Parquet, the pointer.
    assert snapshot(wh) == snapshot(sample_warehouse)
    assert table_counts(wh) == table_counts(sample_warehouse)
    assert parquet_counts(wh) == parquet_counts(sample_warehouse)
    assert parquet_counts(wh)["documents"] == 1
    assert lake_rows(wh, "runs") == lake_rows(sample_warehouse, "runs")
    assert not list((wh / ".tmp").iterdir())
    # Its summary is under logs/, as the only trace of the run.
    log = (wh / "logs" / f"{failed_run.run_id}.json").read_text()
    assert '"status": "failed"' in log and '"published": false' in log
    assert fingerprint(failed_run.dump) == failed_run.dump_before  # its input left as it was


def test_missing_warehouse_is_a_clear_error(tmp_path):
    result = etl("sql", "select 1", "--warehouse", tmp_path / "nothing")
    assert result.returncode == 1
    assert "run `etl run` first" in result.stderr


def test_help_lists_every_command_with_its_summary():
    """`etl --help` lists each command of the app, once, with the first words of its docstring."""
    import typer

    from etl.cli import app

    commands = typer.main.get_command(app).commands
    assert {"run", "sql", "report", "schema", "dashboard", "validation-report", "rollback", "upgrade",
            "status"} <= set(commands)
    result = etl("--help")
    assert result.returncode == 0, result.stderr
    panel = result.stdout.split("Commands")[1]
    listed = {}  # command → the start of its row's text
    for line in panel.splitlines():
        cells = line.strip("│ ╰─╯").split(None, 1)
        if line.startswith("│ ") and not line.startswith("│  ") and cells:
            listed[cells[0]] = cells[1] if len(cells) > 1 else ""
    assert list(listed) == list(commands)  # every command, in the app's order, nothing else
    for name, command in commands.items():
        first_words = " ".join((command.help or "").split()[:3])
        assert first_words and listed[name].startswith(first_words), (name, listed[name])


def test_cli_imports_no_heavy_package():
    """`etl --help` stays instant: the CLI module imports neither GX, DuckDB nor pandas."""
    code = "import sys, etl.cli; print(sorted(m for m in ('great_expectations', 'duckdb', 'pandas', 'pyarrow') " \
           "if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_internal_error_exits_5_apart_from_rejections(tmp_path):
    not_a_folder = tmp_path / "wh"
    not_a_folder.write_text("a file where the warehouse folder should be")
    result = etl("run", "--warehouse", not_a_folder, "--log-format", "json")
    assert result.returncode == 5
    assert "internal error, nothing published: FileExistsError" in result.stderr
    events = [json.loads(line)["event"] for line in result.stderr.splitlines() if line.startswith("{")]
    assert events == ["run crashed"]


def test_run_makes_no_network_connection(fresh_run):
    """Every socket connect of a whole run is refused and recorded: there must be none."""
    wh, result, attempts = fresh_run
    assert result.returncode == 0, result.stderr
    assert not attempts.exists(), attempts.read_text()
    assert table_counts(wh)["posts"] == 12

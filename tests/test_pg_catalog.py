"""The lake's catalog in a real PostgreSQL (issue 23): one writer across hosts, readers that
have only the catalog URL and the data path, faults of the server, passwords kept out of
every message, and an existing SQLite warehouse moved into PostgreSQL with its history.

"Hosts" are processes with working folders and warehouse folders of their own, sharing one
database and one data path (tests/pg.py starts the server)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from etl.storage.readers import open_reader
from etl.storage.warehouse import Warehouse
from tests.corpus import nightly_dumps, wait_for_line
from tests.pg import PASSWORD
from tests.utils import SAMPLE, etl, other_day, rows, start_etl, table_counts


def _host(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def _count(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchall()[0][0]


def test_two_writers_at_once_one_runs_the_other_exits_4(pg_server, tmp_path):
    url, data = pg_server.new_database(), tmp_path / "shared" / "data"
    a, b = _host(tmp_path, "host-a"), _host(tmp_path, "host-b")
    dumps = nightly_dumps(tmp_path / "dumps")
    resume = tmp_path / "resume"
    common = ("--catalog", url, "--data-path", data)
    first = start_etl("run", *dumps, "-w", a / "wh", *common, cwd=a,
                      env={"ETL_FAILPOINTS": "extract", "ETL_FAILPOINT_RESUME": str(resume)})
    lines = wait_for_line(first, "failpoint extract reached")
    run_id = next(line.split("run_id=")[1].split()[0] for line in lines if "run started" in line)
    second = etl("run", *dumps, "-w", b / "wh", *common, cwd=b)
    resume.touch()
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert second.returncode == 4, second.stdout + second.stderr
    message = second.stderr.strip().splitlines()[-1]
    assert message.startswith(f"error: catalog {url} is in use by aletho-etl run {run_id} on ")
    assert f"pid {first.pid}" in message
    # The tables are a single run's: the same inputs into a SQLite warehouse.
    alone = tmp_path / "alone"
    assert etl("run", *dumps, "-w", alone).returncode == 0
    assert table_counts(a / "wh") == table_counts(alone)
    assert table_counts(a / "wh")["runs"] == 1
    # --wait: the second host waits for the lock, then finds nothing new.
    again = etl("run", *dumps, "-w", b / "wh", *common, "--wait", cwd=b)
    assert again.returncode == 0 and "nothing new" in again.stdout, again.stdout + again.stderr


def test_a_reader_with_only_the_url_and_data_path_sees_each_run_and_keeps_its_snapshot(pg_server, tmp_path):
    url, data = pg_server.new_database(), tmp_path / "shared" / "data"
    writer, reader = _host(tmp_path, "writer"), _host(tmp_path, "reader")
    common = ("--catalog", url, "--data-path", data)
    query = ("select count(*) as n from documents", "-f", "csv")
    assert etl("run", SAMPLE, "-w", writer / "wh", *common, cwd=writer).returncode == 0
    seen = etl("sql", *query, *common, cwd=reader)
    assert seen.stdout.split() == ["n", "1"], seen.stderr
    first_run, = (r for r, in rows(writer / "wh", "select run_id from runs"))
    # A reader that opens now (in this process: no warehouse folder, only the URL and the data path) ...
    held = open_reader(Warehouse.named(reader / "nowhere", url, data))
    assert etl("run", other_day(tmp_path / "dumps"), "-w", writer / "wh", *common, cwd=writer).returncode == 0
    again = etl("sql", *query, *common, cwd=reader)
    assert again.stdout.split() == ["n", "2"], again.stderr
    assert _count(held, "documents") == 1  # ... keeps the snapshot it opened
    held.close()
    old = etl("sql", *query, *common, "--as-of", first_run, cwd=reader)
    assert old.stdout.split() == ["n", "1"], old.stderr
    report = etl("report", "run_history", "-f", "csv", *common, cwd=reader)
    assert report.returncode == 0 and len(report.stdout.strip().splitlines()) == 3, report.stderr
    assert etl("dashboard", *common, "-o", reader / "d.html", cwd=reader).returncode == 0
    assert not (reader / "wh").exists() and not list(reader.glob("*.duckdb"))  # read-only: nothing written
    # Read-only also against the catalog: a write statement is refused before it runs.
    refused = etl("sql", "insert into documents select * from documents", *common, cwd=reader)
    assert refused.returncode == 1 and "read-only" in refused.stderr


def test_postgres_restarted_mid_run_exits_5_publishes_nothing_and_the_next_run_completes(pg_server, tmp_path):
    wh = tmp_path / "wh"
    url = pg_server.new_database()
    assert etl("run", SAMPLE, "-w", wh, "--catalog", url).returncode == 0
    published = (wh / "snapshot.json").read_text(encoding="utf-8")
    dump = other_day(tmp_path / "dumps")
    resume = tmp_path / "resume"
    run = start_etl("run", dump, "-w", wh, env={"ETL_FAILPOINTS": "load", "ETL_FAILPOINT_RESUME": str(resume)})
    wait_for_line(run, "failpoint load reached")  # merged in the open transaction, not committed
    pg_server.restart()
    resume.touch()
    out, err = run.communicate(timeout=300)
    assert run.returncode == 5, out + err
    message = err.strip().splitlines()[-1]
    assert message == (f"error: lost the writer lock on catalog {url} (terminating connection due to "
                       "administrator command; PostgreSQL restarted?): nothing committed")
    assert (wh / "snapshot.json").read_text(encoding="utf-8") == published
    assert table_counts(wh)["documents"] == 1
    rerun = etl("run", dump, "-w", wh)
    assert rerun.returncode == 0 and "documents: 1 loaded" in rerun.stdout, rerun.stdout + rerun.stderr
    assert table_counts(wh)["documents"] == 2


def test_a_refused_password_or_a_wrong_url_is_one_line_without_the_password(pg_server, tmp_path):
    # run in an empty folder: `sql` opens the default ./warehouse, which `make run` creates in the checkout
    url = pg_server.new_database()
    env = {"PGPASSWORD": "wrong-" + PASSWORD}
    for args in (("run", SAMPLE, "-w", tmp_path / "wh"), ("sql", "select 1")):
        result = etl(*args, "--catalog", url, "--data-path", tmp_path / "data", env=env, cwd=tmp_path)
        assert result.returncode == (5 if args[0] == "run" else 1), result.stderr
        error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert error == [f"error: cannot open catalog {url}: FATAL:  password authentication failed for user "
                         f"\"etl\"{'; nothing published' if args[0] == 'run' else ''}"]
        assert PASSWORD not in result.stdout + result.stderr
    down = url.replace(str(pg_server.port), "1")  # nothing listens on port 1
    result = etl("sql", "select 1", "--catalog", down, "--data-path", tmp_path / "data", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith(f"error: cannot open catalog {down}: ")
    assert "Connection refused" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    given = url.replace("etl@", f"etl:{PASSWORD}@")
    result = etl("sql", "select 1", "--catalog", given, cwd=tmp_path)
    assert result.returncode == 2 and PASSWORD not in result.stderr
    assert "the URL holds a password; put it in PGPASSWORD" in result.stderr
    assert not (tmp_path / "wh").exists() or not any((tmp_path / "wh" / "data").rglob("*.parquet"))


def test_a_sqlite_warehouse_moves_into_postgres_with_its_history(pg_server, tmp_path):
    wh = tmp_path / "wh"
    assert etl("run", SAMPLE, "-w", wh).returncode == 0
    assert etl("run", other_day(tmp_path / "dumps"), "-w", wh).returncode == 0
    first, second = (r for r, in rows(wh, "select run_id from runs order by run_id"))
    assert etl("rollback", first, "-w", wh).returncode == 0
    before = {run: etl("sql", "select count(*) as n from documents", "-w", wh, "-f", "csv", "--as-of", run).stdout
              for run in (first, second)}
    url = pg_server.new_database()
    moved = etl("catalog", "migrate", "--to", url, "-w", wh)
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert "not kept: lake.sqlite is renamed lake.sqlite.migrated" in moved.stdout
    assert not (wh / "lake.sqlite").exists() and (wh / "lake.sqlite.migrated").exists()
    assert json.loads((wh / "catalog.json").read_text())["catalog"] == url
    # Every run reads as before, from the new catalog; the next run goes on from there.
    for run, out in before.items():
        assert etl("sql", "select count(*) as n from documents", "-w", wh, "-f", "csv", "--as-of", run).stdout == out
    assert rows(wh, "select count(*) from runs") == [(3,)]
    assert etl("run", other_day(tmp_path / "dumps"), "-w", wh).returncode == 0  # the rolled-back document again
    assert table_counts(wh)["documents"] == 2 and table_counts(wh)["runs"] == 4
    # Another host reads it with the URL alone (the data stayed in the folder).
    other = _host(tmp_path, "other")
    seen = etl("sql", "select count(*) as n from runs", "--catalog", url, "--data-path", wh / "data", "-f", "csv",
               cwd=other)
    assert seen.stdout.split() == ["n", "4"], seen.stderr
    # Twice is refused: the database holds a lake now.
    again = etl("catalog", "migrate", "--to", url, "-w", wh)
    assert again.returncode == 5 and "already in catalog" in again.stderr
    assert os.environ.get("PGPASSWORD") == PASSWORD

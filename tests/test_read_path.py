"""What readers are promised (docs/operations.md, "What readers are promised"): the read
commands read, and nothing else.

- `etl sql` (and `--as-of`) runs read statements only, as DuckDB's parser classifies them,
  and reaches no file but the warehouse's data files;
- the files readers read are written read-only;
- a reader sees the newest run (DuckDB's instance cache does not hold it on an old one), and
  the Parquet recipe reads every table from one snapshot;
- a damaged BI file, a read-only mount, an empty `--as-of` or an `--output` naming the
  warehouse's own files give one `error:` line and a documented exit code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from etl.core.schemas import table_names
from etl.storage import lake
from etl.storage.history import find
from tests.corpus import (
    _drop_root_read_powers,
    can_drop_root_read_powers,
    copy_warehouse,
    etl_subject_to_permissions,
    front_page,
    home_page,
    sample_posts,
    write,
)
from tests.utils import ROOT, SAMPLE, doc_block, etl, lake_rows, other_day, rows, table_counts


def digests(wh: Path) -> dict[str, str]:
    """Every file of the warehouse that readers read, by content."""
    files = [*(wh / "data").rglob("*"), wh / "published.duckdb", wh / "snapshot.json", wh / "lake.sqlite"]
    return {str(p.relative_to(wh)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def manifest_files(wh: Path) -> list[str]:
    tables = json.loads((wh / "snapshot.json").read_text(encoding="utf-8"))["tables"]
    return [f for t in tables.values() for f in (*t["files"], *t["deletes"].values())]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, str]:
    """A warehouse built in place by two runs (the BI file names its own files), and the first
    run's id, for --as-of. Tests here only read it, or must leave it as it was."""
    root = tmp_path_factory.mktemp("read-path")
    wh = root / "wh"
    for dump in (SAMPLE, other_day(root / "dumps")):
        result = etl("run", dump, "-w", wh)
        assert result.returncode == 0, result.stdout + result.stderr
    first = rows(wh, "select min(run_id) from runs")[0][0]
    return wh, first


def posts_file(wh: Path) -> str:
    return json.loads((wh / "snapshot.json").read_text(encoding="utf-8"))["tables"]["posts"]["files"][0]


# Statements that are not reads, each with what it would do unchecked ({file}: a data file of posts).
NOT_READS = {
    "COPY": "copy (select * from posts limit 0) to '{file}' (format parquet)",
    "COPY after a SELECT": "select 1; copy (select * from posts limit 0) to '{file}' (format parquet)",
    "EXPLAIN ANALYZE": "explain analyze copy (select * from posts limit 0) to '{file}' (format parquet)",
    "EXPORT": "export database '{tmp}/export'",
    "ATTACH": "attach '{tmp}/other.duckdb' as other",
    "LOAD": "load '{tmp}/x.duckdb_extension'",
    "INSTALL": "install httpfs",
    "SET": "set enable_external_access = true",
    "RESET": "reset lock_configuration",
    "SET VARIABLE": "set variable x = 1",
    "PRAGMA": "pragma enable_profiling",
    "CREATE": "create table scratch as select * from posts",
    "CALL": "call checkpoint()",
    "USE": "use memory",
    "DETACH": "detach published",
}


@pytest.mark.parametrize("as_of", [False, True], ids=["published", "as-of"])
@pytest.mark.parametrize("name", NOT_READS)
def test_sql_refuses_every_statement_that_is_not_a_read(warehouse, tmp_path, name, as_of):
    """issue 21 item 1: `etl sql "copy … to '<a data file>'"` emptied posts for good."""
    wh, first = warehouse
    before = digests(wh)
    query = NOT_READS[name].format(file=posts_file(wh), tmp=tmp_path)
    result = etl("sql", query, "-w", wh, *(["--as-of", first] if as_of else []))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("error: read-only: only queries run here") and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert digests(wh) == before
    assert list(tmp_path.iterdir()) == []
    assert table_counts(wh)["posts"] == 12


def test_a_query_cannot_run_the_lake_maintenance(warehouse, tmp_path):
    """DuckLake's maintenance functions are table functions, which a SELECT may call: with the
    lake attached (even read-only) `ducklake_cleanup_old_files` deleted the files that only
    expired snapshots used before failing. The read path detaches the lake."""
    wh, _ = warehouse
    wh = copy_warehouse(wh, tmp_path / "wh")
    with duckdb.connect() as con:  # files only expired snapshots use: what cleanup deletes
        lake.attach(con, wh)
        con.execute("set preserve_insertion_order = false")
        (first,), = con.execute("select max(snapshot_id) from lake.snapshots()").fetchall()
        for k in range(5):
            con.execute("insert into lake.document_warnings values ('d', ?, 'code', 'message', 'r')", [k])
        (last,), = con.execute("select max(snapshot_id) from lake.snapshots()").fetchall()
        con.execute("call ducklake_merge_adjacent_files('lake', 'document_warnings')")
        con.execute(f"call ducklake_expire_snapshots('lake', versions => {list(range(first + 1, last + 1))})")
    before = digests(wh)
    latest = rows(wh, "select max(run_id) from runs")[0][0]
    for when in ([], ["--as-of", latest]):  # the copy's BI file names the old place: both read the lake
        for function in ("ducklake_cleanup_old_files", "ducklake_delete_orphaned_files"):
            result = etl("sql", f"select * from {function}('lake', cleanup_all => true)", "-w", wh, *when)
            assert result.returncode == 1 and 'Failed to find attached database "lake"' in result.stderr, \
                result.stdout + result.stderr
    assert digests(wh) == before


@pytest.mark.parametrize("as_of", [False, True], ids=["published", "as-of"])
def test_sql_reads_the_data_files_and_no_other_file(warehouse, as_of):
    wh, first = warehouse
    when = ["--as-of", first] if as_of else []
    data = posts_file(wh)
    ok = etl("sql", f"select count(*) as n from read_parquet('{data}')", "-w", wh, "-f", "csv", *when)
    assert ok.stdout.split() == ["n", "12"], ok.stderr
    for query in ("select * from read_text('/etc/passwd')",
                  "select * from glob('/root/*')",
                  f"select * from read_text('{wh}/lake.sqlite')",  # the catalog: only etl reads it
                  f"select * from read_text('{wh}/data/../snapshot.json')",
                  f"select * from read_csv('{ROOT}/pyproject.toml')"):
        result = etl("sql", query, "-w", wh, *when)
        assert result.returncode == 1, query + result.stdout
        assert result.stderr.startswith("error: Permission Error: Cannot access file"), result.stderr
        assert result.stderr.count("\n") == 1


def test_reads_still_run_every_kind_of_query(warehouse):
    wh, _ = warehouse
    for query, first_line in (("describe bi_posts", "column_name"), ("show tables", "name"),
                              ("summarize posts", "column_name"), ("from posts select count(*) as n", "n"),
                              ("with t as (select 1 as n) select * from t", "n"), ("values (1)", "col0"),
                              ("pragma table_info('posts')", "cid"), ("select 1 as n; select 2 as n", "n")):
        result = etl("sql", query, "-w", wh, "-f", "csv")
        assert result.returncode == 0, query + result.stderr
        assert result.stdout.splitlines()[0].split(",")[0] == first_line, query


def test_reports_status_and_dashboard_run_through_the_same_read_path(warehouse, tmp_path):
    wh, _ = warehouse
    before = digests(wh)
    assert etl("status", "-w", wh).returncode == 0
    assert etl("report", "top_categories", "-w", wh).returncode == 0
    assert etl("dashboard", "-w", wh, "--output", tmp_path / "d.html").returncode == 0
    assert etl("validation-report", "-w", wh, "--output", tmp_path / "v.html").returncode == 0
    assert digests(wh) == before


def test_as_of_reads_each_snapshot_exactly_as_the_lake_holds_it(tmp_path):
    """--as-of reads views over one snapshot's files (the lake detached): every table equals the
    DuckLake's own reading of that snapshot, delete files applied (an excerpt, then its post)."""
    wh = tmp_path / "wh"
    write(tmp_path / "first" / "front.txt", front_page(date(2020, 1, 8)))  # 10 posts
    write(tmp_path / "first" / "home.txt", home_page(sample_posts()[:2]))  # and 2 excerpts
    for dump in (tmp_path / "first", SAMPLE):
        assert etl("run", dump, "-w", wh).returncode == 0
    from etl.storage.readers import open_reader

    deletes = json.loads((wh / "snapshot.json").read_text())["tables"]["posts"]["deletes"]
    assert deletes, "the full posts replace their excerpts: posts has a delete file"
    snapshots = rows(wh, "select run_id from runs order by run_id")
    for (run_id,) in snapshots:
        with duckdb.connect() as con:
            lake.attach(con, wh, read_only=True)
            snapshot_id = find(con, run_id).snapshot_id
        with open_reader(wh, as_of=run_id) as reader:
            assert reader.execute("select snapshot_id, run_id from etl_snapshot").fetchall() == [(snapshot_id, run_id)]
            for t in table_names():
                got = sorted(reader.execute(f'select * from "{t}"').fetchall(), key=repr)
                assert got == lake_rows(wh, t, snapshot_id), (run_id, t)


# --- the files readers read are read-only ---------------------------------------------


def test_published_and_data_files_are_written_read_only(warehouse):
    wh, _ = warehouse
    named = [*manifest_files(wh), wh / "published.duckdb", wh / "snapshot.json"]
    for path in named:
        assert not os.stat(path).st_mode & 0o222, f"{path} is writable"
    assert os.stat(wh / "lake.sqlite").st_mode & stat.S_IWUSR  # the catalog stays the writer's
    if not can_drop_root_read_powers():
        pytest.skip("cannot make a process subject to file permissions here")
    # Their owner, subject to permissions, cannot open one to write.
    probe = "import sys\nfor p in sys.argv[1:]:\n    try:\n        open(p, 'r+b')\n    except PermissionError:\n" \
            "        continue\n    print('opened', p)\n"
    done = subprocess.run([sys.executable, "-c", probe, *map(str, named)], capture_output=True, text=True,
                          preexec_fn=_drop_root_read_powers if os.geteuid() == 0 else None)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def _subject_to_permissions(script: str, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, preexec_fn=_drop_root_read_powers if os.geteuid() == 0 else None)


SMALL_COMMITS = """
import sys
from pathlib import Path
from etl.core import duck
from etl.storage import lake
with duck.connect() as con:
    lake.attach(con, Path(sys.argv[1]))
    for k in range(20):
        con.execute("insert into lake.document_warnings values ('d', ?, 'code', 'message', 'r')", [k])
"""
CLEANUP = """
import sys
from pathlib import Path
from etl.core import duck
from etl.storage import lake
with duck.connect() as con:
    lake.attach(con, Path(sys.argv[1]))
    print(len(con.execute("call ducklake_cleanup_old_files('lake', cleanup_all => true)").fetchall()))
"""


def test_the_writer_compacts_cleans_up_and_publishes_over_read_only_files(warehouse, tmp_path):
    """Compaction, cleanup and the publish's renames work on sealed files, in a process that
    file permissions apply to (the files' owner without root's powers)."""
    if not can_drop_root_read_powers():
        pytest.skip("cannot make a process subject to file permissions here")
    wh = copy_warehouse(warehouse[0], tmp_path / "wh")
    assert etl("run", SAMPLE, "-w", wh).returncode == 0  # publishes for this folder
    assert _subject_to_permissions(SMALL_COMMITS, wh).returncode == 0
    folder = wh / "data" / "main" / "document_warnings"
    sealed = sorted(folder.iterdir())
    for f in sealed:
        f.chmod(0o444)
    dump = write(tmp_path / "third.txt", SAMPLE.read_text().replace("January 8, 2020", "January 11, 2020"))
    result = etl_subject_to_permissions("run", dump, "-w", wh)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "maintained compacted=document_warnings" in result.stderr
    assert rows(wh, "select count(*) from document_warnings where document_id = 'd'") == [(20,)]
    old = [f for f in folder.iterdir() if str(f) not in manifest_files(wh)]
    assert len(sealed) > 20 and set(sealed) <= set(old)  # every sealed file compacted away
    cleaned = _subject_to_permissions(CLEANUP, wh)
    assert cleaned.stdout.split() == [str(len(old))], cleaned.stdout + cleaned.stderr
    assert not any(f.exists() for f in old)
    assert not os.stat(wh / "published.duckdb").st_mode & 0o222  # replaced over the sealed one
    assert etl("sql", "select count(*) from bi_posts", "-w", wh).returncode == 0


def test_a_warehouse_written_writable_by_the_earlier_release_keeps_working(warehouse, tmp_path):
    if not can_drop_root_read_powers():
        pytest.skip("cannot make a process subject to file permissions here")
    wh = copy_warehouse(warehouse[0], tmp_path / "wh")
    for path in [*wh.rglob("*")]:
        if path.is_file():
            path.chmod(0o644)  # as the release before this one left them
    assert etl_subject_to_permissions("sql", "select count(*) from posts", "-w", wh).returncode == 0
    dump = write(tmp_path / "third.txt", SAMPLE.read_text().replace("January 8, 2020", "January 11, 2020"))
    result = etl_subject_to_permissions("run", dump, "-w", wh)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in [*manifest_files(wh), wh / "published.duckdb", wh / "snapshot.json"]:
        assert not os.stat(path).st_mode & 0o222, path


# --- one snapshot for readers -------------------------------------------------------------


def test_a_new_reader_in_the_same_process_sees_the_newest_run(warehouse, tmp_path):
    """DuckDB hands a second `duckdb.connect(path)` the instance the first one opened, on the
    old snapshot (docs/bi.md says so, and this checks it); the project's readers do not."""
    from etl.storage.readers import open_reader

    wh = copy_warehouse(warehouse[0], tmp_path / "wh")
    assert etl("run", SAMPLE, "-w", wh).returncode == 0  # publishes for this folder
    snapshot = "select snapshot_id from etl_snapshot"
    with open_reader(wh) as first, duckdb.connect(str(wh / "published.duckdb"), read_only=True) as plain:
        old = first.execute(snapshot).fetchone()
        assert plain.execute(snapshot).fetchone() == old
        dump = write(tmp_path / "third.txt", SAMPLE.read_text().replace("January 8, 2020", "January 11, 2020"))
        assert etl("run", dump, "-w", wh).returncode == 0
        with open_reader(wh) as second:
            new = second.execute(snapshot).fetchone()
            assert new > old
            assert second.execute("select count(*) from documents").fetchone() == (3,)
        assert first.execute(snapshot).fetchone() == old  # an open reader keeps its snapshot
        # DuckDB's instance cache, as documented: a plain connect while another is open: the old one.
        with duckdb.connect(str(wh / "published.duckdb"), read_only=True) as cached:
            assert cached.execute(snapshot).fetchone() == old
    # Once every connection to the file is closed, a plain connect opens the new file.
    with duckdb.connect(str(wh / "published.duckdb"), read_only=True) as fresh:
        assert fresh.execute(snapshot).fetchone() == new


def test_read_snapshot_reads_every_table_of_one_snapshot_while_runs_publish(warehouse, tmp_path):
    """issue 21 item 7: read_table() read snapshot.json again for each table."""
    from etl.storage.publish import read_snapshot, read_table

    wh = copy_warehouse(warehouse[0], tmp_path / "wh")
    assert etl("run", SAMPLE, "-w", wh).returncode == 0
    snap = read_snapshot(wh)
    dump = write(tmp_path / "third.txt", SAMPLE.read_text().replace("January 8, 2020", "January 11, 2020"))
    assert etl("run", dump, "-w", wh).returncode == 0
    assert read_snapshot(wh).snapshot_id > snap.snapshot_id
    assert read_table(wh, "documents").num_rows == 3  # the newest run, read again
    # Every table from `snap` is of its snapshot, read after a newer one was published.
    documents, comments, runs = snap.table("documents"), snap.table("comments"), snap.table("runs")
    assert (documents.num_rows, comments.num_rows, runs.num_rows) == (2, 24, 3)
    assert snap.run_id == max(runs.column("run_id").to_pylist())
    assert set(comments.column("document_id").to_pylist()) <= set(documents.column("document_id").to_pylist())
    with pytest.raises(KeyError, match="no table 'nope'"):
        snap.table("nope")


def test_the_pandas_recipe_of_the_docs(warehouse):
    """docs/bi.md's pandas lines, run as written (the warehouse's path put in)."""
    code = doc_block(ROOT / "docs" / "bi.md", "python", "read_snapshot(")
    scope: dict = {}
    exec(code.replace("/srv/aletho/warehouse", str(warehouse[0])), scope)
    assert scope["snap"].run_id == rows(warehouse[0], "select max(run_id) from runs")[0][0]
    assert scope["per_source"].to_dict() == dict(rows(warehouse[0], """
        select s.name, count(*) from posts p join sources s using (source_id) group by s.name"""))


# --- clear errors ---------------------------------------------------------------------------


def test_an_empty_as_of_is_a_usage_error(warehouse):
    wh, _ = warehouse
    for value in ("", " "):
        result = etl("sql", "select count(*) from documents", "-w", wh, "--as-of", value)
        assert result.returncode == 2 and result.stdout == "", result.stdout
        assert result.stderr == "error: --as-of needs a run id (`etl report run_history` lists them)\n"


def damage(wh: Path) -> Path:
    """Make `wh` (published in place) a warehouse whose published.duckdb is not a DuckDB file
    (a bad copy, a disk that filled up under another tool)."""
    published = wh / "published.duckdb"
    published.chmod(0o644)
    published.write_bytes(b"\0" * 4096)
    return wh


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> Path:
    wh = tmp_path_factory.mktemp("damaged") / "wh"
    assert etl("run", SAMPLE, "-w", wh).returncode == 0
    return damage(wh)


@pytest.mark.parametrize("command", [["status"], ["sql", "select 1"], ["report", "top_categories"],
                                     ["dashboard"], ["validation-report"]])
def test_a_damaged_bi_file_is_one_line_and_exit_1(damaged, command):
    result = etl(*command, "-w", damaged)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"cannot read {damaged}/published.duckdb: IO Error:" in result.stderr
    assert f"`etl run -w {damaged}` publishes it again" in result.stderr


def test_a_damaged_bi_file_is_replaced_by_the_next_run(tmp_path):
    wh = tmp_path / "wh"
    assert etl("run", SAMPLE, "-w", wh).returncode == 0
    damage(wh)
    assert etl("run", SAMPLE, "-w", wh).returncode == 0
    assert etl("status", "-w", wh).returncode == 0


def _read_only_mount_works() -> bool:
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", "mount --bind -o ro / /mnt && ! touch /mnt/.probe"],
                           capture_output=True)
    return probe.returncode == 0


def on_read_only_mount(wh: Path, *args: str | Path) -> subprocess.CompletedProcess:
    """`etl ARGS` in a mount namespace of its own where `wh` is mounted read-only over itself."""
    command = " ".join(f"'{a}'" for a in (sys.executable, "-m", "etl.cli", *args))
    return subprocess.run(["unshare", "--mount", "sh", "-c", f"mount --bind -o ro '{wh}' '{wh}' && exec {command}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "CI": "true"})


@pytest.fixture
def read_only_mount():
    if not shutil.which("unshare") or not _read_only_mount_works():
        if os.environ.get("CI"):
            pytest.fail("CI must be able to make a read-only mount (unshare --mount, mount --bind -o ro)")
        pytest.skip("no read-only mount here (unshare --mount and mount --bind -o ro need root)")
    return on_read_only_mount


def test_on_a_read_only_mount_readers_read_and_writers_say_why_they_cannot(warehouse, tmp_path, read_only_mount):
    wh, first = warehouse
    for command in (["status"], ["sql", "select count(*) from posts"], ["report", "top_categories"],
                    ["dashboard", "--output", tmp_path / "d.html"]):
        result = read_only_mount(wh, *command, "-w", wh)
        assert result.returncode == 0, result.stdout + result.stderr
    for command, code, message in (
            (["dashboard"], 1, f"error: cannot write {wh}/dashboard.html: Read-only file system; give --output"),
            (["validation-report"], 1, "error: validation report failed: [Errno 30] Read-only file system"),
            (["rollback", first], 5, f"error: rollback to {first} failed: OSError: [Errno 30] Read-only file system")):
        result = read_only_mount(wh, *command, "-w", wh)
        assert result.returncode == code, result.stdout + result.stderr
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("target", ["published.duckdb", "snapshot.json", "lake.sqlite", "data/new.csv", "posts file",
                                    "logs/run.json", ".lock"])
def test_output_never_overwrites_the_warehouse_own_files(warehouse, tmp_path, target):
    """issue 21 item 10: `--output` could overwrite the warehouse's own files."""
    wh, first = warehouse
    path = {"posts file": Path(posts_file(wh)), "logs/run.json": wh / "logs" / f"{first}.json"}.get(target, wh / target)
    link = tmp_path / "link.html"
    link.symlink_to(path)
    before = digests(wh), sorted(p.name for p in wh.rglob("*"))
    for command in (["report", "top_categories", "-w", wh], ["dashboard", "-w", wh], ["validation-report", "-w", wh],
                    ["schema"]):
        for output in (path, link):
            result = etl(*command, "--output", output)
            assert result.returncode == 2, (command, result.stdout + result.stderr)
            assert result.stderr.startswith(f"error: --output {output} is ") and "which only `etl` writes" in \
                result.stderr
    assert (digests(wh), sorted(p.name for p in wh.rglob("*"))) == before
    # Outputs of its own beside them are fine: the dashboard's default place, a report's file.
    assert etl("report", "top_categories", "-w", wh, "--output", tmp_path / "top.csv").returncode == 0

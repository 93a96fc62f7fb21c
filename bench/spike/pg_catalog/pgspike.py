"""Spike for issue 23: the DuckLake catalog in PostgreSQL (DuckDB 1.5.5, offline extensions).

Reproduce (from the worktree root, after `make run`; PostgreSQL 15 binaries in /usr/lib/postgresql/15/bin):
    .venv/bin/pip install duckdb-extension-postgres-scanner==1.5.5 'psycopg[binary]==3.3.9'
    .venv/bin/python bench/spike/pg_catalog/pgspike.py all            # q1..q7 (about 20 min on the busy 2-core VM)
    .venv/bin/python bench/spike/pg_catalog/pgspike.py q8 --size-mb 100   # costs (about 6 min)
    .venv/bin/python bench/spike/pg_catalog/pgspike.py q3 q4          # some questions only

Each question starts its own PostgreSQL (initdb + pg_ctl in a temporary folder, listening on
127.0.0.1 only, a free port; as `nobody` through setpriv when run as root, since postgres refuses
root) and writes what it observed to results/<question>.json; RESULTS.md quotes them.
Nothing in etl/ is changed: where the real pipeline runs on a PostgreSQL catalog, this script
replaces `etl.storage.lake.attach`/`exists` in its own process (see `pg_lake`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
RESULTS = HERE / "results"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "spike-pw-0xC0FFEE"  # the test server's password: grep the outputs for it
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
CHILDREN: dict = {}  # roles a child process of this script can play (`child`)


# ----------------------------------------------------------------------------- PostgreSQL

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A throwaway PostgreSQL 15 cluster: initdb + pg_ctl in `folder`, TCP on 127.0.0.1 only,
    scram-sha-256 password for TCP, trust on its own Unix socket (in `folder`)."""

    def __init__(self, folder: Path, log_statements: bool = False) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = free_port()
        self.log = folder / "postgres.log"
        self.log_statements = log_statements
        # postgres refuses to run as root: then run it as `nobody` (exists in every Debian image,
        # no user to create), through setpriv (util-linux). runuser -u postgres works too where
        # the Debian package created that user.
        self.as_user = (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
                        if os.geteuid() == 0 else [])

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *args], capture_output=True, text=True, check=check,
                              env={**os.environ, "HOME": str(self.folder), "LC_ALL": "C.UTF-8"})

    def init(self) -> PgServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_user:
            shutil.chown(self.folder, "nobody", "nogroup")
            shutil.chown(pwfile, "nobody", "nogroup")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "etl", f"--pwfile={pwfile}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()
        return self

    def start(self) -> None:
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.folder} "
                "-c fsync=on -c max_connections=50")
        if self.log_statements:
            opts += " -c log_statement=all"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-o", opts, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def psql(self, sql: str, db: str = "postgres", user: str = "etl") -> str:
        """Run `sql` over the Unix socket (trust), return psql -At output."""
        out = self._run(str(PG_BIN / "psql"), "-h", str(self.folder), "-p", str(self.port), "-U", user,
                        "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql)
        return out.stdout.strip()

    def createdb(self, name: str) -> str:
        self.psql(f"create database {name}")
        return name

    def libpq(self, db: str, user: str = "etl", password: bool = False, **extra: str) -> str:
        """A libpq keyword/value string (without the password unless asked)."""
        parts = {"dbname": db, "host": "127.0.0.1", "port": str(self.port), "user": user, **extra}
        if password:
            parts["password"] = PASSWORD
        return " ".join(f"{k}={v}" for k, v in parts.items())

    def wal_lsn(self) -> int:
        """Bytes of WAL written so far (pg_current_wal_lsn as a number)."""
        return int(self.psql("select pg_current_wal_lsn() - '0/0'::pg_lsn"))

    def db_size(self, db: str) -> int:
        return int(self.psql(f"select pg_database_size('{db}')"))


@contextlib.contextmanager
def postgres(log_statements: bool = False) -> Iterator[PgServer]:
    folder = Path(tempfile.mkdtemp(prefix="pgspike-"))
    server = PgServer(folder, log_statements).init()
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


# ----------------------------------------------------------------------------- DuckDB

def extension_files() -> dict[str, Path]:
    """The ducklake, postgres_scanner and sqlite extension files of their pip packages (sqlite
    as a copy named sqlite_scanner.duckdb_extension: DuckDB derives the entry point from the
    file name; the postgres package already names its file postgres_scanner)."""
    import duckdb_extension_ducklake
    import duckdb_extension_postgres_scanner
    import duckdb_extension_sqlite

    def find(module, name: str) -> Path:
        return sorted(Path(module.__file__).parent.glob(f"extensions/*/{name}.duckdb_extension"))[-1]

    sqlite = find(duckdb_extension_sqlite, "sqlite")
    scanner = Path(tempfile.gettempdir()) / "pgspike-ext" / "sqlite_scanner.duckdb_extension"
    if not scanner.exists():
        scanner.parent.mkdir(exist_ok=True)
        shutil.copyfile(sqlite, scanner)
    return {"ducklake": find(duckdb_extension_ducklake, "ducklake"),
            "postgres": find(duckdb_extension_postgres_scanner, "postgres_scanner"), "sqlite": scanner}


def duck():
    """An in-memory DuckDB with ducklake, postgres and sqlite loaded from files (offline)."""
    import duckdb

    con = duckdb.connect(config=DUCKDB_CONFIG)
    for path in extension_files().values():
        con.execute(f"load '{path}'")
    return con


def attach(con, catalog: str, data: Path, alias: str = "lake", *, read_only: bool = False,
           snapshot: int | None = None, extra: tuple[str, ...] = ()) -> None:
    """ATTACH 'ducklake:<catalog>' with the project's options (etl/storage/lake.py `attach`);
    `catalog` is `sqlite:/path` or `postgres:<libpq string>`."""
    options = [f"data_path '{data}/'", "override_data_path true", "data_inlining_row_limit 0", *extra]
    if read_only:
        options.append("read_only")
    if snapshot is not None:
        options.append(f"snapshot_version {snapshot}")
    con.execute(f"attach 'ducklake:{catalog}' as {alias} ({', '.join(options)})")


def rows(con, sql: str, params=None) -> list:
    return [list(r) for r in con.execute(sql, params).fetchall()]


def attempt(fn, *args, **kwargs) -> dict:
    """Run fn, return {"ok": result} or {"error": first line of the error, "type": class}."""
    try:
        return {"ok": fn(*args, **kwargs)}
    except Exception as e:  # the spike records every failure as evidence
        return {"error": str(e).strip(), "type": type(e).__name__}


def save(name: str, result: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    result = {"question": name, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "loadavg": os.getloadavg(), **result}
    text = json.dumps(result, indent=1, default=str)
    assert PASSWORD not in text, f"{name}: the password leaked into the results"
    (RESULTS / f"{name}.json").write_text(text + "\n")
    print(f"== {name}: results/{name}.json")


def child(role: str, *args: str, env: dict | None = None, **popen) -> subprocess.Popen:
    """This script again, in a child process, playing `role`."""
    return subprocess.Popen([sys.executable, __file__, "child", role, *args], cwd=ROOT,
                            env={**os.environ, **(env or {})}, **popen)


def wait_for(path: Path, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > end:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.05)


def catalogs(server: PgServer, folder: Path, name: str) -> dict[str, str]:
    """The same lake on both catalogs: a SQLite file, and a PostgreSQL database (password
    from PGPASSWORD, never in the string)."""
    os.environ["PGPASSWORD"] = PASSWORD
    server.createdb(name)
    return {"sqlite": f"sqlite:{folder / name}.sqlite", "postgres": "postgres:" + server.libpq(name)}


def pg_lake(meta: str) -> None:
    """In this process: make etl's storage attach the DuckLake at `meta` (`postgres:<libpq>`)
    instead of <warehouse>/lake.sqlite, with the same options (etl/storage/lake.py `attach`);
    the data path is <warehouse>/data, or $PGSPIKE_DATA_PATH (shared by several warehouse
    folders standing for several hosts)."""
    import psycopg

    from etl.core.schemas import literal
    from etl.storage import lake

    def attach_pg(con, root: Path, *, read_only: bool = False, snapshot_id: int | None = None,
                  alias: str = lake.ALIAS) -> None:
        for path in extension_files().values():
            con.execute(f"load '{path}'")
        data = Path(os.environ.get("PGSPIKE_DATA_PATH", root.resolve() / lake.DATA_NAME))
        options = [f"data_path '{literal(data)}/'", "override_data_path true",
                   "data_inlining_row_limit 0"]
        if read_only:
            options.append("read_only")
        else:
            con.execute("set preserve_insertion_order = false")
        if snapshot_id is not None:
            options.append(f"snapshot_version {int(snapshot_id)}")
        con.execute(f"attach 'ducklake:{literal(meta)}' as {alias} ({', '.join(options)})")

    def exists_pg(root: Path) -> bool:
        with psycopg.connect(meta.removeprefix("postgres:")) as pg:
            return pg.execute("select to_regclass('ducklake_snapshot') is not null").fetchone()[0]

    lake.attach = attach_pg
    lake.exists = exists_pg
    pause = float(os.environ.get("PGSPIKE_PAUSE_AFTER_MERGE", "0"))
    if pause:  # hold the run's open transaction after its merge (two writers' transactions then overlap)
        from etl.run import load

        merge = load.merge

        def merge_then_wait(con):
            done = merge(con)
            print(f"pgspike: merged, waiting {pause} s before the commit", file=sys.stderr, flush=True)
            time.sleep(pause)
            return done

        load.merge = merge_then_wait
    pause_extract = float(os.environ.get("PGSPIKE_PAUSE_IN_EXTRACT", "0"))
    if pause_extract:  # the lake is attached and read (open, Known.read), no transaction is open
        from etl.run import pipeline

        extract = pipeline.extract

        def wait_then_extract(*args):
            print(f"pgspike: extracting, waiting {pause_extract} s", file=sys.stderr, flush=True)
            time.sleep(pause_extract)
            return extract(*args)

        pipeline.extract = wait_then_extract


def run_etl(meta: str | None, *args: str, env: dict | None = None, timeout: float = 3600) -> dict:
    """`etl ARGS` in a child process, on the SQLite catalog (meta None: etl as it is) or on
    the PostgreSQL catalog `meta`. Returns exit code, seconds, output tail, child write_bytes."""
    started = time.perf_counter()
    cmd = ([str(ROOT / ".venv/bin/etl"), *args] if meta is None
           else [sys.executable, __file__, "child", "etl", meta, *args])
    p = subprocess.Popen(["/usr/bin/time", "-f", "%e %M", *cmd], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    out, err = p.communicate(timeout=timeout)
    *err_lines, timing = err.strip().splitlines() or ["? ?"]
    return {"exit": p.returncode, "seconds": round(time.perf_counter() - started, 2),
            "max_rss_kb": timing.split()[-1], "stdout": out.strip().splitlines()[-6:],
            "stderr": err_lines[-6:]}


# ----------------------------------------------------------------------------- q1: every call

def q1_calls(con, meta: str, data: Path) -> dict[str, dict]:
    """Every DuckLake call etl/storage/*.py and etl/run/pipeline.py make, in the order a warehouse
    meets them, on the lake attached as `lake` to `con`. Returns what each returned."""
    out: dict[str, dict] = {}

    def step(name: str, sql: str, params=None) -> list:
        out[name] = attempt(rows, con, sql, params)
        return out[name].get("ok", [])

    step("set preserve_insertion_order", "set preserve_insertion_order = false")
    for k, v in {"parquet_row_group_size": "16384", "parquet_row_group_size_bytes": "8MB",
                 "parquet_compression": "zstd"}.items():
        step(f"set_option {k}", "call lake.set_option(?, ?)", [k, v])
    step("options()", "select option_name, value from lake.options() where option_name like 'parquet%' order by 1")
    step("create table", "create table lake.t (id varchar not null, body varchar, n integer)")
    step("alter table add column", "alter table lake.t add column extra varchar")
    step("duckdb_columns of the lake (evolve)",
         "select c.table_name, c.column_name, c.data_type, c.is_nullable from duckdb_columns() as c "
         "semi join (select table_oid from duckdb_tables() where not temporary) as t on c.table_oid = t.table_oid "
         "where c.database_name = 'lake' order by c.table_name, c.column_index")
    step("use lake", "use lake")
    con.begin()
    step("insert run-1", "insert into t select 'id' || i, repeat('x', 200), i, null from range(1000) r(i)")
    step("set_commit_message run-1", "call lake.set_commit_message('etl', 'run-1')")
    con.commit()
    con.begin()
    step("delete run-2", "delete from t where n < 100")
    step("update run-2", "update t set body = 'updated' where n between 100 and 199")
    step("insert by name run-2", "insert into t by name select 'new' || i as id, i as n from range(50) r(i)")
    step("set_commit_message run-2", "call lake.set_commit_message('etl', 'run-2')")
    con.commit()
    runs = step("snapshots() tagged by etl", "select snapshot_id, author, commit_message from lake.snapshots() "
                "where author = 'etl' and commit_message is not null order by snapshot_id")
    step("max(snapshot_id)", "select max(snapshot_id) from lake.snapshots()")
    s1 = runs[0][0] if runs else 0
    step("AT (VERSION => run-1)",
         f"select count(*), count(*) filter (where body = 'updated') from t at (version => {s1})")
    out["attach snapshot_version run-1"] = attempt(attach, con, meta, data, "as_of", read_only=True, snapshot=s1)
    step("count in the snapshot_version attach", "select count(*) from as_of.t")
    step("detach", "detach as_of")
    step("list_files (current)", "select count(*), count(delete_file) from ducklake_list_files('lake', 't')")
    step("list_files (snapshot_version run-1)",
         f"select count(*), count(delete_file) from ducklake_list_files('lake', 't', snapshot_version => {s1})")
    con.begin()  # etl/storage/history.py rollback
    step("rollback: temp table AT VERSION", f"create temp table restore as select * from t at (version => {s1})")
    step("rollback: delete all", "delete from t")
    step("rollback: insert by name", "insert into t by name select * from restore")
    step("rollback: drop temp", "drop table restore")
    step("set_commit_message rollback-1", "call lake.set_commit_message('etl', 'rollback-1')")
    con.commit()
    step("count after rollback", "select count(*), count(*) filter (where n < 100) from t")
    for i in range(20):  # small commits, as nightly runs make
        con.execute(f"insert into t select 'small{i}-' || j, 'y', j, null from range(10) r(j)")
    step("files before merge", "select count(*) from ducklake_list_files('lake', 't')")
    step("merge_adjacent_files", "call ducklake_merge_adjacent_files('lake', 't', max_file_size => 8000000)")
    step("files after merge", "select count(*), count(delete_file) from ducklake_list_files('lake', 't')")
    con.execute("delete from t where n % 3 = 0 and id like 'id%'")
    step("rewrite_data_files", "call ducklake_rewrite_data_files('lake', 't', delete_threshold => 0.5)")
    step("files after rewrite", "select count(*), count(delete_file) from ducklake_list_files('lake', 't')")
    step("expire_snapshots", "call ducklake_expire_snapshots('lake', older_than => now() - interval '0 seconds')")
    step("cleanup_old_files", "call ducklake_cleanup_old_files('lake', older_than => now() - interval '0 seconds')")
    orphan = data / "main" / "t" / "orphan-left-by-a-killed-run.parquet"
    con.execute(f"copy (select 1 as a) to '{orphan}' (format parquet)")
    step("delete_orphaned_files", "call ducklake_delete_orphaned_files('lake', cleanup_all => true)")
    out["orphan gone"] = {"ok": not orphan.exists()}
    step("snapshots left", "select count(*) from lake.snapshots()")
    step("drop table if exists (full refresh)", "drop table if exists t")
    step("create again", "create table t (id varchar not null, body varchar, n integer)")
    con.execute("use memory")
    out["files on disk"] = {"ok": sum(1 for _ in data.rglob("*.parquet"))}
    return out


def comparable(value) -> str:
    """A step's result with what must differ between two lakes taken out: their folders, the
    files' random names, the snapshot times ducklake_expire_snapshots returns, and the order
    of the rows of a call that lists files."""
    def clean(text: str) -> str:
        text = text.replace("data-sqlite", "data-X").replace("data-postgres", "data-X")
        text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
        return re.sub(r'"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d]*\+00:00"', '"<time>"', text)

    if isinstance(value, dict) and isinstance(value.get("ok"), list):
        return json.dumps(sorted(clean(json.dumps(row, default=str)) for row in value["ok"]))
    return clean(json.dumps(value, default=str))


def q1() -> None:
    result: dict = {}
    with postgres() as server, tempfile.TemporaryDirectory() as tmp:
        metas = catalogs(server, Path(tmp), "calls")
        for kind, meta in metas.items():
            data = Path(tmp) / f"data-{kind}"
            con = duck()
            started = time.perf_counter()
            attach(con, meta, data)
            result[kind] = q1_calls(con, meta, data)
            result[kind]["seconds"] = round(time.perf_counter() - started, 2)
            con.close()
        result["differences"] = {k: {"sqlite": v, "postgres": result["postgres"].get(k)}
                                 for k, v in result["sqlite"].items()
                                 if k != "seconds" and comparable(v) != comparable(result["postgres"].get(k))}
        result["catalog tables in postgres"] = server.psql(
            "select string_agg(tablename, ' ' order by tablename) from pg_tables where schemaname='public'", db="calls")
        result["pipeline"] = q1_pipeline(server, Path(tmp))
    save("q1", result)


def q1_pipeline(server: PgServer, tmp: Path) -> dict:
    """The real etl commands, on both catalogs: run, run, sql --as-of, rollback, run."""
    first, second = small_corpus(tmp)
    out: dict = {}
    server.createdb("pipeline")
    for kind, meta in (("sqlite", None), ("postgres", "postgres:" + server.libpq("pipeline"))):
        wh = tmp / f"wh-{kind}"
        steps = out[kind] = {}
        steps["run 1"] = run_etl(meta, "run", "-w", str(wh), str(first), "--summary-json", str(tmp / "s1.json"))
        run1 = json.loads((tmp / "s1.json").read_text())["run_id"]
        steps["run 2"] = run_etl(meta, "run", "-w", str(wh), str(second))
        count = "select count(*) as posts, (select count(*) from runs) as runs from posts"
        steps["sql"] = run_etl(meta, "sql", "-w", str(wh), "-f", "csv", count)
        steps["sql --as-of run 1"] = run_etl(meta, "sql", "-w", str(wh), "-f", "csv", "--as-of", run1, count)
        steps["rollback to run 1"] = run_etl(meta, "rollback", "-w", str(wh), run1)
        steps["sql after rollback"] = run_etl(meta, "sql", "-w", str(wh), "-f", "csv", count)
        steps["run 3 (re-reads run 2's files)"] = run_etl(meta, "run", "-w", str(wh), str(second),
                                                          "--retention-days", "0")
        steps["sql after run 3"] = run_etl(meta, "sql", "-w", str(wh), "-f", "csv", count)
        steps["status"] = run_etl(meta, "status", "-w", str(wh))
        steps["warehouse folder"] = sorted(p.name for p in wh.iterdir())
    return out


# ----------------------------------------------------------------------------- q2: passwords

def try_attach(meta: str, setup: tuple[str, ...] = (), env: dict | None = None) -> dict:
    """Attach the DuckLake at `meta` in a fresh DuckDB with only `env` among the libpq password
    variables; the snapshots it sees, or the error text."""
    saved = dict(os.environ)
    for name in ("PGPASSWORD", "PGPASSFILE", "PGSERVICEFILE"):
        os.environ.pop(name, None)
    os.environ.update(env or {})
    try:
        con = duck()
        for statement in setup:
            con.execute(statement)
        attach(con, meta, Path(tempfile.gettempdir()) / "pgspike-q2-data")
        return {"ok": rows(con, "select count(*) from lake.snapshots()")[0][0]}
    except Exception as e:
        return {"error": str(e).strip(), "type": type(e).__name__}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def q2() -> None:
    import psycopg

    result: dict = {}
    with postgres() as server:
        server.createdb("pw")
        folder = server.folder
        base = "postgres:" + server.libpq("pw")
        pgpass = folder / "pgpass"
        pgpass.write_text(f"127.0.0.1:{server.port}:pw:etl:{PASSWORD}\n")
        pgpass.chmod(0o600)
        home = folder / "home"
        home.mkdir()
        shutil.copy(pgpass, home / ".pgpass")
        (home / ".pgpass").chmod(0o600)
        services = folder / "pg_service.conf"
        services.write_text(f"[aletho]\nhost=127.0.0.1\nport={server.port}\ndbname=pw\nuser=etl\n")
        wrong = "WRONG-PASSWORD-visible"
        cases = {
            "password in the string (creates the lake)": (base + f" password={PASSWORD}", (), {}),
            "no password anywhere": (base, (), {}),
            "PGPASSWORD": (base, (), {"PGPASSWORD": PASSWORD}),
            "PGPASSFILE": (base, (), {"PGPASSFILE": str(pgpass)}),
            "~/.pgpass (HOME)": (base, (), {"HOME": str(home)}),
            "PGSERVICEFILE + service=aletho, password in ~/.pgpass": (
                "postgres:service=aletho", (), {"PGSERVICEFILE": str(services), "HOME": str(folder / "home600")}),
            "CREATE SECRET (TYPE postgres, PASSWORD) unnamed, host etc. in the string": (
                base, (f"create secret (type postgres, password '{PASSWORD}')",), {}),
            "CREATE SECRET (TYPE postgres, all fields), string 'dbname=pw' only": (
                "postgres:dbname=pw", (f"create secret (type postgres, host '127.0.0.1', port {server.port}, "
                                       f"database 'pw', user 'etl', password '{PASSWORD}')",), {}),
            "named secret + META_SECRET option": (
                base, (f"create secret pgs (type postgres, password '{PASSWORD}')",), {}),
            "URI with the password": (f"postgres:postgresql://etl:{PASSWORD}@127.0.0.1:{server.port}/pw", (), {}),
            "wrong password in the string": (base + f" password={wrong}", (), {}),
            "wrong password in a URI": (f"postgres:postgresql://etl:{wrong}@127.0.0.1:{server.port}/pw", (), {}),
            "wrong PGPASSWORD": (base, (), {"PGPASSWORD": wrong}),
            "refused (nothing on the port), password in the string": (
                "postgres:" + server.libpq("pw", port=str(free_port())) + f" password={wrong}", (), {}),
            "no such database": ("postgres:" + server.libpq("nosuchdb"), (), {"PGPASSWORD": PASSWORD}),
            "no such host": ("postgres:" + server.libpq("pw", host="nohost.invalid"), (), {"PGPASSWORD": PASSWORD}),
            "no such user": ("postgres:" + server.libpq("pw", user="nobody"), (), {"PGPASSWORD": PASSWORD}),
        }
        (folder / "home600").mkdir()
        shutil.copy(pgpass, folder / "home600" / ".pgpass")
        (folder / "home600" / ".pgpass").chmod(0o600)
        for label, (meta, setup, env) in cases.items():
            if label == "named secret + META_SECRET option":
                con = duck()
                con.execute(setup[0])
                result[label] = attempt(lambda c=con, m=meta: (
                    attach(c, m, folder / "d", extra=("meta_secret 'pgs'",)),
                    rows(c, "select count(*) from lake.snapshots()")[0][0])[1])
                continue
            result[label] = try_attach(meta, setup, env)
            err = result[label].get("error", "")
            result[label]["password in the error"] = PASSWORD in err or wrong in err
        (home / ".pgpass").chmod(0o644)
        result["~/.pgpass with mode 0644 (libpq ignores it)"] = try_attach(base, (), {"HOME": str(home)})
        con = duck()
        con.execute(f"create secret (type postgres, password '{PASSWORD}')")
        result["duckdb_secrets() shows"] = rows(con, "select name, secret_string from duckdb_secrets()")
        con = duck()
        attach(con, base + f" password={PASSWORD}", folder / "d")
        result["duckdb_databases().path when the password is in the string"] = [
            [n, str(p).replace(PASSWORD, "<PASSWORD>")]
            for n, p in rows(con, "select database_name, path from duckdb_databases()")]
        for label, conninfo in (("psycopg: wrong password in the string", server.libpq("pw") + f" password={wrong}"),
                                ("psycopg: refused", server.libpq("pw", port=str(free_port())) + f" password={wrong}")):
            result[label] = attempt(lambda ci=conninfo: psycopg.connect(ci, connect_timeout=5).close())
            result[label]["password in the error"] = wrong in result[label].get("error", "")
        result["server log: password in it"] = PASSWORD in server.log.read_text() or wrong in server.log.read_text()
    text = json.dumps(result, default=str).replace(PASSWORD, "<PASSWORD>")
    save("q2", json.loads(text))


# ----------------------------------------------------------------------------- q3: one writer

LOCK_SQL = "select pg_try_advisory_lock(hashtextextended(%s, 0))"
ADVISORY = "select count(*) from pg_locks where locktype = 'advisory'"
HOLDER_SQL = """select a.application_name, a.usename, a.client_addr::text, a.backend_start::text, a.state
from pg_locks as l join pg_stat_activity as a on a.pid = l.pid
where l.locktype = 'advisory' and l.granted
  and ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(%s, 0)"""


def lock_holder(conninfo: str, key: str, name: str, folder: str, keep_alive: str) -> None:
    """Child: take the writer lock on its own psycopg connection (autocommit: the session is
    idle between statements, no transaction or snapshot is held), say so in ready.json, then
    wait for `check` to appear and report whether the connection still holds it."""
    import psycopg

    folder_ = Path(folder)
    pg = psycopg.connect(conninfo, autocommit=True, application_name=name)
    if keep_alive == "1":  # a DBA's idle_session_timeout would end the session, and the lock with it
        pg.execute("set idle_session_timeout = 0")
        pg.execute("set idle_in_transaction_session_timeout = 0")
    got = pg.execute(LOCK_SQL, [key]).fetchone()[0]
    (folder_ / "ready.json").write_text(json.dumps({"got": got, "backend_pid": pg.info.backend_pid}))
    wait_for(folder_ / "check", timeout=600)
    try:
        held = pg.execute("select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()")
        report = {"still_held": held.fetchone()[0] == 1}
    except Exception as e:
        report = {"error": str(e).strip(), "type": type(e).__name__}
    (folder_ / "checked.json").write_text(json.dumps(report))


CHILDREN["lock_holder"] = lock_holder


def try_lock(conninfo: str, key: str) -> dict:
    """What a second writer sees: the lock (taken, then let go) or who holds it."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True, application_name="contender") as pg:
        got = pg.execute(LOCK_SQL, [key]).fetchone()[0]
        return {"got": got, "holder": [list(r) for r in pg.execute(HOLDER_SQL, [key]).fetchall()]}


def start_holder(server: PgServer, key: str, name: str, keep_alive: bool = True) -> tuple[subprocess.Popen, Path]:
    folder = Path(tempfile.mkdtemp(prefix="holder-", dir=server.folder))
    p = child("lock_holder", server.libpq("locks"), key, name, str(folder), "1" if keep_alive else "0")
    wait_for(folder / "ready.json")
    return p, folder


def q3_duckdb_pool(server: PgServer) -> dict:
    """Can DuckDB's postgres extension hold a session advisory lock?"""
    out: dict = {}
    con = duck()
    con.execute(f"attach '{server.libpq('locks', application_name='duckdb-pool')}' as pg (type postgres)")
    pool = con.execute("from postgres_configure_pool()")
    out["postgres_configure_pool()"] = dict(zip([d[0] for d in pool.description], pool.fetchone(), strict=True))
    mark = server.log.stat().st_size
    out["postgres_query lock"] = rows(con, "select * from postgres_query('pg', 'select pg_try_advisory_lock(7)')")
    out["pg_locks after (other session)"] = server.psql(ADVISORY, "locks")
    out["postgres_execute lock"] = attempt(rows, con, "call postgres_execute('pg', 'select pg_advisory_lock(8)')")
    out["pg_locks after postgres_execute"] = server.psql(ADVISORY, "locks")
    with open(server.log) as f:
        f.seek(mark)
        out["statements the extension sent"] = [line.split("statement: ", 1)[1].strip() for line in f
                                                if "statement: " in line and "pg_locks" not in line]
    con.execute("set pg_pool_max_connections = 0")
    con.execute(f"attach '{server.libpq('locks', application_name='duckdb-nopool')}' as nopool (type postgres)")
    out["pool off (pg_pool_max_connections=0): lock"] = rows(
        con, "select * from postgres_query('nopool', 'select pg_try_advisory_lock(9)')")
    out["pool off: pg_locks after"] = server.psql(ADVISORY, "locks")
    held = con.cursor()
    held.begin()
    out["inside a DuckDB transaction: lock"] = rows(
        held, "select * from postgres_query('pg', 'select pg_try_advisory_lock(10)')")
    out["inside a DuckDB transaction: the holder session"] = server.psql(
        "select a.state, a.backend_xmin is not null as holds_xmin from pg_locks l join pg_stat_activity a using (pid) "
        "where l.locktype='advisory'", "locks")
    held.commit()
    out["after that DuckDB commit: pg_locks"] = server.psql(ADVISORY, "locks")
    con.close()
    return out


def q3() -> None:
    import psycopg

    out: dict = {}
    with postgres(log_statements=True) as server:
        os.environ["PGPASSWORD"] = PASSWORD
        server.createdb("locks")
        out["duckdb postgres extension"] = q3_duckdb_pool(server)
        key = "aletho-etl writer: locks"
        server.psql("create role other_writer login password 'x'; grant connect on database locks to other_writer")
        holder, folder = start_holder(server, key, "aletho-etl run R1 on host-a pid 4242")
        out["holder took it"] = json.loads((folder / "ready.json").read_text())
        out["second writer, same role"] = try_lock(server.libpq("locks"), key)
        os.environ["PGPASSWORD"] = "x"
        out["second writer, another non-superuser role"] = try_lock(server.libpq("locks", user="other_writer"), key)
        os.environ["PGPASSWORD"] = PASSWORD
        with psycopg.connect(server.libpq("locks"), autocommit=True) as waiter:  # --wait: pg_advisory_lock blocks
            started = time.perf_counter()
            holder.send_signal(signal.SIGKILL)
            waiter.execute("select pg_advisory_lock(hashtextextended(%s, 0))", [key])
            out["kill -9 of the holder: a waiter (pg_advisory_lock) got it after s"] = round(
                time.perf_counter() - started, 3)
        holder.wait()
        out["after kill -9: holder backends left"] = server.psql(
            "select count(*) from pg_stat_activity where application_name like 'aletho-etl%'", "locks")
        holder, folder = start_holder(server, key, "aletho-etl run R2 on host-a pid 4243")
        started = time.perf_counter()
        server.stop("fast")
        server.start()
        out["postgres restarted (pg_ctl stop -m fast; start) in s"] = round(time.perf_counter() - started, 2)
        out["after the restart: a second writer"] = try_lock(server.libpq("locks"), key)
        (folder / "check").touch()
        holder.wait(60)
        out["after the restart: what the first holder's connection says"] = json.loads(
            (folder / "checked.json").read_text())
        out["after the restart: the holder process ran on (its exit code)"] = holder.returncode
        server.psql("alter role etl set idle_session_timeout = '1s'")
        for keep in (False, True):
            holder, folder = start_holder(server, key + str(keep), f"aletho-etl keep_alive={keep}", keep_alive=keep)
            time.sleep(3)
            (folder / "check").touch()
            holder.wait(60)
            out[f"idle_session_timeout=1s for the role, holder sets it to 0: {keep}"] = json.loads(
                (folder / "checked.json").read_text())
        server.psql("alter role etl reset idle_session_timeout")
    save("q3", out)


# ----------------------------------------------------------------------------- q4: two writers

WRITES = {
    "insert rows": "insert into t select 'w{w}-' || i, 'b', i from range(10) r(i)",
    "merge (insert the keys not there yet, as load/merge.sql)":
        "insert into t select k.id, 'b', 0 from (select 'same-' || i as id from range(10) r(i)) k "
        "anti join t using (id)",
    "delete the same rows": "delete from t where n < 10",
    "delete different rows of one file": "delete from t where n = {w}",
    "update different rows of one file": "update t set body = 'w{w}' where n = 50 + {w}",
    "create the same table": "create table t_new (a integer)",
    "add a column each": "alter table t add column c{w} integer",
    "insert into different tables": "insert into u{w} values (1)",
}


def writer(meta: str, data: str, statement: str, folder: str, w: str) -> None:
    """Child: one transaction doing `statement`; ready.<w> once written, commit once `go` appears."""
    os.environ["PGPASSWORD"] = PASSWORD
    con = duck()
    attach(con, meta, Path(data))
    con.execute("use lake")
    con.begin()
    con.execute(statement.format(w=w))
    con.execute("call lake.set_commit_message('etl', ?)", [f"writer-{w}"])
    Path(folder, f"ready.{w}").touch()
    wait_for(Path(folder, "go"))
    started = time.perf_counter()
    try:
        con.commit()
        result: dict = {"committed": True}
    except Exception as e:
        result = {"error": str(e).strip(), "type": type(e).__name__}
    result["commit_seconds"] = round(time.perf_counter() - started, 3)
    Path(folder, f"result.{w}.json").write_text(json.dumps(result))


CHILDREN["writer"] = writer


def q4_case(meta: str, data: Path, statement: str) -> dict:
    """Both writers begin on the same snapshot, then commit at the same moment."""
    con = duck()
    attach(con, meta, data)
    for table in ("t", "t_new", "u1", "u2"):
        con.execute(f"drop table if exists lake.{table}")
    con.execute("create table lake.t (id varchar, body varchar, n integer)")
    con.execute("create table lake.u1 (a integer)")
    con.execute("create table lake.u2 (a integer)")
    con.execute("insert into lake.t select 'id' || i, 'a', i from range(100) r(i)")
    (before,), = con.execute("select max(snapshot_id) from lake.snapshots()").fetchall()
    con.close()
    folder = Path(tempfile.mkdtemp(prefix="writers-"))
    procs = [child("writer", meta, str(data), statement, str(folder), w) for w in ("1", "2")]
    for w in ("1", "2"):
        wait_for(folder / f"ready.{w}")
    (folder / "go").touch()
    for p in procs:
        p.wait(120)
    out = {w: json.loads((folder / f"result.{w}.json").read_text()) for w in ("1", "2")}
    con = duck()
    attach(con, meta, data)
    out["new snapshots"] = rows(con, f"select snapshot_id, commit_message, changes from lake.snapshots() "
                                     f"where snapshot_id > {before} order by 1")
    out["rows of t: total, distinct ids"] = rows(con, "select count(*), count(distinct id) from lake.t")[0]
    con.close()
    shutil.rmtree(folder)
    return out


def q4() -> None:
    out: dict = {}
    with postgres() as server, tempfile.TemporaryDirectory() as tmp:
        metas = catalogs(server, Path(tmp), "writers")
        for kind, meta in metas.items():
            data = Path(tmp) / f"data-{kind}"
            out[kind] = {}
            for label, statement in WRITES.items():
                out[kind][label] = q4_case(meta, data, statement)
                print(kind, label, out[kind][label]["1"], out[kind][label]["2"])
        out["two etl runs at once"] = q4_pipeline(server, Path(tmp))
    save("q4", out)


def small_corpus(tmp: Path, size_mb: float = 1.0) -> tuple[Path, Path]:
    """A bench/corpus.py corpus of `size_mb`, split by file into two input folders."""
    from bench.corpus import generate

    files = generate(tmp / "corpus", size_mb)
    halves = (tmp / "in1", tmp / "in2")
    for folder, part in zip(halves, (files[: len(files) // 2], files[len(files) // 2:]), strict=True):
        folder.mkdir()
        for f in part:
            shutil.copy(f, folder)
    return halves


def lake_counts(meta: str, data: Path) -> dict:
    con = duck()
    attach(con, meta, data, read_only=True)
    out = {t: rows(con, f"select count(*), count(distinct {k}) from lake.{t}")[0]
           for t, k in (("posts", "post_id"), ("documents", "document_id"), ("runs", "run_id"),
                        ("input_files", "path"), ("sources", "source_id"))}
    out["snapshots tagged"] = rows(con, "select snapshot_id, commit_message from lake.snapshots() "
                                        "where author = 'etl' order by 1")
    con.close()
    return out


def q4_pipeline(server: PgServer, tmp: Path) -> dict:
    """Two `etl run` processes, each with its own warehouse folder (two hosts, so two flocks),
    on one PostgreSQL catalog and one data path, the same new input; the second started
    `delay` seconds after the first. Each round on a new lake."""
    first, second = small_corpus(tmp / "q4p")
    out: dict = {}
    for delay, pause in ((0.0, 0), (2.0, 0), (4.0, 0), (0.0, 10)):
        name = f"twoetl{int(delay)}{pause}"
        meta = "postgres:" + server.libpq(server.createdb(name))
        data = tmp / "q4p" / f"{name}-data"
        env = {"PGSPIKE_DATA_PATH": str(data), "PGSPIKE_PAUSE_AFTER_MERGE": str(pause)}
        hosts = [str(tmp / "q4p" / f"{name}-host-{h}") for h in "ab"]
        label = f"second started {delay} s after the first"
        label += f", each waits {pause} s after its merge" if pause else ""
        got = out[label] = {
            "first run (host a)": run_etl(meta, "run", "-w", hosts[0], str(first), env=env)}
        with contextlib.ExitStack() as stack:
            a, b = (stack.enter_context(contextlib.closing(
                _Async(run_etl, meta, "run", "-w", host, str(second), env=env, delay=wait)))
                for host, wait in zip(hosts, (0, delay), strict=True))
            got["host a"], got["host b"] = a.result(), b.result()
        got["after both"] = lake_counts(meta, data)
        got["next run (host a)"] = run_etl(meta, "run", "-w", hosts[0], str(second), env=env)
    return out


class _Async:
    """fn(*args) in a thread, started `delay` seconds from now (the work is in a child process)."""

    def __init__(self, fn, *args, delay: float = 0, **kwargs) -> None:
        import concurrent.futures

        def later():
            time.sleep(delay)
            return fn(*args, **kwargs)

        self._pool = concurrent.futures.ThreadPoolExecutor(1)
        self._future = self._pool.submit(later)

    def result(self):
        return self._future.result()

    def close(self) -> None:
        self._pool.shutdown()


# ----------------------------------------------------------------------------- q5: readers

def reader(meta: str, data: str) -> None:
    """Child: a reader with only the catalog and the data path. Reads commands on stdin
    (count, begin, commit, reattach, pin <snapshot>), answers one JSON line each."""
    con = duck()
    attach(con, meta, Path(data), read_only=True)
    for line in sys.stdin:
        command, *arg = line.split()
        try:
            if command == "count":
                answer: object = rows(con, "select count(*) from lake.t")[0][0]
            elif command == "pinned":
                answer = rows(con, "select count(*) from pinned.t")[0][0]
            elif command in ("begin", "commit"):
                con.execute(command)
                answer = command
            elif command == "reattach":
                con.execute("detach lake")
                attach(con, meta, Path(data), read_only=True)
                answer = "reattached"
            elif command == "pin":
                attach(con, meta, Path(data), "pinned", read_only=True, snapshot=int(arg[0]))
                answer = "pinned"
            elif command == "write":
                answer = rows(con, "insert into lake.t values ('from-reader', 'x', 0)")
            else:
                answer = f"unknown {command}"
        except Exception as e:
            answer = {"error": str(e).strip().splitlines()[0]}
        print(json.dumps(answer), flush=True)


CHILDREN["reader"] = reader


class Reader:
    def __init__(self, meta: str, data: Path, env: dict | None = None) -> None:
        self.p = child("reader", meta, str(data), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __call__(self, command: str):
        self.p.stdin.write(command + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self) -> None:
        self.p.stdin.close()
        self.p.wait(30)


def commit_once(meta: str, data: str) -> None:
    """Child: a writer process that commits 10 rows and prints the new snapshot or the error."""
    try:
        con = duck()
        attach(con, meta, Path(data))
        con.execute("insert into lake.t select 'b' || i, 'x', i from range(10) r(i)")
        print(json.dumps(rows(con, "select max(snapshot_id) from lake.snapshots()")[0][0]))
    except Exception as e:
        print(json.dumps({"error": str(e).strip()}))


CHILDREN["commit_once"] = commit_once


def q5_catalog(meta: str, data: Path, reader_env: dict | None = None) -> dict:
    out: dict = {}
    con = duck()
    attach(con, meta, data)
    con.execute("create table lake.t (id varchar, body varchar, n integer)")
    con.execute("insert into lake.t select 'a' || i, 'x', i from range(10) r(i)")
    (before,), = rows(con, "select max(snapshot_id) from lake.snapshots()")
    con.close()

    def commit_more() -> object:
        p = child("commit_once", meta, str(data), stdout=subprocess.PIPE, text=True)
        return json.loads(p.communicate(timeout=120)[0])

    r = Reader(meta, data, reader_env)
    out["1 reader attached: count"] = r("count")
    out["2 a writer process commits +10 (its snapshot)"] = commit_more()
    out["2 same attach, autocommit: count"] = r("count")
    out["3 the reader begins a transaction"] = r("begin")
    out["3 count"] = r("count")
    out["3 a writer process commits +10 (its snapshot, or its error)"] = commit_more()
    out["3 count in the reader's transaction"] = r("count")
    out["3 the reader commits"] = r("commit")
    out["3 after the reader's commit: count"] = r("count")
    out["4 attach snapshot_version (the first)"] = r("pin " + str(before))
    out["4 pinned count"] = r("pinned")
    out["4 a writer process commits +10"] = commit_more()
    out["4 pinned count, live count"] = [r("pinned"), r("count")]
    out["5 detach + attach"] = r("reattach")
    out["5 count"] = r("count")
    out["6 a write through the read-only attach"] = r("write")
    r.close()
    fresh = Reader(meta, data, reader_env)
    out["7 a new reader process: count"] = fresh("count")
    fresh.close()
    return out


def q5_instance_cache(tmp: Path) -> dict:
    """The pitfall for long-lived readers of published.duckdb: DuckDB's instance cache."""
    import duckdb

    path = tmp / "published.duckdb"
    for version in ("old", "new"):
        with duckdb.connect(str(tmp / f"{version}.duckdb")) as c:
            c.execute(f"create view v as select '{version}' as which")
    shutil.copy(tmp / "old.duckdb", path)
    first = duckdb.connect(str(path), read_only=True)
    os.replace(tmp / "new.duckdb", path)  # the writer publishes by renaming over it
    second = duckdb.connect(str(path), read_only=True)
    out = {"first connection (opened before the rename)": first.execute("from v").fetchall()[0][0],
           "second duckdb.connect(same path) while the first is open": second.execute("from v").fetchall()[0][0]}
    first.close()
    second.close()
    third = duckdb.connect(str(path), read_only=True)
    out["third duckdb.connect after both closed"] = third.execute("from v").fetchall()[0][0]
    third.close()
    return out


def q5() -> None:
    out: dict = {}
    with postgres() as server, tempfile.TemporaryDirectory() as tmp:
        metas = catalogs(server, Path(tmp), "readers")
        for kind, meta in metas.items():
            out[kind] = q5_catalog(meta, Path(tmp) / f"data-{kind}")
        server.createdb("roles")
        meta = "postgres:" + server.libpq("roles")
        data = Path(tmp) / "data-roles"
        c = duck()
        attach(c, meta, data)
        c.close()
        server.psql("create role lake_reader login password 'r'; grant connect on database roles to lake_reader; "
                    "grant usage on schema public to lake_reader; "
                    "grant select on all tables in schema public to lake_reader",
                    db="roles")
        reader_env = {"PGPASSWORD": "r"}
        role_meta = "postgres:" + server.libpq("roles", user="lake_reader")
        out["postgres, reader role with SELECT only"] = q5_catalog_readonly_role(meta, role_meta, data, reader_env)
        out["published.duckdb instance cache"] = q5_instance_cache(Path(tmp))
    save("q5", out)


def q5_catalog_readonly_role(meta: str, role_meta: str, data: Path, env: dict) -> dict:
    writer = duck()
    attach(writer, meta, data)
    writer.execute("create table lake.t (id varchar, body varchar, n integer)")
    writer.execute("insert into lake.t select 'a' || i, 'x', i from range(10) r(i)")
    r = Reader(role_meta, data, env)
    out = {"count": r("count"), "a write through the read-only attach": r("write")}
    writer.execute("insert into lake.t select 'b' || i, 'x', i from range(10) r(i)")
    out["after a commit: count"] = r("count")
    r.close()
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        c = duck()
        out["read-write attach with the SELECT-only role"] = attempt(attach, c, role_meta, data)
        out["then an insert"] = attempt(rows, c, "insert into lake.t values ('x', 'y', 1)")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return out


# ----------------------------------------------------------------------------- q6: migration

def migrate(sqlite_file: Path, src_data: Path, libpq: str, dst_data: Path) -> dict:
    """Move a SQLite-catalog DuckLake into an empty PostgreSQL database: let DuckLake create its
    catalog tables there, then copy every ducklake_* table row for row in one transaction,
    point data_path at the new data folder, and copy the data files (their paths in the
    catalog are relative to data_path)."""
    out: dict = {}
    con = duck()
    attach(con, "postgres:" + libpq, dst_data)  # an empty lake: DuckLake's own DDL, PostgreSQL types
    con.execute("detach lake")
    con.execute(f"attach '{sqlite_file}' as src (type sqlite, read_only)")
    con.execute(f"attach '{libpq}' as dst (type postgres)")
    found = "select table_name from duckdb_tables() where database_name = ? and table_name like 'ducklake%'"
    src = {t for t, in con.execute(found, ["src"]).fetchall()}
    dst = {t for t, in con.execute(found + " and schema_name = 'public'", ["dst"]).fetchall()}
    out["tables only in the SQLite catalog"] = sorted(src - dst)
    out["tables only in the PostgreSQL catalog"] = sorted(dst - src)
    out["catalog version (sqlite, postgres)"] = [
        con.execute(f"select value from {db}.ducklake_metadata where key = 'version'").fetchall()[0][0]
        for db in ("src", "dst.public")]
    started = time.perf_counter()
    con.begin()
    copied = {}
    for table in sorted(src & dst):
        columns = [c for c, in con.execute("select column_name from duckdb_columns() where database_name = 'dst' "
                                           "and schema_name = 'public' and table_name = ? order by column_index",
                                           [table]).fetchall()]
        listing = ", ".join(f'"{c}"' for c in columns)
        con.execute(f'delete from dst.public."{table}"')
        con.execute(f'insert into dst.public."{table}" ({listing}) select {listing} from src."{table}"')
        copied[table] = con.execute(f'select count(*) from dst.public."{table}"').fetchall()[0][0]
    con.execute("update dst.public.ducklake_metadata set value = ? where key = 'data_path'", [f"{dst_data}/"])
    con.commit()
    out["rows copied"] = {t: n for t, n in copied.items() if n}
    out["copy seconds"] = round(time.perf_counter() - started, 2)
    con.close()
    shutil.copytree(src_data, dst_data, dirs_exist_ok=True)
    return out


def state_at(con, alias: str, snapshot: int, tables: list[str]) -> dict:
    """Each table's row count and an order-independent hash of its rows at `snapshot` (or the
    error: a table the snapshot predates)."""
    out = {}
    for table in tables:
        try:
            out[table] = con.execute(f'select count(*), sum(hash(x)) from (select t as x from {alias}."{table}" '
                                     f"at (version => {snapshot}) as t)").fetchall()[0]
        except Exception as e:
            out[table] = type(e).__name__
    return out


def compare_lakes(a: tuple[str, Path], b: tuple[str, Path]) -> dict:
    """Every snapshot of lake a, read from a and from b: same snapshots, same rows."""
    con = duck()
    attach(con, a[0], a[1], "a", read_only=True)
    attach(con, b[0], b[1], "b", read_only=True)
    snaps = {alias: rows(con, f"select snapshot_id, snapshot_time, schema_version, changes::varchar, author, "
                              f"commit_message from {alias}.snapshots() order by 1") for alias in "ab"}
    tables = [t for t, in con.execute("select table_name from duckdb_tables() where database_name = 'a'").fetchall()]
    differ = [s for s, *_ in snaps["a"] if state_at(con, "a", s, tables) != state_at(con, "b", s, tables)]
    files = {alias: rows(con, f"select count(*) from ducklake_list_files('{alias}', 'posts')")[0][0] for alias in "ab"}
    con.close()
    return {"snapshots in a": len(snaps["a"]), "snapshots identical (id, time, schema, changes, author, message)":
            snaps["a"] == snaps["b"], "snapshots whose tables differ": differ, "tables compared": len(tables),
            "posts files (a, b)": [files["a"], files["b"]]}


def q6() -> None:
    out: dict = {}
    with postgres() as server, tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        os.environ["PGPASSWORD"] = PASSWORD
        first, second = small_corpus(tmp)
        wh = tmp / "x"
        made = out["the SQLite warehouse, built with today's etl"] = {}
        made["etl run -w x (the sample)"] = run_etl(None, "run", "-w", str(wh), "--summary-json", str(tmp / "s.json"))
        sample_run = json.loads((tmp / "s.json").read_text())["run_id"]
        made["etl run -w x in1"] = run_etl(None, "run", "-w", str(wh), str(first), "--summary-json",
                                           str(tmp / "s.json"))
        run1 = json.loads((tmp / "s.json").read_text())["run_id"]
        made["etl run -w x in2"] = run_etl(None, "run", "-w", str(wh), str(second))
        made["etl rollback run in1"] = run_etl(None, "rollback", "-w", str(wh), run1)
        made["etl run -w x in2 again"] = run_etl(None, "run", "-w", str(wh), str(second))
        sqlite_meta = f"sqlite:{wh / 'lake.sqlite'}"
        # A: COPY FROM DATABASE (DuckLake's documented migration between databases)
        server.createdb("copied")
        con = duck()
        attach(con, sqlite_meta, wh / "data", "src", read_only=True)
        attach(con, "postgres:" + server.libpq("copied"), tmp / "copied-data", "dst")
        out["A: COPY FROM DATABASE src TO dst"] = attempt(rows, con, "copy from database src to dst")
        out["A: snapshots in dst"] = rows(con, "select snapshot_id, author, commit_message, changes::varchar "
                                               "from dst.snapshots() order by 1")
        out["A: posts rows (src, dst)"] = rows(
            con, "select (select count(*) from src.posts), (select count(*) from dst.posts)")[0]
        con.close()
        # B: the catalog tables copied row for row
        server.createdb("moved")
        libpq = server.libpq("moved")
        out["B: migrate"] = migrate(wh / "lake.sqlite", wh / "data", libpq, tmp / "shared-data")
        out["B: every snapshot compared"] = compare_lakes((sqlite_meta, wh / "data"),
                                                          ("postgres:" + libpq, tmp / "shared-data"))
        meta = "postgres:" + libpq
        env = {"PGSPIKE_DATA_PATH": str(tmp / "shared-data")}
        host = str(tmp / "new-host")
        after = out["B: etl on the moved lake (a new warehouse folder, the PostgreSQL catalog)"] = {}
        count = "select count(*) as posts, (select count(*) from runs) as runs from posts"
        sql = (meta, "sql", "-w", host, "-f", "csv")
        after["etl sql --as-of the sample's run"] = run_etl(*sql, "--as-of", sample_run, count, env=env)
        after["etl sql --as-of run in1"] = run_etl(*sql, "--as-of", run1, count, env=env)
        from bench.corpus import generate_days, next_day

        day = next_day((tmp / "corpus").glob("*.txt"))
        generate_days(tmp / "in3", range(day, day + 1))
        after["etl run (the next day's files)"] = run_etl(meta, "run", "-w", host, str(tmp / "in3"), env=env)
        after["etl sql"] = run_etl(meta, "sql", "-w", host, "-f", "csv", count, env=env)
        after["etl rollback run in1"] = run_etl(meta, "rollback", "-w", host, run1, env=env)
        after["etl sql after the rollback"] = run_etl(meta, "sql", "-w", host, "-f", "csv", count, env=env)
        out["B: the SQLite warehouse still reads the same (sql --as-of run in1)"] = run_etl(
            None, "sql", "-w", str(wh), "-f", "csv", "--as-of", run1, count)
    save("q6", out)


# ----------------------------------------------------------------------------- q7: PostgreSQL stops

def fault_writer(meta: str, data: str, folder: str) -> None:
    """Child: a transaction that wrote 200,000 rows (Parquet written, catalog not yet); ready,
    then commit once `go` appears; then what the same DuckDB sees next."""
    os.environ["PGPASSWORD"] = PASSWORD
    con = duck()
    attach(con, meta, Path(data))
    con.begin()
    con.execute("insert into lake.t select 'id' || i, repeat('x', 100), i from range(200000) r(i)")
    Path(folder, "ready").touch()
    wait_for(Path(folder, "go"), timeout=300)
    report = {"commit": attempt(con.commit)}
    report["a query on the same attach"] = attempt(rows, con, "select count(*) from lake.t")
    report["another query on the same attach"] = attempt(rows, con, "select count(*) from lake.t")
    report["detach + attach in the same process"] = attempt(
        lambda: (con.execute("detach lake"), attach(con, meta, Path(data)),
                 rows(con, "select count(*) from lake.t"))[2])
    Path(folder, "report.json").write_text(json.dumps(report, default=str))


CHILDREN["fault_writer"] = fault_writer


def lake_state(server: PgServer, db: str, meta: str, data: Path) -> dict:
    """What the catalog holds after a fault: snapshots, rows, files on disk vs listed."""
    con = duck()
    attach(con, meta, data)
    out = {"snapshots": rows(con, "select max(snapshot_id), count(*) from lake.snapshots()")[0],
           "rows": rows(con, "select count(*) from lake.t")[0][0],
           "files listed": rows(con, "select count(*) from ducklake_list_files('lake', 't')")[0][0],
           "parquet files on disk": sum(1 for _ in data.rglob("*.parquet"))}
    out["catalog rows of a snapshot not in ducklake_snapshot"] = int(server.psql(
        "select count(*) from ducklake_data_file "
        "where begin_snapshot not in (select snapshot_id from ducklake_snapshot)",
        db))
    out["delete_orphaned_files"] = len(rows(con, "call ducklake_delete_orphaned_files('lake', cleanup_all => true)"))
    out["parquet files on disk after"] = sum(1 for _ in data.rglob("*.parquet"))
    con.close()
    return out


def q7_case(server: PgServer, label: str, fault) -> dict:
    db = server.createdb(label)
    meta = "postgres:" + server.libpq(db)
    data = server.folder / f"{db}-data"
    con = duck()
    attach(con, meta, data)
    con.execute("create table lake.t (id varchar, body varchar, n integer)")
    con.execute("insert into lake.t values ('first', 'x', 0)")
    con.close()
    folder = Path(tempfile.mkdtemp(prefix="fault-", dir=server.folder))
    p = child("fault_writer", meta, str(data), str(folder))
    wait_for(folder / "ready", timeout=300)
    out = {"fault": fault(server, db, folder)}
    wait_for(folder / "report.json", timeout=300)
    p.wait(60)
    out["writer"] = json.loads((folder / "report.json").read_text())
    out["next attach (new process)"] = lake_state(server, db, meta, data)
    return out


def stop_start(mode: str, restart_before_commit: bool):
    def fault(server: PgServer, db: str, folder: Path) -> str:
        server.stop(mode)
        if restart_before_commit:
            server.start()
        (folder / "go").touch()
        if not restart_before_commit:
            time.sleep(5)  # the commit fails against the stopped server
            server.start()
        return f"pg_ctl stop -m {mode}" + (", start, then commit" if restart_before_commit else ", commit, start")
    return fault


STALL = """create function pgspike_stall() returns trigger language plpgsql as $$
begin
    raise log 'pgspike: commit stalled inserting into ducklake_snapshot_changes';
    perform pg_sleep(120);
    return new;
end $$;
create trigger pgspike_stall before insert on ducklake_snapshot_changes
    for each row execute function pgspike_stall()"""


def restart_during_commit(server: PgServer, db: str, folder: Path) -> str:
    """Stall the commit half-way: a trigger sleeps in the insert into ducklake_snapshot_changes,
    the last table the commit's one PostgreSQL transaction writes (after its ducklake_snapshot
    row). Then crash PostgreSQL under it."""
    server.psql(STALL, db)
    mark = server.log.stat().st_size
    (folder / "go").touch()
    end = time.monotonic() + 120
    while "LOG:  pgspike: commit stalled" not in server.log.read_text()[mark:] and time.monotonic() < end:
        time.sleep(0.1)
    server.stop("immediate")
    server.start()
    server.psql("drop trigger pgspike_stall on ducklake_snapshot_changes; drop function pgspike_stall()", db)
    return "the commit stalled in its last insert, then pg_ctl stop -m immediate; start"


def open_transaction(meta: str, data: str, steps: str) -> None:
    """Child: an open transaction with rows written; after a line on stdin, run `steps`
    (select, commit, rollback, close) and print what each did."""
    con = duck()
    attach(con, meta, Path(data))
    con.execute("create table if not exists lake.t (id varchar, body varchar, n integer)")
    con.begin()
    con.execute("insert into lake.t select 'x', 'y', i from range(1000) r(i)")
    print("ready", flush=True)
    sys.stdin.readline()
    actions = {"select": lambda: rows(con, "select count(*) from lake.t"), "commit": con.commit,
               "rollback": con.rollback, "close": con.close}
    for step in steps.split(","):
        result = attempt(actions[step])
        print(json.dumps({step: result.get("error", "ok")[:120]}), flush=True)


CHILDREN["open_transaction"] = open_transaction


def q7_close(server: PgServer) -> dict:
    """A process whose open DuckLake transaction lost its PostgreSQL connection (restart),
    then does `steps`: which ways out end the process normally?"""
    out = {}
    meta = "postgres:" + server.libpq(server.createdb("closing"))
    for steps in ("commit,close", "select,close", "select,rollback,close", "select,commit,close"):
        p = child("open_transaction", meta, str(server.folder / "closing-data"), steps,
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdout.readline()
        server.stop("fast")
        server.start()
        said, err = p.communicate("go\n", timeout=120)
        out[steps] = {"exit code": p.returncode, "steps": [json.loads(line) for line in said.splitlines()],
                      "stderr": err.strip().splitlines()[-2:]}
    return out


def q7() -> None:
    out: dict = {}
    with postgres(log_statements=True) as server:
        os.environ["PGPASSWORD"] = PASSWORD
        for label, fault in (("restart_fast", stop_start("fast", True)),
                             ("restart_immediate", stop_start("immediate", True)),
                             ("stopped_at_commit", stop_start("fast", False))):
            out[label] = q7_case(server, label, fault)
        out["during_commit"] = q7_case(server, "during_commit", restart_during_commit)
        out["the stalled commit's statements, in one PostgreSQL transaction"] = commit_statements(server.log)
        out["close after the connection died"] = q7_close(server)
        out["etl"] = q7_etl(server)
    save("q7", out)


def wait_line(p: subprocess.Popen, text: str, timeout: float = 600) -> None:
    """Read p's stderr until a line holds `text`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = p.stderr.readline()
        if text in line:
            return
        if not line and p.poll() is not None:
            raise RuntimeError(f"the run ended before {text!r}")
    raise TimeoutError(text)


def etl_child(meta: str, *args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "child", "etl", meta, *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env})


def finish(p: subprocess.Popen) -> dict:
    out, err = p.communicate(timeout=600)
    return {"exit": p.returncode, "stdout": out.strip().splitlines()[-3:], "stderr": err.strip().splitlines()[-3:]}


def q7_etl(server: PgServer) -> dict:
    """The real run (etl's CLI, the lake on PostgreSQL) when PostgreSQL restarts or the run is
    killed: what it says, and whether the next run completes."""
    tmp = server.folder / "q7etl"
    first, second = small_corpus(tmp)
    out: dict = {}
    for label, env, fault in (
            ("restart while extracting (lake attached, no transaction open)",
             {"PGSPIKE_PAUSE_IN_EXTRACT": "8"}, "pgspike: extracting"),
            ("restart inside the run's open transaction (after its merge)",
             {"PGSPIKE_PAUSE_AFTER_MERGE": "8"}, "pgspike: merged"),
            ("kill -9 at failpoint load (open transaction)", {"ETL_FAILPOINTS": "load"}, "failpoint load reached"),
            ("kill -9 at failpoint commit (committed, not published)", {"ETL_FAILPOINTS": "commit"},
             "failpoint commit reached")):
        db = server.createdb("etl" + str(len(out)))
        meta = "postgres:" + server.libpq(db)
        wh = tmp / f"wh{len(out)}"
        case = out[label] = {"first run": run_etl(meta, "run", "-w", str(wh), str(first))}
        p = etl_child(meta, "run", "-w", str(wh), str(second), env=env)
        wait_line(p, fault)
        if label.startswith("kill"):
            p.kill()
            case["the run"] = finish(p)
            time.sleep(1)
            case["its PostgreSQL sessions left"] = server.psql(
                f"select count(*) from pg_stat_activity where datname = '{db}'")
        else:
            server.stop("fast")
            server.start()
            case["the run"] = finish(p)
        case["published snapshot.json (snapshot_id)"] = json.loads((wh / "snapshot.json").read_text())["snapshot_id"]
        case["next run"] = run_etl(meta, "run", "-w", str(wh), str(second))
        case["published after the next run"] = json.loads((wh / "snapshot.json").read_text())["snapshot_id"]
        case["lake"] = lake_counts(meta, wh / "data")
    return out


def commit_statements(log: Path) -> list[str]:
    """The statements the stalled commit's session had sent (the server log, by process id),
    from its last BEGIN on, each cut to 80 characters."""
    lines: list[str] = []
    for line in log.read_text().splitlines():  # a statement's continuation lines have no prefix
        if re.match(r"\d{4}-\d\d-\d\d ", line) or not lines:
            lines.append(line)
        else:
            lines[-1] += " " + line.strip()
    stalled = next(i for i, line in enumerate(lines) if "LOG:  pgspike: commit stalled" in line)
    pid = lines[stalled].split("[", 1)[1].split("]", 1)[0]
    mine = [line.split("statement: ", 1)[1] for line in lines[:stalled] if f"[{pid}]" in line and "statement: " in line]
    begin = max(i for i, text in enumerate(mine) if text.startswith("BEGIN"))
    return [part.strip()[:80] for text in mine[begin:] for part in text.split(";") if part.strip()]


# ----------------------------------------------------------------------------- q8: costs

WRITTEN = r"""
import os, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
os.sync()
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock * 512))
sys.exit(code)
"""


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def costed_run(server: PgServer, meta: str | None, db: str | None, wh: Path, inputs: Path) -> dict:
    """`etl run` on one catalog (meta None: SQLite, etl as it is): seconds, bytes the run's
    process tree wrote (block writes, getrusage, after a sync), warehouse folder growth, and
    for PostgreSQL the WAL it wrote and the database's growth."""
    written = wh.parent / f".written-{os.getpid()}"
    cmd = ([str(ROOT / ".venv/bin/etl")] if meta is None else [sys.executable, __file__, "child", "etl", meta])
    before = folder_bytes(wh) if wh.exists() else 0
    os.sync()
    wal, size = (server.wal_lsn(), server.db_size(db)) if db else (0, 0)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", WRITTEN, str(written), *cmd, "run", "-w", str(wh), str(inputs)],
                       cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    assert p.returncode in (0, 1), p.stderr[-2000:]
    out = {"seconds": round(seconds, 2), "process tree wrote MB": round(int(written.read_text()) / 1e6, 2),
           "folder growth MB": round((folder_bytes(wh) - before) / 1e6, 2), "load average (1 min) before": load}
    if db:
        out["PostgreSQL WAL MB"] = round((server.wal_lsn() - wal) / 1e6, 2)
        out["PostgreSQL database growth MB"] = round((server.db_size(db) - size) / 1e6, 2)
    out["summary"] = p.stdout.strip().splitlines()[1:3]
    written.unlink()
    return out


def q8() -> None:
    from bench.corpus import generate, generate_days, next_day

    size = float(sys.argv[sys.argv.index("--size-mb") + 1]) if "--size-mb" in sys.argv else 100.0
    repeat = 3
    out: dict = {"corpus MB": size}
    with postgres() as server:
        os.environ["PGPASSWORD"] = PASSWORD
        work = server.folder / "q8"
        paths = generate(work / "corpus", size)
        out["corpus files"] = len(paths)
        day = next_day(paths)
        singles = [generate_days(work / f"one-{k}", range(day + k, 1 << 30), limit=1)[0].parent for k in range(repeat)]
        db = server.createdb("costs")
        lakes = {"sqlite": (None, None), "postgres": ("postgres:" + server.libpq(db), db)}
        for kind, (meta, name) in lakes.items():
            out[f"{kind}: build ({size:g} MB)"] = costed_run(server, meta, name, work / f"wh-{kind}", work / "corpus")
            print(kind, out[f"{kind}: build ({size:g} MB)"], flush=True)
        for k in range(repeat):  # alternated, so both catalogs meet the same load
            for kind, (meta, name) in lakes.items():
                out[f"{kind}: one document #{k + 1}"] = costed_run(server, meta, name, work / f"wh-{kind}", singles[k])
                print(kind, k, out[f"{kind}: one document #{k + 1}"], flush=True)
        out["warehouse folder MB"] = {kind: round(folder_bytes(work / f"wh-{kind}") / 1e6, 2) for kind in lakes}
        out["PostgreSQL database MB"] = round(server.db_size(db) / 1e6, 2)
        out["DuckLake alone"] = q8_micro(server, {"sqlite": f"sqlite:{work / 'wh-sqlite' / 'lake.sqlite'}",
                                                  "postgres": lakes["postgres"][0]}, work)
    save("q8", out)


def q8_micro(server: PgServer, warehouses: dict[str, str], work: Path, repeat: int = 10) -> dict:
    """The catalog's own share, without the rest of a run: a reader's attach + one count of
    posts on the built warehouse, and an attach + a one-row commit on a small lake (median
    of `repeat`, in this process)."""
    import statistics

    metas = {"sqlite": f"sqlite:{work / 'micro.sqlite'}",
             "postgres": "postgres:" + server.libpq(server.createdb("micro"))}
    out: dict = {}
    for kind in ("sqlite", "postgres"):
        con = duck()
        attach(con, metas[kind], work / f"micro-{kind}")
        con.execute("create table lake.t (id varchar, n integer)")
        con.close()
        reads, commits = [], []
        for i in range(repeat):
            started = time.perf_counter()
            con = duck()
            attach(con, warehouses[kind], work / f"wh-{kind}" / "data", read_only=True)
            con.execute("select count(*) from lake.posts").fetchall()
            con.close()
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            con = duck()
            attach(con, metas[kind], work / f"micro-{kind}")
            con.begin()
            con.execute("insert into lake.t values (?, ?)", [f"row{i}", i])
            con.execute("call lake.set_commit_message('etl', ?)", [f"micro-{i}"])
            con.commit()
            con.close()
            commits.append(time.perf_counter() - started)
        out[kind] = {"attach read-only + count(*) of posts: median s": round(statistics.median(reads), 3),
                     "attach + one-row commit: median s": round(statistics.median(commits), 3),
                     "load average (1 min)": os.getloadavg()[0]}
    return out


# ----------------------------------------------------------------------------- children and main

def child_main(role: str, args: list[str]) -> None:
    if role == "etl":  # etl's CLI with the lake attached from PostgreSQL
        pg_lake(args[0])
        from etl.cli import app

        sys.argv = ["etl", *args[1:]]
        app()
    else:
        CHILDREN[role](*args)


QUESTIONS = {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5, "q6": q6, "q7": q7, "q8": q8}


def main() -> None:
    if sys.argv[1] == "child":
        sys.path.insert(0, str(ROOT))
        child_main(sys.argv[2], sys.argv[3:])
        return
    sys.path.insert(0, str(ROOT))
    wanted = [a for a in sys.argv[1:] if a in QUESTIONS or a == "all"]
    for name in [q for q in QUESTIONS if q != "q8"] if "all" in wanted else wanted:
        QUESTIONS[name]()


if __name__ == "__main__":
    main()
